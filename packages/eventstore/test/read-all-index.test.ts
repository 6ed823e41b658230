import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlSchema } from '../src/postgres/schema-sql.js';
import { readAllStatement } from '../src/postgres/sql-event-store.js';

/** The plan PostgreSQL picks for a statement, as text (node types and index names). */
const planOf = async (db: PGlite, statement: { text: string; params: unknown[] }): Promise<string> => {
  const { rows } = await db.query(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.params);
  return JSON.stringify(rows);
};

describe('a read-all filtered on an indexed data field', () => {
  const schema = sqlSchema('calsync', ['companyId']);
  let db: PGlite;

  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec(schema.migration);
    // Running the schema twice is harmless: every statement is idempotent.
    await db.exec(schema.migration);
    // 20,000 events of 100 companies, interleaved as commits of many companies are.
    await db.query(
      `INSERT INTO calsync.events (sequence, stream_name, revision, event_id, event_type, data, metadata)
       SELECT n, 'service-' || (n % 1000), n / 1000, gen_random_uuid(), 'Edited',
              jsonb_build_object('companyId', 'company-' || (n % 100)), '{}'::jsonb
       FROM generate_series(1, 20000) AS n`,
    );
    await db.exec('ANALYZE calsync.events');
  }, 60_000);

  afterAll(async () => {
    await db.close();
  });

  it('reads the page from the index on (field, sequence), not by scanning every event', async () => {
    const where = { dataField: 'companyId', equals: 'company-7' };
    const statement = readAllStatement(schema, 5000n, { streamPrefixes: ['service-'], where, maxCount: 50 });
    expect(await planOf(db, statement)).toContain('events_by_data_companyId');
    const { rows } = await db.query<{ sequence: string }>(statement.text, statement.params);
    expect(rows).toHaveLength(50);
    expect(rows[0]?.sequence).toBe('5007');
  });

  it('still answers a filter on a field it has no index for, by scanning', async () => {
    const where = { dataField: 'owner', equals: 'nobody' };
    const statement = readAllStatement(schema, 0n, { where, maxCount: 50 });
    expect(await planOf(db, statement)).not.toContain('events_by_data');
    expect((await db.query(statement.text, statement.params)).rows).toEqual([]);
  });
});

describe('the data fields a store indexes', () => {
  it.each(["company'); DROP TABLE events; --", 'a.b', '', 'x'.repeat(41)])(
    'refuses %j, which is not a plain field name, before any SQL is written',
    (field) => {
      expect(() => sqlSchema('calsync', [field])).toThrow(/data field to index/);
    },
  );
});
