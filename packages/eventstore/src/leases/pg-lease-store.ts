import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import pg from 'pg';
import { storeFailure, storeUnavailable } from '../errors.js';
import type { LeaseStore, StoreFailure } from '../port.js';

/**
 * Leases on PostgreSQL (docs/operations.md, "Several instances"): session-level advisory locks on
 * one connection of their own, outside the pool. PostgreSQL frees a session's locks the moment
 * the session ends, so a process that dies (SIGKILL, a crash, a lost host) frees its leases as
 * soon as the server notices: at once when the kernel closes the socket, and otherwise through
 * `idle_session_timeout` (a frozen process stops sending its confirmations) or TCP keep-alive
 * (a silent network). Nothing is written, so leases cost no disk and leave no rows behind.
 *
 * Keys: a lease is the two-int advisory lock (namespace of the schema, hash of the name); each
 * session also holds (members namespace, its backend pid), so `members()` counts the sessions
 * by looking at `pg_locks`, which every role may read.
 */
export interface PgLeaseStoreOptions {
  /** The connection settings of the store's other connections (timeouts, keep-alive). */
  connection: pg.ClientConfig;
  schema: string;
  /** A session that sent nothing for this long is ended by the server, freeing its leases. */
  sessionTimeoutMs: number;
}

/** FNV-1a over the name: advisory-lock keys without a lookup table (a collision only joins two leases). */
export const leaseKeyOf = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
};

/** pg_locks shows the two int4 keys as oids (unsigned). */
const asOid = (key: number): string => String(key >>> 0);

const failed =
  (message: string) =>
  (cause: unknown): StoreFailure =>
    storeFailure(message, cause);

export const createPgLeaseStore = (options: PgLeaseStoreOptions): LeaseStore & { close(): Promise<void> } => {
  const leaseSpace = leaseKeyOf(`calsync.lease.${options.schema}`);
  const memberSpace = leaseKeyOf(`calsync.member.${options.schema}`);
  const held = new Set<string>();
  const lostListeners = new Set<() => void>();
  let session: Promise<pg.Client> | undefined;
  let current: pg.Client | undefined;

  /** The session ended: its locks are gone on the server, so they are gone here too. */
  const drop = (client: pg.Client): void => {
    if (client !== current) return;
    current = undefined;
    session = undefined;
    client.end().catch(() => undefined);
    if (held.size === 0) return;
    held.clear();
    for (const listener of lostListeners) listener();
  };

  /** Ends the session: the server frees every lease of it, and its member lock, at once. */
  const endSession = async (): Promise<void> => {
    held.clear();
    const client = current;
    current = undefined;
    session = undefined;
    await client?.end().catch(() => undefined);
  };

  const open = async (): Promise<pg.Client> => {
    const client = new pg.Client({
      ...options.connection,
      application_name: `calsync-leases:${options.schema}`.slice(0, 63),
    });
    current = client;
    client.on('error', () => drop(client));
    client.on('end', () => drop(client));
    try {
      await client.connect();
      // A frozen process stops confirming; the server then ends its session and frees its leases.
      await client
        .query(`SET idle_session_timeout = ${Math.max(1, Math.round(options.sessionTimeoutMs))}`)
        .catch((error: unknown) => {
          // PostgreSQL before 14 has no such setting: a frozen holder is then only noticed by
          // TCP keep-alive (docs/operations.md, "Several instances"); everything else holds.
          if ((error as { code?: unknown }).code !== '42704') throw error;
        });
      await client.query('SELECT pg_advisory_lock($1::int4, pg_backend_pid())', [memberSpace]);
      return client;
    } catch (error) {
      drop(client);
      throw error;
    }
  };

  const query = <Row>(text: string, params: unknown[], message: string): ResultAsync<Row[], StoreFailure> =>
    ResultAsync.fromPromise(
      (async () => {
        session ??= open();
        const client = await session;
        try {
          return (await client.query(text, params)).rows as Row[];
        } catch (error) {
          // Any failure on the session may have ended it: start over with a fresh one.
          drop(client);
          throw error;
        }
      })(),
      failed(message),
    );

  return {
    shared: true,
    tryAcquire: (name) => {
      if (held.has(name)) return okAsync(true);
      return query<{ taken: boolean }>(
        'SELECT pg_try_advisory_lock($1::int4, $2::int4) AS taken',
        [leaseSpace, leaseKeyOf(name)],
        'The event store could not take a lease',
      ).map(([row]) => {
        if (row?.taken) held.add(name);
        return row?.taken === true;
      });
    },
    release: (name) => {
      if (!held.has(name)) return okAsync(undefined);
      held.delete(name);
      if (!current) return okAsync(undefined);
      return query(
        'SELECT pg_advisory_unlock($1::int4, $2::int4)',
        [leaseSpace, leaseKeyOf(name)],
        'The event store could not give a lease up',
      ).map(() => undefined);
    },
    confirm: () => {
      if (!current) {
        if (held.size === 0) return okAsync(undefined);
        return errAsync(storeUnavailable('The lease session is gone', undefined));
      }
      return query('SELECT 1', [], 'The lease session did not answer').map(() => undefined);
    },
    held: () => held,
    isHeldAnywhere: (name) =>
      query<{ held: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND classid = $1::oid AND objid = $2::oid AND objsubid = 2) AS held`,
        [asOid(leaseSpace), asOid(leaseKeyOf(name))],
        'The event store could not say who holds a lease',
      ).map(([row]) => row?.held === true),
    members: () =>
      query<{ members: string }>(
        `SELECT count(*) AS members FROM pg_locks WHERE locktype = 'advisory' AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND classid = $1::oid AND objsubid = 2`,
        [asOid(memberSpace)],
        'The event store could not count its members',
      ).map(([row]) => Math.max(1, Number(row?.members ?? 1))),
    onLost: (listener) => {
      lostListeners.add(listener);
      return () => lostListeners.delete(listener);
    },
    leave: () => ResultAsync.fromSafePromise(endSession()),
    close: endSession,
  };
};
