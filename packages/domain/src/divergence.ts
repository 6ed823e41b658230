import { type CalcomSnapshot, fromCalcomSnapshot, fromCalcomValues } from './calcom-mapping.js';
import { fieldValueEqual, type SyncedFieldName, syncedFieldNames } from './fields.js';
import type { ServiceState } from './service-state.js';

export interface DivergentField {
  field: SyncedFieldName;
  platform: unknown;
  calcom: unknown;
}

/**
 * The fields in which Cal.com holds values the platform did not push (docs/sync.md).
 *
 * A pushable field diverges only when Cal.com's value is none of: the platform's current
 * value, the last value Cal.com confirmed from us (a push still on its way), or the value of
 * the request about to be pushed (our own echo). Before the first confirmed push there is no
 * baseline: the link's push will make Cal.com match, so only price is compared. Price is
 * never pushed, so it diverges whenever it differs from the platform's.
 */
export function detectDivergence(state: ServiceState, snapshot: CalcomSnapshot): DivergentField[] {
  if (!state.fields) return [];
  const observed = fromCalcomSnapshot(snapshot);
  const baseline = state.lastPushed ? fromCalcomValues(state.lastPushed) : null;
  const pending = state.sync.requested ? fromCalcomValues(state.sync.requested.values) : null;
  const fields = state.fields;
  const divergent: DivergentField[] = [];
  for (const field of syncedFieldNames) {
    const seen = observed[field];
    if (fieldValueEqual(field, fields[field], seen)) continue;
    if (field !== 'price') {
      if (!baseline) continue;
      const key = field as keyof typeof baseline;
      if (fieldValueEqual(field, baseline[key], seen)) continue;
      if (pending && fieldValueEqual(field, pending[key], seen)) continue;
    }
    divergent.push({ field, platform: fields[field], calcom: seen });
  }
  return divergent;
}

/** Whether a detected set of fields is exactly the divergence already open. */
export function sameDivergence(state: ServiceState, fields: readonly DivergentField[]): boolean {
  const open = state.divergence?.fields;
  if (!open || open.length !== fields.length) return false;
  return fields.every((candidate) =>
    open.some(
      (known) =>
        known.field === candidate.field &&
        fieldValueEqual(candidate.field, known.calcom, candidate.calcom) &&
        fieldValueEqual(candidate.field, known.platform, candidate.platform),
    ),
  );
}
