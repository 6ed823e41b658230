import { describe, expect, it } from 'vitest';
import { expected } from '../src/index.js';
import {
  type ConformanceContext,
  deferred,
  newEvent,
  newEvents,
  readEverything,
  recordingSubscriber,
  uniquePrefix,
} from './conformance-fixture.js';

export const describeSubscriptionConformance = ({ store }: ConformanceContext): void => {
  describe('subscribing', () => {
    it('catches up on stored events, then receives live ones, in read-all order', async () => {
      const prefix = uniquePrefix('live');
      await store().appendToStream(`${prefix}a`, newEvents(3), expected.noStream);
      const caughtUpAt: (string | undefined)[] = [];
      const { subscription, received } = recordingSubscriber(store(), {
        streamPrefixes: [prefix],
        onCaughtUp: (position) => caughtUpAt.push(position),
      });
      await subscription.caughtUp();
      expect(received).toHaveLength(3);
      expect(caughtUpAt.length).toBeGreaterThan(0);
      await store().appendToStream(`${prefix}b`, newEvents(2), expected.noStream);
      await store().appendToStream(`${prefix}a`, newEvents(1), expected.exact(2n));
      await subscription.caughtUp();
      await subscription.stop();
      const stored = await readEverything(store(), { streamPrefixes: [prefix] });
      expect(received.map((event) => event.id)).toEqual(stored.map((event) => event.id));
      expect(subscription.lastPosition).toBe(stored.at(-1)?.position);
    });

    it('reaches a position another writer returned, also one of a stream it filters out', async () => {
      const prefix = uniquePrefix('reached');
      const { subscription, received } = recordingSubscriber(store(), {
        streamPrefixes: [`${prefix}service-`],
      });
      await subscription.caughtUp();
      const wanted = (
        await store().appendToStream(`${prefix}service-1`, [newEvent('Wanted')], expected.any)
      )._unsafeUnwrap();
      await subscription.reached(wanted.position);
      expect(received.map((event) => event.type)).toEqual(['Wanted']);
      const other = (
        await store().appendToStream(`${prefix}booking-1`, [newEvent('Unwanted')], expected.any)
      )._unsafeUnwrap();
      await subscription.reached(other.position);
      await subscription.reached(wanted.position);
      await expect(subscription.reached('not a position')).rejects.toMatchObject({
        code: 'EVENTSTORE.INVALID_POSITION',
      });
      if (store().engine !== 'esdb') {
        // Beyond the newest event: a token of another store, refused rather than waited for.
        await expect(subscription.reached('99999999999')).rejects.toMatchObject({
          code: 'EVENTSTORE.INVALID_POSITION',
        });
      }
      await subscription.stop();
    });

    it('hands over only events of streams with its prefixes', async () => {
      const prefix = uniquePrefix('prefix');
      const { subscription, received } = recordingSubscriber(store(), {
        streamPrefixes: [`${prefix}service-`],
      });
      await store().appendToStream(`${prefix}service-1`, [newEvent('Wanted')], expected.any);
      await store().appendToStream(`${prefix}booking-1`, [newEvent('Unwanted')], expected.any);
      await subscription.caughtUp();
      await store().appendToStream(`${prefix}booking-2`, [newEvent('Unwanted')], expected.any);
      // Catching up past events it does not want must not wait for one it would want.
      await subscription.caughtUp();
      await subscription.stop();
      expect(received.map((event) => event.type)).toEqual(['Wanted']);
    });

    it('starts after a given position', async () => {
      const prefix = uniquePrefix('after');
      const first = (
        await store().appendToStream(`${prefix}a`, newEvents(2), expected.noStream)
      )._unsafeUnwrap();
      await store().appendToStream(`${prefix}a`, [newEvent('Later')], expected.exact(1n));
      const { subscription, received } = recordingSubscriber(store(), {
        streamPrefixes: [prefix],
        after: first.position,
      });
      await subscription.caughtUp();
      await subscription.stop();
      expect(received.map((event) => event.type)).toEqual(['Later']);
    });

    it('resumes from its checkpoint after the last handled event', async () => {
      const prefix = uniquePrefix('resume');
      const checkpointName = `${prefix}projector`;
      await store().appendToStream(`${prefix}a`, newEvents(3), expected.noStream);
      const first = recordingSubscriber(store(), { streamPrefixes: [prefix], checkpointName });
      await first.subscription.caughtUp();
      await first.subscription.stop();
      expect((await store().checkpoints.load(checkpointName))._unsafeUnwrap()).toBe(
        first.received.at(-1)?.position,
      );

      await store().appendToStream(`${prefix}a`, newEvents(2, 'AfterRestart'), expected.exact(2n));
      const second = recordingSubscriber(store(), { streamPrefixes: [prefix], checkpointName });
      await second.subscription.caughtUp();
      await second.subscription.stop();
      expect(second.received.map((event) => event.type)).toEqual(['AfterRestart', 'AfterRestart']);
    });

    it('stops when its handler fails, reports the failure and does not checkpoint that event', async () => {
      const prefix = uniquePrefix('failing');
      const checkpointName = `${prefix}projector`;
      await store().appendToStream(
        `${prefix}a`,
        [newEvent('Fine'), newEvent('Poison'), newEvent('Never')],
        expected.any,
      );
      const failure = new Error('projection bug');
      const { subscription, received, errors } = recordingSubscriber(
        store(),
        { streamPrefixes: [prefix], checkpointName },
        (event) => {
          if (event.type === 'Poison') throw failure;
        },
      );
      await expect(subscription.caughtUp()).rejects.toBe(failure);
      await subscription.stop();
      expect(errors).toEqual([failure]);
      expect(received.map((event) => event.type)).toEqual(['Fine', 'Poison']);
      expect((await store().checkpoints.load(checkpointName))._unsafeUnwrap()).toBe(received[0]?.position);
    });

    it('stops and reports an invalid position when told to start after a position it never issued', async () => {
      const prefix = uniquePrefix('badstart');
      await store().appendToStream(`${prefix}a`, [newEvent('Stored')], expected.any);
      const { subscription, received, errors } = recordingSubscriber(store(), {
        streamPrefixes: [prefix],
        after: 'not-a-position',
      });
      await expect(subscription.caughtUp()).rejects.toMatchObject({ code: 'EVENTSTORE.INVALID_POSITION' });
      await subscription.stop();
      expect(errors).toMatchObject([{ code: 'EVENTSTORE.INVALID_POSITION' }]);
      expect(received).toEqual([]);
    });

    it('is caught up at once when there is nothing for it', async () => {
      const prefix = uniquePrefix('idle');
      const { subscription, received } = recordingSubscriber(store(), {
        streamPrefixes: [prefix],
        after: (await store().headPosition())._unsafeUnwrap(),
      });
      await subscription.caughtUp();
      await subscription.stop();
      expect(received).toEqual([]);
    });

    it('waits for the handler in flight when stopped, then hands over nothing more', async () => {
      const prefix = uniquePrefix('stop');
      await store().appendToStream(`${prefix}a`, newEvents(3), expected.noStream);
      const entered = deferred();
      const release = deferred();
      let finished = 0;
      const { subscription, received } = recordingSubscriber(
        store(),
        { streamPrefixes: [prefix] },
        async () => {
          entered.resolve();
          await release.promise;
          finished += 1;
        },
      );
      await entered.promise;
      const stopped = subscription.stop();
      release.resolve();
      await stopped;
      expect(finished).toBe(1);
      await store().appendToStream(`${prefix}a`, newEvents(1), expected.exact(2n));
      expect(received).toHaveLength(1);
    });
  });
};
