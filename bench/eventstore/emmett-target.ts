import { dumbo } from '@event-driven-io/dumbo';
import {
  getPostgreSQLEventStore,
  postgreSQLEventStoreConsumer,
  readMessagesBatch,
} from '@event-driven-io/emmett-postgresql';
import { type BenchTarget, benchEventData, benchEventMetadata } from './bench-target.js';

/**
 * Emmett's PostgreSQL event store on the same server: the baseline. Appends go through
 * its event store, read-all through its batch reader, catch-up through its consumer
 * with a reactor (Emmett's own checkpointed subscriber).
 */
export const emmettTarget = (connectionString: string): BenchTarget => {
  const store = getPostgreSQLEventStore(connectionString);
  const pool = dumbo({ connectionString });
  let counter = 0;
  return {
    name: 'emmett',
    append: async (stream, count) => {
      const events = Array.from({ length: count }, () => ({
        type: 'ServiceEdited',
        data: benchEventData(counter++),
        metadata: benchEventMetadata,
      }));
      await store.appendToStream(stream, events);
    },
    readAll: async () => {
      let read = 0;
      let after = 0n;
      for (;;) {
        const batch = await readMessagesBatch(pool.execute, { after, batchSize: 1000 });
        read += batch.messages.length;
        if (!batch.areMessagesLeft || batch.messages.length === 0) return read;
        after = batch.currentGlobalPosition;
      }
    },
    catchUp: async (checkpointName) => {
      let handled = 0;
      const consumer = postgreSQLEventStoreConsumer({
        connectionString,
        pulling: { batchSize: 1000, pullingFrequencyInMs: 0 },
        stopWhen: { noMessagesLeft: true },
      });
      consumer.reactor({
        processorId: checkpointName,
        eachMessage: async () => {
          handled += 1;
        },
      });
      await consumer.start();
      await consumer.close();
      return handled;
    },
    close: async () => {
      await store.close();
      await pool.close();
    },
  };
};
