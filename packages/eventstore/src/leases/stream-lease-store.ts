import { randomUUID } from 'node:crypto';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import { z } from 'zod';
import { storeUnavailable } from '../errors.js';
import type { EventStore, LeaseStore, RecordedEvent, StoreFailure } from '../port.js';
import { expected } from '../port.js';

/**
 * Leases kept on streams with expected revisions (docs/operations.md, "Several instances"), for
 * engines without session locks (KurrentDB). Each lease is a stream `calsync-lease-<name>`: a
 * holder appends `LeaseHeld { session, expiresAt }` at the revision it read, so of two takers
 * exactly one succeeds, and renews it by appending again at its own last revision; a conflict
 * means another session took it (the lease is lost). A lease whose last event expired (or says
 * `LeaseReleased`) is free. Members announce themselves the same way on `calsync-lease-members`.
 * Expiry is judged by this process's clock: the clocks of the instances must agree within a
 * fraction of the session timeout (NTP does far better).
 */
export interface StreamLeaseStoreOptions {
  /** A lease not renewed for this long is free. */
  sessionTimeoutMs: number;
  now?: () => number;
  newId?: () => string;
  /** Called once per lease stream this process creates (KurrentDB sets `$maxCount` there). */
  onStreamCreated?: (stream: string) => Promise<void>;
}

export const LEASE_STREAM_PREFIX = 'calsync-lease-';
export const LEASE_MEMBERS_STREAM = `${LEASE_STREAM_PREFIX}members`;
const MEMBERS_STREAM = LEASE_MEMBERS_STREAM;
/** The last events of a lease stream read to find its holder (older ones are history). */
const TAIL = 8;
/** The members stream's events read to count members (one per member per renewal). */
const MEMBERS_TAIL = 200;

const leaseEventSchema = z.object({ session: z.string().min(1), expiresAt: z.number() });
type LeaseFact = { type: 'LeaseHeld' | 'LeaseReleased'; session: string; expiresAt: number };

const factOf = (event: RecordedEvent): LeaseFact | null => {
  if (event.type !== 'LeaseHeld' && event.type !== 'LeaseReleased') return null;
  const data = leaseEventSchema.safeParse(event.data);
  return data.success ? { type: event.type, ...data.data } : null;
};

