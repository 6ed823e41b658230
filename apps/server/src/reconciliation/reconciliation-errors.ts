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

/** The store failed under a reconciliation request; the cause goes to the log, never to the client. */
export function storeUnavailable(): ReconciliationError {
  return {
    code: 'STORE_UNAVAILABLE',
    message: 'The event store did not answer. Nothing was started; retry when /health/ready answers 200.',
  };
}
