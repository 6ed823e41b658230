import { describe, expect, it } from 'vitest';
import { auditEntry, fieldNames, type ServiceEvent } from '../src/index.js';
import {
  ADMIN,
  calcomShows,
  diverged,
  divergenceResolved,
  edited,
  eventTypeMissing,
  haircut,
  haircutWith,
  linked,
  minute,
  registered,
  SERVICE_ID,
  syncFailed,
  syncRequested,
  syncStatusReset,
  syncSucceeded,
  unlinked,
} from './service-facts.js';

describe('the audit trail: who / what / when / before → after / source (docs/status.md)', () => {
  it('a registration lists every field from nothing to its value, by the admin on the platform', () => {
    const entry = auditEntry(registered(haircut, { at: minute(2) }), '17');
    expect(entry).toMatchObject({
      position: '17',
      at: minute(2),
      serviceId: SERVICE_ID,
      event: 'ServiceRegistered',
      actor: ADMIN,
      source: 'platform',
      summary: 'Registered "Herrenhaarschnitt".',
    });
    expect(entry.changes.map((change) => change.field)).toEqual(fieldNames);
    expect(entry.changes).toContainEqual({ field: 'durationMinutes', from: null, to: 30 });
  });

  it('an import says it came from Cal.com', () => {
    const imported = registered();
    const event: ServiceEvent = {
      type: 'ServiceRegistered',
      data: { ...imported.data, origin: 'calcom_import' },
    };
    expect(auditEntry(event, '1').summary).toBe('Imported from Cal.com "Herrenhaarschnitt".');
  });

  it('an edit shows each field before → after', () => {
    const entry = auditEntry(
      edited([
        { field: 'name', from: 'Herrenhaarschnitt', to: 'Kurzhaarschnitt' },
        { field: 'durationMinutes', from: 30, to: 45 },
      ]),
      '2',
    );
    expect(entry.changes).toEqual([
      { field: 'name', from: 'Herrenhaarschnitt', to: 'Kurzhaarschnitt' },
      { field: 'durationMinutes', from: 30, to: 45 },
    ]);
    expect(entry.summary).toBe(
      'Edited: name "Herrenhaarschnitt" → "Kurzhaarschnitt", durationMinutes 30 → 45.',
    );
  });

  it("accepting Cal.com's values is an edit by the admin who accepted them", () => {
    const accepted = edited([{ field: 'name', from: 'Herrenhaarschnitt', to: 'Anders' }]);
    const event: ServiceEvent = {
      type: 'ServiceEdited',
      data: { ...accepted.data, reason: 'accept_calcom' },
    };
    const entry = auditEntry(event, '3');
    expect(entry).toMatchObject({ actor: ADMIN, source: 'platform' });
    expect(entry.summary).toMatch(/^Accepted Cal\.com’s values: name/);
  });

  it('a divergence shows the platform value before and Cal.com value after, from its Cal.com source', () => {
    const event = diverged(
      [{ field: 'durationMinutes', platform: 30, calcom: 20 }],
      calcomShows(haircutWith({ durationMinutes: 20 })),
      { actor: 'calcom:webhook', source: 'webhook' },
    );
    const entry = auditEntry(event, '4');
    expect(entry).toMatchObject({
      source: 'calcom_webhook',
      changes: [{ field: 'durationMinutes', from: 30, to: 20 }],
      summary: 'Cal.com holds other values (webhook): durationMinutes platform 30 vs Cal.com 20.',
    });
    expect(auditEntry(diverged(event.data.fields, event.data.snapshot), '5').source).toBe(
      'calcom_reconciliation',
    );
  });

  it('a resolution lists the decisions, and as changes only the accepted Cal.com values', () => {
    const event = divergenceResolved([
      { field: 'name', decision: 'accept_calcom', platform: 'Herrenhaarschnitt', calcom: 'Anders' },
      { field: 'durationMinutes', decision: 'keep_platform', platform: 30, calcom: 20 },
    ]);
    const entry = auditEntry(event, '6');
    expect(entry.changes).toEqual([{ field: 'name', from: 'Herrenhaarschnitt', to: 'Anders' }]);
    expect(entry.summary).toBe('Divergence resolved: name accept_calcom, durationMinutes keep_platform.');
  });

  it('the sync process speaks as the system and says what happened to each push', () => {
    const failed = auditEntry(syncFailed('s1', 'transient', { retryAt: minute(9) }), '7');
    expect(failed.source).toBe('sync');
    expect(failed.summary).toBe(
      `Sync s1 attempt 1 failed (transient 503: Service Unavailable); retry at ${minute(9)}.`,
    );
    const final = auditEntry(
      syncFailed('s1', 'rejected', { retryAt: null, httpStatus: null, message: 'bad' }),
      '8',
    );
    expect(final.summary).toBe('Sync s1 attempt 1 failed (rejected: bad); final.');
    expect(auditEntry(syncSucceeded('s1', haircut, { attempts: 2 }), '9').summary).toBe(
      'Cal.com accepted sync s1 after 2 attempt(s) in 120 ms.',
    );
  });

  it('every other fact has a summary a person can read, and no field changes', () => {
    const facts: ServiceEvent[] = [
      linked(),
      unlinked(),
      syncRequested('s1'),
      syncRequested('s2', haircut, { operation: 'create' }),
      eventTypeMissing('push_not_found'),
      syncStatusReset('orphaned'),
    ];
    const summaries = facts.map((event) => auditEntry(event, '0'));
    expect(summaries.map((entry) => entry.summary)).toEqual([
      'Linked to Cal.com event type 1001 of team 42.',
      'Unlinked from Cal.com event type 1001: moved to another team.',
      'Sync s1 requested (edit): update event type 1001.',
      'Sync s2 requested (edit): create an event type.',
      'Cal.com event type 1001 is missing (push not found).',
      'Sync status reset from "orphaned"; a fresh push was requested.',
    ]);
    for (const entry of summaries) expect(entry.changes).toEqual([]);
  });
});
