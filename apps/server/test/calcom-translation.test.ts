import { randomUUID } from 'node:crypto';
import { type CalcomClient, createCalcomClient, eventTypeSchema, writeBody } from '@calsync/calcom';
import { type CalcomSimulator, startCalcomSimulator } from '@calsync/calcom-simulator';
import { type CalcomValues, type SyncedFields, syncedFieldsSchema, toCalcomValues } from '@calsync/domain';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callCalcom, toCalcomSnapshot, toEventTypeWrite } from '../src/calcom/calcom-translation.js';

const TEAM_ID = 42;
const EVENT_TYPE_ID = 9001;

/** Synced fields as the platform may hold them: whatever the domain's field schemas accept. */
const syncedFields: fc.Arbitrary<SyncedFields> = fc
  .record({
    name: fc.string({ minLength: 1, maxLength: 60 }),
    slug: fc.stringMatching(/^[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,3}$/),
    description: fc.string({ maxLength: 200 }),
    durationMinutes: fc.integer({ min: 1, max: 1440 }),
    isActive: fc.boolean(),
    bufferBeforeMinutes: fc.integer({ min: 0, max: 525_600 }),
    bufferAfterMinutes: fc.integer({ min: 0, max: 525_600 }),
    minimumBookingNoticeMinutes: fc.integer({ min: 0, max: 525_600 }),
    requiresConfirmation: fc.boolean(),
    disableGuests: fc.boolean(),
    price: fc.record({
      amount: fc.integer({ min: 0, max: 100_000 }),
      currency: fc.constantFrom('EUR', 'USD'),
    }),
  })
  .map((fields) => syncedFieldsSchema.safeParse(fields))
  .filter((parsed) => parsed.success)
  .map((parsed) => parsed.data as SyncedFields);

/** The values calsync pushes: the domain's mapping of the platform's fields. */
const pushedValues: fc.Arbitrary<CalcomValues> = syncedFields.map(toCalcomValues);

/** The values part of a snapshot: what calsync wrote, without Cal.com's id, team and read-only price. */
function valuesOf(snapshot: ReturnType<typeof toCalcomSnapshot>): CalcomValues {
  const { id: _id, teamId: _teamId, price: _price, currency: _currency, ...values } = snapshot;
  return values;
}

describe('Cal.com translation: what calsync pushes reads back as the same snapshot (docs/calcom.md)', () => {
  it('the written body, stored as Cal.com answers it and read through the client’s schema, is the pushed values', () => {
    fc.assert(
      fc.property(pushedValues, (values) => {
        const wire = JSON.parse(JSON.stringify(writeBody(toEventTypeWrite(values)))) as Record<
          string,
          unknown
        >;
        const answered = eventTypeSchema.parse({
          id: EVENT_TYPE_ID,
          teamId: TEAM_ID,
          price: 2900,
          currency: 'eur',
          // Cal.com answers with more than calsync writes; the loose schema keeps it, the translation ignores it.
          schedulingType: 'collective',
          length: values.lengthInMinutes,
          ...wire,
        });
        const snapshot = toCalcomSnapshot(answered);

        expect(valuesOf(snapshot)).toEqual(values);
        expect(snapshot).toMatchObject({ id: EVENT_TYPE_ID, teamId: TEAM_ID, price: 2900, currency: 'eur' });
      }),
      { numRuns: 300 },
    );
  });

  describe('through a Cal.com (the simulator) over HTTP', () => {
    let simulator: CalcomSimulator;
    let client: CalcomClient;

    beforeAll(async () => {
      const apiKey = `cal_test_translation_${randomUUID()}`;
      simulator = await startCalcomSimulator({
        keys: [{ apiKey, teamIds: [TEAM_ID] }],
        teams: [
          { id: TEAM_ID, eventTypes: [{ id: EVENT_TYPE_ID, title: 'Herrenhaarschnitt', slug: 'haircut' }] },
        ],
        rateLimit: { limit: 100_000, windowMs: 60_000, blockMs: 1_000 },
      });
      client = createCalcomClient({ apiUrl: simulator.url, apiKey });
    });
    afterAll(async () => {
      await simulator?.close();
    });

    it('a PATCH of the pushed values, read back with GET, is a snapshot of exactly those values', async () => {
      await fc.assert(
        fc.asyncProperty(pushedValues, async (values) => {
          const written = await callCalcom(client, {
            syncId: randomUUID(),
            operation: 'update',
            teamId: TEAM_ID,
            eventTypeId: EVENT_TYPE_ID,
            values,
            attempt: 1,
            notBefore: null,
          });
          expect(written.isOk(), written.isErr() ? written.error.message : '').toBe(true);

          const read = await client.getTeamEventType(TEAM_ID, EVENT_TYPE_ID);
          expect(read.isOk(), read.isErr() ? read.error.message : '').toBe(true);
          const snapshot = toCalcomSnapshot(read._unsafeUnwrap(), TEAM_ID);

          expect(valuesOf(snapshot)).toEqual(values);
          expect(snapshot).toMatchObject({ id: EVENT_TYPE_ID, teamId: TEAM_ID });
        }),
        { numRuns: 40 },
      );
    });
  });
});
