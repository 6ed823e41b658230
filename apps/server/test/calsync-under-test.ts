import { createInMemoryEventStore, type EventStore, storeUnavailable } from '@calsync/eventstore';
import type { FastifyInstance } from 'fastify';
import { errAsync } from 'neverthrow';
import pino from 'pino';
import { Calsync } from '../src/calsync.js';
import type { AppConfig } from '../src/config/load-config.js';
import { loadConfig, sha256Hex } from '../src/config/load-config.js';

/** Bearer tokens: acme (team 42) and beta (team 43) have Cal.com; gamma has none configured. */
export const tokens = { acme: 'acme-token', beta: 'beta-token', gamma: 'gamma-token' } as const;

/** An in-memory store that can be taken down and brought back, like a database that restarts. */
export interface SwitchableStore extends EventStore {
  down: boolean;
}

export function switchableStore(inner: EventStore = createInMemoryEventStore()): SwitchableStore {
  // What the driver throws for a database that is down: a socket error with its errno code.
  const unreachable = () =>
    Object.assign(new Error('connect ECONNREFUSED 10.9.8.7:5432 (the test took the store down)'), {
      code: 'ECONNREFUSED',
    });
  const store: SwitchableStore = {
    down: false,
    engine: inner.engine,
    checkpoints: inner.checkpoints,
    leases: inner.leases,
    appendToStream: (...args) =>
      store.down ? errAsync(storeUnavailable('append failed', unreachable())) : inner.appendToStream(...args),
    readStream: (...args) =>
      store.down ? errAsync(storeUnavailable('read failed', unreachable())) : inner.readStream(...args),
    readAll: (...args) =>
      store.down ? errAsync(storeUnavailable('read failed', unreachable())) : inner.readAll(...args),
    headPosition: () =>
      store.down ? errAsync(storeUnavailable('read failed', unreachable())) : inner.headPosition(),
    subscribe: (options) => inner.subscribe(options),
    ping: async () => !store.down && (await inner.ping()),
    close: () => inner.close(),
  };
  return store;
}

/**
 * Calsync's HTTP shell on an in-memory store, with two companies, driven by `app.inject()`:
 * the unit level of the HTTP layer (the end-to-end tests in test/ use the real server).
 */
export async function startCalsyncUnderTest(
  options: {
    store?: EventStore;
    /** The configuration file's `http` section (timeouts, rate limits). */
    http?: Partial<Omit<AppConfig['http'], 'rateLimit'>> & {
      rateLimit?: Partial<AppConfig['http']['rateLimit']>;
    };
    logger?: pino.Logger;
  } = {},
): Promise<{ calsync: Calsync; app: FastifyInstance; store: EventStore }> {
  const company = (id: string, token: string, teamId: number) => ({
    id,
    apiTokenSha256: [sha256Hex(token)],
    calcom: { apiUrl: 'http://127.0.0.1:9/v2', teamId, apiKey: `${id}-key`, webhookSecret: `${id}-secret` },
  });
  const config = loadConfig({ CALSYNC_CONFIG: 'calsync.json', LOG_LEVEL: 'silent' }, () =>
    JSON.stringify({
      companies: [
        company('acme', tokens.acme, 42),
        company('beta', tokens.beta, 43),
        { id: 'gamma', apiTokenSha256: [sha256Hex(tokens.gamma)] },
      ],
      reconciliation: { intervalMinutes: 0 },
      ...(options.http ? { http: options.http } : {}),
    }),
  )._unsafeUnwrap();
  const store = options.store ?? createInMemoryEventStore();
  const calsync = new Calsync({
    config,
    store,
    logger: options.logger ?? pino({ level: 'silent' }),
  });
  return { calsync, app: await calsync.start(), store };
}
