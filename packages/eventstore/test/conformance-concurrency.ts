import { describe, expect, it } from 'vitest';
import { type EventStore, expected, type RecordedEvent } from '../src/index.js';
import {
  type ConformanceContext,
  deferred,
  newEvent,
  readEverything,
  uniquePrefix,
} from './conformance-fixture.js';

const STREAMS = 12;

/** Appends `count` events in batches of 1–4 to streams shared with the other writers. */
const write = async (store: EventStore, prefix: string, writer: number, count: number): Promise<void> => {
  let written = 0;
  let batch = 0;
  while (written < count) {
    const size = Math.min(count - written, 1 + ((writer + batch) % 4));
    const stream = `${prefix}service-${(writer * 7 + batch) % STREAMS}`;
    const events = Array.from({ length: size }, (_, index) =>
      newEvent('Written', { writer, n: written + index }),
    );
    (await store.appendToStream(stream, events, expected.any))._unsafeUnwrap();
    written += size;
    batch += 1;
  }
};

export const describeConcurrencyConformance = ({ store, concurrency }: ConformanceContext): void => {
  const { writers, eventsPerWriter } = concurrency;
  const total = writers * eventsPerWriter;

  describe('under concurrent writers', () => {
    it(`hands ${writers} writers × ${eventsPerWriter} events to a subscriber exactly once, in read-all order, resuming from its checkpoint after a stop halfway`, async () => {
      const prefix = uniquePrefix('concurrent');
      const checkpointName = `${prefix}projector`;
      const start = (await store().headPosition())._unsafeUnwrap();
      const received: RecordedEvent[] = [];
      const halfway = deferred();
      const subscribe = () =>
        store().subscribe({
          streamPrefixes: [prefix],
          checkpointName,
          after: start,
          handler: async (event) => {
            received.push(event);
            if (received.length === total / 2) halfway.resolve();
          },
        });

      const first = subscribe();
      const writing = Promise.all(
        Array.from({ length: writers }, (_, writer) => write(store(), prefix, writer, eventsPerWriter)),
      );
      await halfway.promise;
      await first.stop();
      const handledBeforeStop = received.length;
      expect((await store().checkpoints.load(checkpointName))._unsafeUnwrap()).toBe(
        received.at(-1)?.position,
      );

      const resumed = subscribe();
      await writing;
      await resumed.caughtUp();
      await resumed.stop();

      const stored = await readEverything(store(), { after: start, streamPrefixes: [prefix] });
      expect(stored).toHaveLength(total);
      expect(handledBeforeStop).toBeGreaterThanOrEqual(total / 2);
      expect(received.map((event) => event.id)).toEqual(stored.map((event) => event.id));
      expect(new Set(received.map((event) => event.id)).size).toBe(total);
      for (let stream = 0; stream < STREAMS; stream += 1) {
        const revisions = stored
          .filter((e) => e.streamName === `${prefix}service-${stream}`)
          .map((e) => e.revision);
        expect(revisions).toEqual(revisions.map((_, index) => BigInt(index)));
      }
    }, 60_000);
  });
};
