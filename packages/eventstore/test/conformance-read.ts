import { describe, expect, it } from 'vitest';
import { compareSequence, expected } from '../src/index.js';
import {
  type ConformanceContext,
  INDEXED_DATA_FIELD,
  newEvent,
  newEvents,
  readEverything,
  uniquePrefix,
} from './conformance-fixture.js';

/** A token of the same form as `position`, far beyond it (both engines' forms). */
const beyond = (position: string): string => {
  const esdb = /^([0-9]+)\/([0-9]+)$/.exec(position);
  if (esdb) return `${BigInt(esdb[1]!) + 1_000_000_000n}/${BigInt(esdb[2]!) + 1_000_000_000n}`;
  return (BigInt(position) + 1_000_000n).toString();
};

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export const describeReadConformance = (context: ConformanceContext): void => {
  const { store } = context;

  describe('reading', () => {
    it('reads a stream in revision order, from a revision, at most a given count', async () => {
      const stream = `${uniquePrefix('read')}service`;
      await store().appendToStream(stream, newEvents(5), expected.noStream);
      const all = (await store().readStream(stream))._unsafeUnwrap();
      expect(all.map((event) => (event.data as { index: number }).index)).toEqual([0, 1, 2, 3, 4]);
      const some = (await store().readStream(stream, { fromRevision: 1n, maxCount: 2 }))._unsafeUnwrap();
      expect(some.map((event) => event.revision)).toEqual([1n, 2n]);
      expect(all.every((event) => event.streamName === stream)).toBe(true);
    });

    it('reads no events from a stream that does not exist', async () => {
      expect((await store().readStream(`${uniquePrefix('read')}missing`))._unsafeUnwrap()).toEqual([]);
    });

    it('gives back data and metadata as JSON, with the time it stored the event', async () => {
      const stream = `${uniquePrefix('read')}service`;
      const data = {
        name: 'Herrenhaarschnitt',
        price: { amount: '35.00', currency: 'EUR' },
        tags: ['ä', '✂'],
      };
      const withMetadata = newEvent('ServiceEdited', data, { actor: 'admin@acme', requestId: 'r-1' });
      const withoutMetadata = newEvent('ServiceEdited', { at: new Date('2025-01-02T03:04:05Z') });
      await store().appendToStream(stream, [withMetadata, withoutMetadata], expected.noStream);
      const [first, second] = (await store().readStream(stream))._unsafeUnwrap();
      expect(first).toMatchObject({ id: withMetadata.id, type: 'ServiceEdited', data, revision: 0n });
      expect(first?.metadata).toEqual({ actor: 'admin@acme', requestId: 'r-1' });
      expect(first?.recordedAt).toMatch(ISO_8601);
      expect(second?.data).toEqual({ at: '2025-01-02T03:04:05.000Z' });
      expect(second?.metadata).toEqual({});
    });

    it('reads all streams in commit order after a position', async () => {
      const prefix = uniquePrefix('all');
      const start = (await store().headPosition())._unsafeUnwrap();
      for (let round = 0; round < 3; round += 1) {
        await store().appendToStream(`${prefix}a`, [newEvent('A', { round })], expected.any);
        await store().appendToStream(`${prefix}b`, newEvents(2, 'B'), expected.any);
      }
      const events = await readEverything(store(), { after: start, streamPrefixes: [prefix] });
      expect(events.map((event) => event.type)).toEqual(['A', 'B', 'B', 'A', 'B', 'B', 'A', 'B', 'B']);
      const sequences = events.map((event) => event.sequence);
      expect([...sequences].sort(compareSequence)).toEqual(sequences);
      expect(new Set(sequences).size).toBe(sequences.length);
      const afterThird = (
        await store().readAll({ after: events[2]?.position, streamPrefixes: [prefix] })
      )._unsafeUnwrap();
      expect(afterThird.map((event) => event.id)).toEqual(events.slice(3).map((event) => event.id));
    });

    it('stores a batch in order: read-all order and revision order agree', async () => {
      const stream = `${uniquePrefix('batch')}service`;
      const start = (await store().headPosition())._unsafeUnwrap();
      await store().appendToStream(stream, newEvents(50), expected.noStream);
      const inCommitOrder = await readEverything(store(), { after: start, streamPrefixes: [stream] });
      expect(inCommitOrder.map((event) => event.revision)).toEqual(
        Array.from({ length: 50 }, (_, i) => BigInt(i)),
      );
    });

    it('reads only the streams whose names start with one of the prefixes', async () => {
      const prefix = uniquePrefix('filter');
      const start = (await store().headPosition())._unsafeUnwrap();
      await store().appendToStream(`${prefix}service-1`, [newEvent('Service')], expected.any);
      await store().appendToStream(`${prefix}company-1`, [newEvent('Company')], expected.any);
      await store().appendToStream(`${prefix}booking-1`, [newEvent('Booking')], expected.any);
      await store().appendToStream(`${prefix}service_%`, [newEvent('Wildcard')], expected.any);
      const filtered = (
        await store().readAll({
          after: start,
          streamPrefixes: [`${prefix}service-`, `${prefix}company`],
        })
      )._unsafeUnwrap();
      expect(filtered.map((event) => event.type)).toEqual(['Service', 'Company']);
    });

    it.each([
      ['a field the store indexes', INDEXED_DATA_FIELD],
      ['a field without an index', 'owner'],
    ])(
      'reads only the events whose data holds a value at %s, in commit order, page by page',
      async (_, field) => {
        const prefix = uniquePrefix('where');
        const start = (await store().headPosition())._unsafeUnwrap();
        const tagged = (value: unknown, round: number) => newEvent('Tagged', { [field]: value, round });
        for (let round = 0; round < 3; round += 1) {
          await store().appendToStream(`${prefix}service-1`, [tagged('acme', round)], expected.any);
          await store().appendToStream(`${prefix}service-2`, [tagged('globex', round)], expected.any);
          await store().appendToStream(`${prefix}company-1`, [tagged('acme', round)], expected.any);
        }
        // Look-alikes that must not match: another type, nested, absent, a prefix of the value.
        await store().appendToStream(
          `${prefix}service-3`,
          [
            newEvent('Number', { [field]: 7 }),
            newEvent('Nested', { inner: { [field]: 'acme' } }),
            newEvent('Absent', { other: 'acme' }),
            newEvent('Longer', { [field]: 'acme-2' }),
            newEvent('Array', ['acme']),
          ],
          expected.any,
        );
        const where = { dataField: field, equals: 'acme' };
        const services = [`${prefix}service-`];
        const all = (
          await store().readAll({ after: start, streamPrefixes: services, where })
        )._unsafeUnwrap();
        expect(all.map((event) => [event.streamName, (event.data as { round: number }).round])).toEqual([
          [`${prefix}service-1`, 0],
          [`${prefix}service-1`, 1],
          [`${prefix}service-1`, 2],
        ]);
        const first = (
          await store().readAll({ after: start, streamPrefixes: [prefix], where, maxCount: 2 })
        )._unsafeUnwrap();
        const rest = (
          await store().readAll({ after: first.at(-1)?.position, streamPrefixes: [prefix], where })
        )._unsafeUnwrap();
        expect([...first, ...rest].map((event) => event.streamName)).toEqual([
          `${prefix}service-1`,
          `${prefix}company-1`,
          `${prefix}service-1`,
          `${prefix}company-1`,
          `${prefix}service-1`,
          `${prefix}company-1`,
        ]);
        const nobody = { dataField: field, equals: `${prefix}nobody` };
        expect((await store().readAll({ after: start, where: nobody }))._unsafeUnwrap()).toEqual([]);
        const badCursor = await store().readAll({ after: 'not-a-position', where });
        expect(badCursor._unsafeUnwrapErr().code).toBe('EVENTSTORE.INVALID_POSITION');
      },
    );

    it('reads at most 1,000 events unless told otherwise, and pages on with the last position', async () => {
      const stream = `${uniquePrefix('page')}service`;
      const start = (await store().headPosition())._unsafeUnwrap();
      await store().appendToStream(stream, newEvents(1005), expected.noStream);
      const firstPage = (await store().readAll({ after: start, streamPrefixes: [stream] }))._unsafeUnwrap();
      expect(firstPage).toHaveLength(1000);
      const rest = (
        await store().readAll({ after: firstPage.at(-1)?.position, streamPrefixes: [stream] })
      )._unsafeUnwrap();
      expect(rest.map((event) => event.revision)).toEqual([1000n, 1001n, 1002n, 1003n, 1004n]);
      expect(
        (await store().readAll({ after: start, streamPrefixes: [stream], maxCount: 7 }))._unsafeUnwrap(),
      ).toHaveLength(7);
    });

    it('knows the position of the last committed event', async () => {
      const stream = `${uniquePrefix('head')}service`;
      const result = (await store().appendToStream(stream, newEvents(2), expected.noStream))._unsafeUnwrap();
      expect((await store().headPosition())._unsafeUnwrap()).toBe(result.position);
    });

    it.runIf(context.freshStoreIsEmpty)('has no head position and no events while empty', async () => {
      const fresh = await context.openFreshStore();
      try {
        expect((await fresh.headPosition())._unsafeUnwrap()).toBeUndefined();
        expect((await fresh.readAll())._unsafeUnwrap()).toEqual([]);
      } finally {
        await fresh.close();
      }
    });

    it('stores and overwrites named checkpoints', async () => {
      const name = uniquePrefix('checkpoint');
      expect((await store().checkpoints.load(name))._unsafeUnwrap()).toBeUndefined();
      const stream = `${name}service`;
      const first = (await store().appendToStream(stream, newEvents(1), expected.noStream))._unsafeUnwrap();
      const second = (await store().appendToStream(stream, newEvents(1), expected.exact(0n)))._unsafeUnwrap();
      (await store().checkpoints.store(name, first.position))._unsafeUnwrap();
      expect((await store().checkpoints.load(name))._unsafeUnwrap()).toBe(first.position);
      (await store().checkpoints.store(name, second.position))._unsafeUnwrap();
      expect((await store().checkpoints.load(name))._unsafeUnwrap()).toBe(second.position);
    });

    it('keeps checkpoints apart by name', async () => {
      const name = uniquePrefix('checkpoint');
      const appended = (
        await store().appendToStream(`${name}service`, newEvents(1), expected.noStream)
      )._unsafeUnwrap();
      (await store().checkpoints.store(`${name}a`, appended.position))._unsafeUnwrap();
      expect((await store().checkpoints.load(`${name}a`))._unsafeUnwrap()).toBe(appended.position);
      expect((await store().checkpoints.load(`${name}b`))._unsafeUnwrap()).toBeUndefined();
    });

    it.each(['not-a-position', '', '-1', '1.5', '12/x'])(
      'refuses to read all after %j, a position it never issued, as an invalid position',
      async (after) => {
        const refused = (await store().readAll({ after }))._unsafeUnwrapErr();
        expect(refused).toMatchObject({ code: 'EVENTSTORE.INVALID_POSITION', position: after });
        if (after !== '') expect(refused.message).not.toContain(after);
      },
    );

    it('refuses to read all after a well-formed position beyond its newest event', async () => {
      await store().appendToStream(`${uniquePrefix('beyond')}service`, newEvents(1), expected.noStream);
      const head = (await store().headPosition())._unsafeUnwrap();
      const refused = await store().readAll({ after: beyond(head ?? '0') });
      expect(refused._unsafeUnwrapErr().code).toBe('EVENTSTORE.INVALID_POSITION');
      // The newest event's own position is known: nothing after it, and no error.
      expect((await store().readAll({ after: head }))._unsafeUnwrap()).toEqual([]);
    });

    it('answers a readiness ping and names its engine', async () => {
      expect(await store().ping()).toBe(true);
      expect(store().engine).toMatch(/^(memory|pglite|postgres|esdb)$/);
    });
  });
};
