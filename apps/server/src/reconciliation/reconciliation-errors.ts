/** Expected failures of reconciliation and import, each with a stable code the HTTP layer maps to a status. */
export type ReconciliationErrorCode =
  | 'RUN_NOT_FOUND'
  | 'CANDIDATE_NOT_FOUND'
  | 'CALCOM_NOT_CONFIGURED'
  | 'ALREADY_IMPORTED'
  | 'SLUG_CONFLICT'
  | 'CALCOM_UNAVAILABLE'
  | 'STORE_UNAVAILABLE';

export interface ReconciliationError {
  code: ReconciliationErrorCode;
  /** What happened and what to do. */
  message: string;
  details?: unknown;
}

export function calcomNotConfigured(companyId: string): ReconciliationError {
  return {
    code: 'CALCOM_NOT_CONFIGURED',
    message: `Company "${companyId}" has no Cal.com team configured, so there is nothing to reconcile or import. Add "calcom" to its entry in CALSYNC_CONFIG.`,
  };
}

export function runNotFound(runId: string): ReconciliationError {
  return {
    code: 'RUN_NOT_FOUND',
    message: `Reconciliation run "${runId}" does not exist for this company. Start one with POST /v1/reconciliations.`,
  };
}

export function storeUnavailable(cause: unknown): ReconciliationError {
  const detail = cause instanceof Error ? cause.message : JSON.stringify(cause);
  return {
    code: 'STORE_UNAVAILABLE',
    message: `The event store could not be reached (${detail}). Nothing was started; retry when /health/ready answers 200.`,
  };
}
