import { defaultFields } from '@calsync/domain';
import { openEventStore } from '@calsync/eventstore';
import pg from 'pg';

/**
 * Seeds `services` service streams of `eventsPerService` events each straight into the PostgreSQL
 * engine's table, many thousand rows per statement: one `ServiceRegistered` then `ServiceEdited`s,
 * the payloads of docs/events.md (schema version 1), in the rows the engine writes
 * (packages/eventstore/src/postgres/schema-sql.ts: sequence and revision without gaps, one stream
 * after the other, as if each stream had been one append). The table is created by opening the
 * store, so its DDL and indexes are the engine's own. The server folds and validates every event
 * when its status projection catches up, so a wrong shape fails the benchmark instead of skewing it.
 * Service i belongs to company `company-(i mod companies)`.
 */

const at = '2026-12-01T09:00:00.000Z';
const actor = 'admin:bench';

const registeredTemplate = {
  schemaVersion: 1,
  serviceId: '',
  companyId: '',
  actor,
  at,
  origin: 'platform',
  fields: {
    ...defaultFields,
    name: '',
    slug: '',
    description: 'Waschen, schneiden, föhnen',
    durationMinutes: 30,
    price: { amount: 3500, currency: 'EUR' },
    category: 'Haare',
    priority: 1,
  },
};

const editedTemplate = {
  schemaVersion: 1,
  serviceId: '',
  companyId: '',
  actor,
  at,
  reason: 'edit',
  changes: [{ field: 'durationMinutes', from: 0, to: 0 }],
};

/** Services per statement: about 200,000 rows at 20 events each. */
const CHUNK = 10_000;

export const companyOf = (index: number, companies: number): string => `company-${index % companies}`;
export const serviceIdOf = (index: number): string => `scale-service-${index}`;

/** Creates the engine's tables (the server's own migration) in `schema` of `databaseUrl`. */
export async function createTables(databaseUrl: string, schema: string): Promise<void> {
  const store = await openEventStore({
    databaseUrl,
    databaseSchema: schema,
    dataDir: '/nonexistent',
    // The server's audit feed indexes this field (apps/server/src/audit/audit-feed.ts): made before seeding.
    indexedDataFields: ['companyId'],
  });
  await store.close();
}

/** Appends the seeded events after whatever the table holds; returns the rows written. */
export async function seedServices(
  databaseUrl: string,
  schema: string,
  plan: { services: number; eventsPerService: number; companies: number },
): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let written = 0;
    for (let from = 0; from < plan.services; from += CHUNK) {
      const to = Math.min(plan.services, from + CHUNK);
      const head = await client.query<{ head: string }>(
        `SELECT coalesce(max(sequence), 0)::text AS head FROM ${schema}.events`,
      );
      const result = await client.query(
        `INSERT INTO ${schema}.events (sequence, stream_name, revision, event_id, event_type, data, metadata)
         SELECT $1::bigint + (s - $2) * $3 + r + 1,
                'service-scale-service-' || s,
                r,
                gen_random_uuid(),
                CASE WHEN r = 0 THEN 'ServiceRegistered' ELSE 'ServiceEdited' END,
                CASE WHEN r = 0 THEN
                  jsonb_set(jsonb_set(jsonb_set(jsonb_set($4::jsonb,
                    '{serviceId}', to_jsonb('scale-service-' || s)),
                    '{companyId}', to_jsonb('company-' || (s % $6))),
                    '{fields,name}', to_jsonb('Service ' || s)),
                    '{fields,slug}', to_jsonb('service-' || s))
                ELSE
                  jsonb_set(jsonb_set(jsonb_set($5::jsonb,
                    '{serviceId}', to_jsonb('scale-service-' || s)),
                    '{companyId}', to_jsonb('company-' || (s % $6))),
                    '{changes}', jsonb_build_array(jsonb_build_object(
                      'field', 'durationMinutes', 'from', 29 + r, 'to', 30 + r)))
                END,
                '{}'::jsonb
         FROM generate_series($2::int, $7::int - 1) AS s, generate_series(0, $3::int - 1) AS r
         ORDER BY s, r`,
        [
          head.rows[0]?.head ?? '0',
          from,
          plan.eventsPerService,
          JSON.stringify(registeredTemplate),
          JSON.stringify(editedTemplate),
          plan.companies,
          to,
        ],
      );
      written += result.rowCount ?? 0;
    }
    await client.query(`ANALYZE ${schema}.events`);
    return written;
  } finally {
    await client.end();
  }
}
