import { randomUUID } from 'node:crypto';
import { createInMemoryEventStore, type EventStore, engineFailed } from '@calsync/eventstore';
import { errAsync } from 'neverthrow';
import { afterEach, describe, expect, it } from 'vitest';
import { storeWith } from '../../../test/support/store-with.js';
import type { Calsync } from '../src/calsync.js';
import { serverErrorMessage } from '../src/http/http-error.js';
import { StatusProjection } from '../src/projection/status-projection.js';
import {
  INTERNAL_MESSAGE,
  ServiceCommandBus,
  type StoreErrorLogger,
} from '../src/services/service-command-bus.js';
import { startCalsyncUnderTest, switchableStore, tokens } from './calsync-under-test.js';

const serviceBody = {
  name: 'Herrenhaarschnitt',
  slug: 'herrenhaarschnitt',
  durationMinutes: 30,
  price: { amount: 3500, currency: 'EUR' },
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const driverWords = ['ECONNREFUSED', '10.9.8.7', '5432', 'SELECT', 'constraint', 'events_pkey', 'stack'];

/** `inner` with its appends replaced: every other call goes through unchanged. */
const withAppend = (inner: EventStore, appendToStream: EventStore['appendToStream']): EventStore =>
  storeWith(inner, { appendToStream });

/** A store whose engine answers every append with an error of its own (a constraint it broke). */
const failingEngine = (inner: EventStore = createInMemoryEventStore()): EventStore =>
  withAppend(inner, (stream) =>
    errAsync(
      engineFailed(
        `Appending to stream ${stream} failed`,
        Object.assign(new Error('duplicate key value violates unique constraint "events_pkey" in SELECT'), {
          code: '23505',
        }),
      ),
    ),
  );

describe('what a client is told when the event store fails', () => {
  let calsync: Calsync | undefined;
  afterEach(async () => {
    await calsync?.stop();
    calsync = undefined;
  });

  it('answers 503 STORE_UNAVAILABLE with a fixed message and none of the driver text while the store is down', async () => {
    const store = switchableStore();
    const started = await startCalsyncUnderTest({ store });
    calsync = started.calsync;
    store.down = true;
    const answers = [
      await started.app.inject({
        method: 'POST',
        url: '/v1/services',
        headers: bearer(tokens.acme),
        payload: serviceBody,
      }),
      await started.app.inject({ method: 'GET', url: '/v1/audit', headers: bearer(tokens.acme) }),
    ];
    store.down = false;
    for (const answer of answers) {
      expect(answer.statusCode).toBe(503);
      expect(answer.json()).toEqual({
        error: {
          code: 'STORE_UNAVAILABLE',
          message: serverErrorMessage.STORE_UNAVAILABLE,
          requestId: answer.headers['x-request-id'],
        },
      });
      for (const word of driverWords) expect(answer.body).not.toContain(word);
    }
  });

  it('answers 500 INTERNAL with a fixed message and none of the engine text when the engine refuses', async () => {
    const started = await startCalsyncUnderTest({ store: failingEngine() });
    calsync = started.calsync;
    const answer = await started.app.inject({
      method: 'POST',
      url: '/v1/services',
      headers: bearer(tokens.acme),
      payload: serviceBody,
    });
    expect(answer.statusCode).toBe(500);
    expect(answer.json()).toEqual({
      error: {
        code: 'INTERNAL',
        message: serverErrorMessage.INTERNAL,
        requestId: answer.headers['x-request-id'],
      },
    });
    for (const word of driverWords) expect(answer.body).not.toContain(word);
  });
});

describe('the command bus and an event the store cannot hold', () => {
  const logged = (): StoreErrorLogger & { entries: unknown[] } => {
    const entries: unknown[] = [];
    return {
      entries,
      error: ((object: unknown) => entries.push(object)) as StoreErrorLogger['error'],
      warn: ((object: unknown) => entries.push(object)) as StoreErrorLogger['warn'],
    };
  };

  it('refuses it as VALIDATION_FAILED naming the path, and stores nothing', async () => {
    const inner = createInMemoryEventStore();
    // Something past the schemas slipped a NUL into the event: the store is the last line.
    const bypassing = withAppend(inner, (stream, events, expectedRevision) =>
      inner.appendToStream(
        stream,
        events.map((event) => ({ ...event, data: { ...(event.data as object), note: 'a\u0000b' } })),
        expectedRevision,
      ),
    );
    const bus = ServiceCommandBus.over(bypassing, new StatusProjection({ store: bypassing }), randomUUID);
    const result = await bus.execute({
      serviceId: 's1',
      companyId: 'acme',
      at: '2026-11-23T10:00:00.000Z',
      type: 'RegisterService',
      actor: 'admin:alice',
      fields: serviceBody,
      syncId: randomUUID(),
    });
    const error = result._unsafeUnwrapErr();
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('data.note');
    expect(error.message).toContain('NUL');
    expect((await inner.readAll())._unsafeUnwrap()).toEqual([]);
  });

  it('logs the engine error it does not show', async () => {
    const logger = logged();
    const store = failingEngine();
    const bus = ServiceCommandBus.over(store, new StatusProjection({ store }), randomUUID, logger);
    const result = await bus.execute({
      serviceId: 's1',
      companyId: 'acme',
      at: '2026-11-23T10:00:00.000Z',
      type: 'RegisterService',
      actor: 'admin:alice',
      fields: serviceBody,
      syncId: randomUUID(),
    });
    expect(result._unsafeUnwrapErr()).toEqual({ code: 'INTERNAL', message: INTERNAL_MESSAGE });
    expect(
      JSON.stringify(logger.entries, (_key, value) => (value instanceof Error ? value.message : value)),
    ).toContain('events_pkey');
  });
});