export const createStreamLeaseStore = (
  store: Pick<EventStore, 'appendToStream' | 'readStream'>,
  options: StreamLeaseStoreOptions,
): LeaseStore => {
  const now = options.now ?? Date.now;
  const newId = options.newId ?? randomUUID;
  const session = newId();
  /** Each held lease and the revision of its stream after our last append. */
  const held = new Map<string, bigint>();
  const names = new Set<string>();
  const lostListeners = new Set<() => void>();
  const created = new Set<string>();

  const streamOf = (name: string) => `${LEASE_STREAM_PREFIX}${name}`;

  /** The last revision of a stream and its newest readable fact. */
  const readTail = (
    stream: string,
  ): ResultAsync<{ revision: bigint; fact: LeaseFact | null }, StoreFailure> =>
    store.readStream(stream).map((events) => {
      const last = events.at(-1);
      let fact: LeaseFact | null = null;
      for (const event of events.slice(-TAIL)) fact = factOf(event) ?? fact;
      return { revision: last ? last.revision : -1n, fact };
    });

  const append = (
    stream: string,
    type: LeaseFact['type'],
    revision: bigint,
  ): ResultAsync<bigint | null, StoreFailure> =>
    store
      .appendToStream(
        stream,
        [{ id: newId(), type, data: { session, expiresAt: now() + options.sessionTimeoutMs } }],
        expected.exact(revision),
      )
      .map((appended): bigint | null => appended.nextExpectedRevision)
      .orElse((error) => {
        if (error.code === 'EVENTSTORE.WRONG_EXPECTED_REVISION') return okAsync(null);
        if (error.code === 'EVENTSTORE.UNSTORABLE_EVENT') return errAsync(storeUnavailable(error.message));
        return errAsync(error);
      })
      .andThen((next) => {
        if (next === null || revision >= 0n || created.has(stream) || !options.onStreamCreated)
          return okAsync(next);
        created.add(stream);
        const hook = options.onStreamCreated;
        return ResultAsync.fromPromise(hook(stream), () =>
          storeUnavailable('The lease stream was not set up'),
        ).map(() => next);
      });

  const isLive = (fact: LeaseFact | null): fact is LeaseFact =>
    fact !== null && fact.type === 'LeaseHeld' && fact.expiresAt > now();

  const lose = (name: string): void => {
    held.delete(name);
    names.delete(name);
  };

  const announce = (): ResultAsync<void, StoreFailure> =>
    readTail(MEMBERS_STREAM).andThen(({ revision }) =>
      append(MEMBERS_STREAM, 'LeaseHeld', revision).andThen((next) =>
        // Another member announced at the same moment: one more read and try.
        next === null
          ? readTail(MEMBERS_STREAM).andThen((again) =>
              append(MEMBERS_STREAM, 'LeaseHeld', again.revision).map(() => undefined),
            )
          : okAsync(undefined),
      ),
    );

  return {
    shared: true,
    tryAcquire: (name) => {
      if (held.has(name)) return okAsync(true);
      const stream = streamOf(name);
      return readTail(stream).andThen(({ revision, fact }) => {
        if (isLive(fact) && fact.session !== session) return okAsync(false);
        return append(stream, 'LeaseHeld', revision).map((next) => {
          if (next === null) return false;
          held.set(name, next);
          names.add(name);
          return true;
        });
      });
    },
    release: (name) => {
      const revision = held.get(name);
      if (revision === undefined) return okAsync(undefined);
      lose(name);
      return append(streamOf(name), 'LeaseReleased', revision).map(() => undefined);
    },
    confirm: () => {
      const renewals = [...held].map(([name, revision]) =>
        append(streamOf(name), 'LeaseHeld', revision).map((next) => {
          if (next === null) return name; // taken over: our lease had expired
          held.set(name, next);
          return null;
        }),
      );
      return ResultAsync.combine(renewals)
        .andThen((lost) => {
          const gone = lost.filter((name): name is string => name !== null);
          for (const name of gone) lose(name);
          if (gone.length > 0) for (const listener of lostListeners) listener();
          return announce();
        })
        .orElse((error) => {
          // Not renewed: from here on another session may take them, so they count as lost.
          if (held.size > 0) {
            for (const name of [...held.keys()]) lose(name);
            for (const listener of lostListeners) listener();
          }
          return errAsync(error);
        });
    },
    held: () => names,
    isHeldAnywhere: (name) => readTail(streamOf(name)).map(({ fact }) => isLive(fact)),
    members: () =>
      store.readStream(MEMBERS_STREAM).map((events) => {
        // Each session's newest fact counts: a renewal, or its leaving.
        const newest = new Map<string, LeaseFact>();
        for (const event of events.slice(-MEMBERS_TAIL)) {
          const fact = factOf(event);
          if (fact) newest.set(fact.session, fact);
        }
        const live = new Set<string>([session]);
        for (const fact of newest.values()) if (isLive(fact)) live.add(fact.session);
        return live.size;
      }),
    leave: () => {
      const releases = [...held].map(([name, revision]) => {
        lose(name);
        return append(streamOf(name), 'LeaseReleased', revision).map(() => undefined);
      });
      return ResultAsync.combine(releases).andThen(() =>
        readTail(MEMBERS_STREAM).andThen(({ revision }) =>
          append(MEMBERS_STREAM, 'LeaseReleased', revision).map(() => undefined),
        ),
      );
    },
    onLost: (listener) => {
      lostListeners.add(listener);
      return () => lostListeners.delete(listener);
    },
  };
};
