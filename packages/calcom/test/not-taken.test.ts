import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CalcomEventType, eventTypeSchema, fieldsNotTaken } from '../src/index.js';

const answer = (change: Record<string, unknown> = {}): CalcomEventType => {
  const list = JSON.parse(
    readFileSync(new URL('./fixtures/team-event-types-list.json', import.meta.url), 'utf8'),
  );
  return eventTypeSchema.parse({ ...list.data[1], ...change });
};

describe('comparing what Cal.com stored with what was sent', () => {
  it('finds nothing when every field took', () => {
    const sent = {
      title: 'Group Workshop',
      lengthInMinutes: 90,
      hidden: true,
      confirmationPolicy: { type: 'always', blockUnconfirmedBookingsInBooker: true } as const,
    };
    expect(fieldsNotTaken(sent, answer())).toEqual([]);
  });

  it('names each field Cal.com answered differently, with both values', () => {
    const sent = { title: 'Workshop (group)', lengthInMinutes: 120, slug: 'group-workshop' };
    expect(fieldsNotTaken(sent, answer())).toEqual([
      { field: 'title', sent: 'Workshop (group)', received: 'Group Workshop' },
      { field: 'lengthInMinutes', sent: 120, received: 90 },
    ]);
  });

  it('accepts extra keys Cal.com adds to a policy object, but not a different policy', () => {
    const withDefaults = answer({
      confirmationPolicy: { type: 'always', blockUnconfirmedBookingsInBooker: true, disabled: false },
    });
    const same = { confirmationPolicy: { type: 'always', blockUnconfirmedBookingsInBooker: true } as const };
    expect(fieldsNotTaken(same, withDefaults)).toEqual([]);
    expect(fieldsNotTaken({ confirmationPolicy: { disabled: true } }, withDefaults)).toEqual([
      {
        field: 'confirmationPolicy',
        sent: { disabled: true },
        received: { type: 'always', blockUnconfirmedBookingsInBooker: true, disabled: false },
      },
    ]);
  });

  it('ignores fields that were not sent', () => {
    expect(fieldsNotTaken({}, answer())).toEqual([]);
  });
});
