import { afterAll, beforeAll, describe } from 'vitest';
import type { EventStore } from '../src/index.js';
import { describeAppendConformance } from './conformance-append.js';
import { describeConcurrencyConformance } from './conformance-concurrency.js';
import type { ConformanceContext } from './conformance-fixture.js';
import { describeReadConformance } from './conformance-read.js';
import { describeSubscriptionConformance } from './conformance-subscription.js';

export interface ConformanceOptions {
  /** A one-line reason why the engine cannot run here; the suite is skipped with it. */
  skipReason?: string | undefined;
  /** False when fresh storage still holds others' events (e.g. a shared ESDB server). */
  freshStoreIsEmpty?: boolean;
  /** Scale of the concurrent-writers test; 8 writers × 2,000 events by default. */
  concurrency?: { writers: number; eventsPerWriter: number };
}

/**
 * The EventStore port's contract, run against one engine. `openStore` opens a store on
 * fresh storage every time it is called; the suite closes every store it opened.
 */
export const describeEventStoreConformance = (
  engine: string,
  openStore: () => Promise<EventStore>,
  options: ConformanceOptions = {},
): void => {
  const title = options.skipReason
    ? `${engine} event store (skipped: ${options.skipReason})`
    : `${engine} event store`;
  describe.skipIf(options.skipReason !== undefined)(title, () => {
    let store: EventStore | undefined;
    beforeAll(async () => {
      store = await openStore();
    });
    afterAll(async () => {
      await store?.close();
    });
    const context: ConformanceContext = {
      store: () => {
        if (!store) throw new Error('The store under test did not open');
        return store;
      },
      openFreshStore: openStore,
      freshStoreIsEmpty: options.freshStoreIsEmpty ?? true,
      concurrency: options.concurrency ?? { writers: 8, eventsPerWriter: 2000 },
    };
    describeAppendConformance(context);
    describeReadConformance(context);
    describeSubscriptionConformance(context);
    describeConcurrencyConformance(context);
  });
};
