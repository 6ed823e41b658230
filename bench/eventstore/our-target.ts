import { randomUUID } from 'node:crypto';
import { type EventStore, expected } from '@calsync/eventstore';
import { type BenchTarget, benchEventData, benchEventMetadata } from './bench-target.js';

/** Drives one of our engines through the EventStore port only. */
export const ourTarget = (name: string, store: EventStore): BenchTarget => {
  let counter = 0;
  return {
    name,
    append: async (stream, count) => {
      const events = Array.from({ length: count }, () => ({
        id: randomUUID(),
        type: 'ServiceEdited',
        data: benchEventData(counter++),
        metadata: benchEventMetadata,
      }));
      (await store.appendToStream(stream, events, expected.any))._unsafeUnwrap();
    },
    readAll: async () => {
      let read = 0;
      let after: string | undefined;
      for (;;) {
        const page = (await store.readAll({ after, maxCount: 1000 }))._unsafeUnwrap();
        read += page.length;
        if (page.length < 1000) return read;
        after = page.at(-1)?.position;
      }
    },
    catchUp: async (checkpointName) => {
      let handled = 0;
      const subscription = store.subscribe({
        checkpointName,
        handler: async () => {
          handled += 1;
        },
      });
      await subscription.caughtUp();
      await subscription.stop();
      return handled;
    },
    close: () => store.close(),
  };
};
