import { describe, expect, it } from 'vitest';
import { createPgliteEventStore, expected } from '../src/index.js';
import { describeEventStoreConformance } from './conformance.js';
import { INDEXED_DATA_FIELD, newEvent } from './conformance-fixture.js';
import { describeAppendIsolation } from './sql-append-isolation.js';

describeEventStoreConformance('pglite (in-memory data folder)', () =>
  createPgliteEventStore({ indexedDataFields: [INDEXED_DATA_FIELD] }),
);

describeAppendIsolation('pglite', () => createPgliteEventStore({}));

describe('the embedded engine and deeply nested events', () => {
  it.each([100, 1500, 3000, 10_000])('refuses %i levels of nesting and stays healthy', async (levels) => {
    const store = await createPgliteEventStore({});
    try {
      let nested: unknown = { leaf: true };
      for (let level = 1; level < levels; level += 1) nested = { inner: nested };
      const refused = await store.appendToStream('service-deep', [newEvent('Deep', nested)], expected.any);
      expect(refused._unsafeUnwrapErr()).toMatchObject({
        code: 'EVENTSTORE.UNSTORABLE_EVENT',
        problem: 'too_deep',
      });
      expect(await store.ping()).toBe(true);
      const after = await store.appendToStream(
        'service-deep',
        [newEvent('Shallow', { ok: true })],
        expected.any,
      );
      expect(after._unsafeUnwrap().written).toBe(1);
      expect((await store.readStream('service-deep'))._unsafeUnwrap().map((event) => event.type)).toEqual([
        'Shallow',
      ]);
    } finally {
      await store.close();
    }
  });
});
