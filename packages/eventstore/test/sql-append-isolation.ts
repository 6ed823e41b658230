import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type EventStore, expected } from '../src/index.js';
import { newEvent, uniquePrefix } from './conformance-fixture.js';

/**
 * A stream name the engine itself refuses although it passes every check before it: 6,000
 * random characters do not compress below PostgreSQL's btree row limit (2,704 bytes), so
 * the unique index on (stream_name, revision) fails the whole transaction.
 */
const streamNameTheEngineRefuses = (): string => randomBytes(4_500).toString('base64');

/** For the PostgreSQL engines (PGlite and server), whose appends share one call. */
export const describeAppendIsolation = (
  engine: string,
  openStore: () => Promise<EventStore>,
  skipReason?: string,
) =>
  describe.skipIf(skipReason !== undefined)(
    `${engine}: an append the engine refuses${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    () => {
      it('fails alone: the 200 valid appends queued with it are all stored', async () => {
        const store = await openStore();
        try {
          const prefix = uniquePrefix('isolation');
          // Hold the batcher on one append, so that all 201 queue up behind it and go together.
          const first = store.appendToStream(`${prefix}first`, [newEvent('Opened')], expected.noStream);
          const valid = Array.from({ length: 200 }, (_, index) =>
            store.appendToStream(`${prefix}${index}`, [newEvent('Edited', { index })], expected.noStream),
          );
          const poisoned = store.appendToStream(
            streamNameTheEngineRefuses(),
            [newEvent('Edited')],
            expected.any,
          );
          const [firstResult, poisonedResult, ...validResults] = await Promise.all([
            first,
            poisoned,
            ...valid,
          ]);
          expect(firstResult.isOk()).toBe(true);
          expect(poisonedResult.isErr()).toBe(true);
          expect(validResults.filter((result) => result.isOk())).toHaveLength(200);
          const stored = (await store.readAll({ streamPrefixes: [prefix], maxCount: 1000 }))._unsafeUnwrap();
          expect(stored).toHaveLength(201);
          expect(await store.ping()).toBe(true);
        } finally {
          await store.close();
        }
      });
    },
  );
