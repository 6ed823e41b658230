import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../src/events.js';
import { needsAttention, type ReconciliationCounts } from '../src/reconciliation.js';
import { parseReconciliationEvent, reconciliationStreamName } from '../src/reconciliation-events.js';

const run = {
  schemaVersion: SCHEMA_VERSION,
  runId: 'run-1',
  companyId: 'acme',
  teamId: 42,
  mode: 'apply',
  at: '2025-03-01T10:00:00.000Z',
} as const;

const counts: ReconciliationCounts = {
  linked: 2,
  listed: 3,
  confirmed: 2,
  diverged: 0,
  missing: 0,
  orphaned: 0,
  stillOrphaned: 0,
  reappeared: 0,
  candidates: 0,
};

describe('reconciliation run events (docs/events.md)', () => {
  it('live on the team’s stream', () => {
    expect(reconciliationStreamName(42)).toBe('reconciliation-42');
  });

  it('read back exactly as written, through their JSON', () => {
    const completed = {
      ...run,
      counts,
      findings: [{ kind: 'confirmed', serviceId: 's1', eventTypeId: 1001 }],
      misses: [{ serviceId: 's2', eventTypeId: 1002, consecutiveMisses: 1 }],
      serviceEventsAppended: 0,
    };
    expect(
      parseReconciliationEvent(
        'ReconciliationCompleted',
        JSON.parse(JSON.stringify(completed)),
      )._unsafeUnwrap(),
    ).toEqual({
      type: 'ReconciliationCompleted',
      data: completed,
    });
    const started = { ...run, actor: 'calcom:reconciliation' };
    expect(parseReconciliationEvent('ReconciliationStarted', started).isOk()).toBe(true);
  });

  it('refuse an unknown type and a payload that does not match, saying where', () => {
    expect(parseReconciliationEvent('ReconciliationExploded', run)._unsafeUnwrapErr().code).toBe(
      'EVENT.INVALID',
    );
    const bad = parseReconciliationEvent('ReconciliationAborted', {
      ...run,
      reason: { code: 'BECAUSE', message: 'x' },
    });
    expect(bad._unsafeUnwrapErr().issues.map((issue) => issue.path)).toContain('reason.code');
  });
});

describe('whether a run needs a person', () => {
  it('not when every linked service is confirmed', () => {
    expect(needsAttention(counts)).toBe(false);
  });

  it('when anything else was found, candidates included', () => {
    for (const key of [
      'diverged',
      'missing',
      'orphaned',
      'stillOrphaned',
      'reappeared',
      'candidates',
    ] as const) {
      expect(needsAttention({ ...counts, [key]: 1 })).toBe(true);
    }
  });
});
