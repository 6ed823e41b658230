import { describe, expect, it } from 'vitest';
import {
  expected,
  storeEventLimits,
  type UnstorableEvent,
  type WrongExpectedRevision,
} from '../src/index.js';
import { type ConformanceContext, newEvent, newEvents, uniquePrefix } from './conformance-fixture.js';

/** `levels` arrays inside each other, built without recursion: [[[...[]...]]]. */
const nestedArrays = (levels: number): unknown => {
  let value: unknown = [];
  for (let level = 1; level < levels; level += 1) value = [value];
  return value;
};

const conflict = (
  streamName: string,
  expectedRevision: WrongExpectedRevision['expected'],
  actual: bigint,
): Partial<WrongExpectedRevision> => ({
  code: 'EVENTSTORE.WRONG_EXPECTED_REVISION',
  streamName,
  expected: expectedRevision,
  actual,
});

export const describeAppendConformance = ({ store }: ConformanceContext): void => {
  describe('appending', () => {
    it('starts a new stream at revision 0 and reports the next expected revision', async () => {
      const stream = `${uniquePrefix('append')}service`;
      const result = (await store().appendToStream(stream, newEvents(3), expected.noStream))._unsafeUnwrap();
      expect(result.nextExpectedRevision).toBe(2n);
      expect(result.written).toBe(3);
      const events = (await store().readStream(stream))._unsafeUnwrap();
      expect(events.map((event) => event.revision)).toEqual([0n, 1n, 2n]);
      expect(result.position).toBe(events[2]?.position);
    });

    it('accepts the exact revision the writer saw', async () => {
      const stream = `${uniquePrefix('append')}service`;
      await store().appendToStream(stream, newEvents(2), expected.noStream);
      const result = await store().appendToStream(stream, newEvents(1), expected.exact(1n));
      expect(result._unsafeUnwrap().nextExpectedRevision).toBe(2n);
    });

    it('rejects a stale revision with one typed error carrying expected and actual revision', async () => {
      const stream = `${uniquePrefix('append')}service`;
      await store().appendToStream(stream, newEvents(3), expected.noStream);
      const result = await store().appendToStream(stream, newEvents(1), expected.exact(0n));
      expect(result._unsafeUnwrapErr()).toMatchObject(conflict(stream, expected.exact(0n), 2n));
      expect((await store().readStream(stream))._unsafeUnwrap()).toHaveLength(3);
    });

    it('rejects "no stream" when the stream exists and "stream exists" when it does not', async () => {
      const prefix = uniquePrefix('append');
      await store().appendToStream(`${prefix}existing`, newEvents(1), expected.noStream);
      const onExisting = await store().appendToStream(`${prefix}existing`, newEvents(1), expected.noStream);
      expect(onExisting._unsafeUnwrapErr()).toMatchObject(
        conflict(`${prefix}existing`, expected.noStream, 0n),
      );
      const onMissing = await store().appendToStream(`${prefix}missing`, newEvents(1), expected.streamExists);
      expect(onMissing._unsafeUnwrapErr()).toMatchObject(
        conflict(`${prefix}missing`, expected.streamExists, -1n),
      );
      const exactOnMissing = await store().appendToStream(
        `${prefix}missing`,
        newEvents(1),
        expected.exact(0n),
      );
      expect(exactOnMissing._unsafeUnwrapErr()).toMatchObject({ actual: -1n });
    });

    it('appends at any revision when the writer expects any', async () => {
      const stream = `${uniquePrefix('append')}service`;
      expect((await store().appendToStream(stream, newEvents(1), expected.any)).isOk()).toBe(true);
      expect((await store().appendToStream(stream, newEvents(1), expected.any)).isOk()).toBe(true);
      const existing = await store().appendToStream(stream, newEvents(1), expected.streamExists);
      expect(existing._unsafeUnwrap().nextExpectedRevision).toBe(2n);
    });

    it('does not store an event twice when a writer retries an append that succeeded', async () => {
      const stream = `${uniquePrefix('append')}service`;
      const events = newEvents(2);
      const first = (await store().appendToStream(stream, events, expected.noStream))._unsafeUnwrap();
      const retry = (await store().appendToStream(stream, events, expected.noStream))._unsafeUnwrap();
      expect(retry).toEqual({ nextExpectedRevision: 1n, position: first.position, written: 0 });
      expect((await store().readStream(stream))._unsafeUnwrap().map((event) => event.id)).toEqual(
        events.map((e) => e.id),
      );
    });

    it('stores only the new events of a batch that overlaps stored ones', async () => {
      const stream = `${uniquePrefix('append')}service`;
      const [stored, fresh] = newEvents(2);
      await store().appendToStream(stream, [stored!], expected.noStream);
      const result = (
        await store().appendToStream(stream, [stored!, fresh!], expected.exact(0n))
      )._unsafeUnwrap();
      expect(result).toMatchObject({ nextExpectedRevision: 1n, written: 1 });
      expect((await store().readStream(stream))._unsafeUnwrap().map((event) => event.id)).toEqual([
        stored!.id,
        fresh!.id,
      ]);
    });

    it('stores an id repeated within one batch once, and the same id in two streams twice', async () => {
      const prefix = uniquePrefix('append');
      const event = newEvent('Repeated');
      const result = (
        await store().appendToStream(`${prefix}a`, [event, event], expected.any)
      )._unsafeUnwrap();
      expect(result.written).toBe(1);
      await store().appendToStream(`${prefix}b`, [event], expected.any);
      expect((await store().readStream(`${prefix}a`))._unsafeUnwrap()).toHaveLength(1);
      expect((await store().readStream(`${prefix}b`))._unsafeUnwrap()).toHaveLength(1);
    });

    it('checks the expected revision of an empty append and stores nothing', async () => {
      const stream = `${uniquePrefix('append')}service`;
      await store().appendToStream(stream, newEvents(2), expected.noStream);
      const matching = (await store().appendToStream(stream, [], expected.exact(1n)))._unsafeUnwrap();
      expect(matching).toMatchObject({ nextExpectedRevision: 1n, written: 0 });
      const stale = await store().appendToStream(stream, [], expected.noStream);
      expect(stale._unsafeUnwrapErr()).toMatchObject({ actual: 1n });
    });

    it('refuses a malformed event as a programming error', () => {
      const malformed = [{ id: 'not-a-uuid', type: 'Broken', data: {} }];
      expect(() => store().appendToStream('malformed', malformed, expected.any)).toThrow(TypeError);
    });

    describe('refusing what no engine can store', () => {
      const refusal = async (
        stream: string,
        events: Parameters<ReturnType<ConformanceContext['store']>['appendToStream']>[1],
      ): Promise<UnstorableEvent> => {
        const result = await store().appendToStream(stream, events, expected.any);
        const error = result._unsafeUnwrapErr();
        expect(error.code).toBe('EVENTSTORE.UNSTORABLE_EVENT');
        expect((await store().readStream(stream))._unsafeUnwrap()).toEqual([]);
        return error as UnstorableEvent;
      };

      it('refuses a NUL character in event data, naming where it is but not what it says', async () => {
        const stream = `${uniquePrefix('unstorable')}service`;
        const error = await refusal(stream, [
          newEvent('Fine'),
          newEvent('Named', { title: { de: 'secret\u0000tail' } }),
        ]);
        expect(error).toMatchObject({ eventIndex: 1, path: 'data.title.de', problem: 'unstorable_text' });
        expect(error.message).toContain('data.title.de');
        expect(error.message).not.toContain('secret');
      });

      it('refuses a lone surrogate in a key of the metadata and in the event type', async () => {
        const stream = `${uniquePrefix('unstorable')}service`;
        const inKey = await refusal(stream, [newEvent('Named', {}, { 'bad\uD800key': 1 })]);
        expect(inKey).toMatchObject({ eventIndex: 0, problem: 'unstorable_text' });
        expect(inKey.path.startsWith('metadata')).toBe(true);
        expect(inKey.message.isWellFormed()).toBe(true);
        const inType = await refusal(stream, [newEvent('Named\uDC00')]);
        expect(inType).toMatchObject({ path: 'type', problem: 'unstorable_text' });
      });

      it('refuses nesting beyond the store bound and keeps the one just within it', async () => {
        const stream = `${uniquePrefix('unstorable')}service`;
        const error = await refusal(stream, [newEvent('Deep', nestedArrays(storeEventLimits.maxDepth + 1))]);
        expect(error).toMatchObject({ problem: 'too_deep' });
        expect(error.message).toContain(`${storeEventLimits.maxDepth} levels`);
        const within = await store().appendToStream(
          stream,
          [newEvent('Deep', nestedArrays(storeEventLimits.maxDepth))],
          expected.any,
        );
        expect(within._unsafeUnwrap().written).toBe(1);
      });

      it('refuses 10,000 levels of nesting without overflowing the stack, and keeps working', async () => {
        const stream = `${uniquePrefix('unstorable')}service`;
        const error = await refusal(stream, [newEvent('Deep', { nested: nestedArrays(10_000) })]);
        expect(error).toMatchObject({ problem: 'too_deep' });
        expect(error.message.length).toBeLessThan(400);
        const after = await store().appendToStream(stream, newEvents(1), expected.any);
        expect(after._unsafeUnwrap().written).toBe(1);
      });

      it('refuses an event larger than the store bound', async () => {
        const stream = `${uniquePrefix('unstorable')}service`;
        const error = await refusal(stream, [
          newEvent('Big', { blob: 'x'.repeat(storeEventLimits.maxChars + 1) }),
        ]);
        expect(error).toMatchObject({ eventIndex: 0, problem: 'too_large' });
      });

      it('stores none of an append when one of its events is unstorable', async () => {
        const stream = `${uniquePrefix('unstorable')}service`;
        const error = await refusal(stream, [...newEvents(3), newEvent('Bad', { text: '\u0000' })]);
        expect(error.eventIndex).toBe(3);
      });
    });

    it('lets exactly one of two writers racing at the same revision win', async () => {
      const stream = `${uniquePrefix('race')}service`;
      let revision = -1n;
      for (let round = 0; round < 20; round += 1) {
        const expectation = expected.exact(revision);
        const [left, right] = await Promise.all([
          store().appendToStream(stream, [newEvent('Left', { round })], expectation),
          store().appendToStream(stream, [newEvent('Right', { round })], expectation),
        ]);
        const winners = [left, right].filter((result) => result.isOk());
        const losers = [left, right].filter((result) => result.isErr());
        expect(winners).toHaveLength(1);
        expect(losers[0]?._unsafeUnwrapErr()).toMatchObject(conflict(stream, expectation, revision + 1n));
        revision += 1n;
      }
      const events = (await store().readStream(stream))._unsafeUnwrap();
      expect(events.map((event) => event.revision)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)));
    });
  });
};
