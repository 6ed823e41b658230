import { z } from 'zod';

/** Lower-case so that the derived LISTEN channel needs no quoting. */
export const schemaNameSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,47}$/, 'a schema name is lower-case letters, digits and _ (at most 48)');

/** FNV-1a, so that each schema gets its own advisory-lock key without a lookup table. */
const lockKeyOf = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
};

/** A top-level data field to index: a plain identifier, since it is written into the DDL. */
export const indexedDataFieldSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,39}$/, 'a data field to index is letters, digits and _ (at most 40)');

export interface SqlSchema {
  name: string;
  /** NOTIFY channel carrying the last appended sequence. */
  channel: string;
  /** The DDL, idempotent and safe to run from several processes at once. */
  migration: string;
  /** Data fields with an index on (field, sequence): a filtered read-all is a range scan. */
  indexedDataFields: ReadonlySet<string>;
}

/**
 * One B-tree per indexed data field, on the field's JSON value and the sequence, so that
 * "events of company acme after position p, in order" reads only the page it returns.
 */
const dataFieldIndexes = (schema: string, fields: readonly string[]): string =>
  fields
    .map(
      (field) =>
        `CREATE INDEX IF NOT EXISTS "events_by_data_${field}" ON ${schema}.events ((data->'${field}'), sequence);`,
    )
    .join('\n');

export const sqlSchema = (name: string, indexedDataFields: readonly string[] = []): SqlSchema => {
  const schema = schemaNameSchema.parse(name);
  const fields = [...new Set(indexedDataFields.map((field) => indexedDataFieldSchema.parse(field)))];
  const channel = `calsync_events_${schema}`;
  const appendLock = lockKeyOf(`calsync.append.${schema}`);
  const migrationLock = lockKeyOf(`calsync.migrate.${schema}`);
  const migration = `
SELECT pg_advisory_xact_lock(${migrationLock});
CREATE SCHEMA IF NOT EXISTS ${schema};
CREATE TABLE IF NOT EXISTS ${schema}.events (
  sequence    bigint      PRIMARY KEY,
  stream_name text        NOT NULL,
  revision    bigint      NOT NULL,
  event_id    uuid        NOT NULL,
  event_type  text        NOT NULL,
  data        jsonb       NOT NULL,
  metadata    jsonb       NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT events_stream_revision UNIQUE (stream_name, revision),
  CONSTRAINT events_stream_event_id UNIQUE (stream_name, event_id)
);
${dataFieldIndexes(schema, fields)}
CREATE TABLE IF NOT EXISTS ${schema}.checkpoints (
  name       text        PRIMARY KEY,
  position   text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
DROP FUNCTION IF EXISTS ${schema}.append_to_stream(text, text, bigint, jsonb);
-- One statement per batch of appends, so the lock below is held exactly until commit.
-- p_appends: [{ "stream", "expectedKind", "expectedRevision" (text or null), "events": [...] }]
CREATE OR REPLACE FUNCTION ${schema}.append_events(p_appends jsonb)
RETURNS TABLE (append_index integer, outcome text, stream_revision bigint, last_sequence bigint, written integer)
LANGUAGE plpgsql AS $append$
DECLARE
  v_append   jsonb;
  v_index    integer := 0;
  v_stream   text;
  v_kind     text;
  v_expected bigint;
  v_events   jsonb;
  v_count    integer;
  v_actual   bigint;
  v_head     bigint;
  v_fresh    integer;
  v_last     bigint;
  v_ids      uuid[];
  v_stored   uuid[];
  v_appended boolean := false;
BEGIN
  -- Appends are serialised: sequence n + 1 is only assigned after n has committed, so a
  -- reader that sees n + 1 sees n too and a subscriber can never skip an event.
  PERFORM pg_advisory_xact_lock(${appendLock});
  SELECT coalesce(max(e.sequence), 0) INTO v_head FROM ${schema}.events e;

  FOR v_append IN SELECT item FROM jsonb_array_elements(p_appends) WITH ORDINALITY AS a(item, ord) ORDER BY ord LOOP
    v_stream := v_append->>'stream';
    v_kind := v_append->>'expectedKind';
    v_expected := (v_append->>'expectedRevision')::bigint;
    v_events := v_append->'events';
    v_count := jsonb_array_length(v_events);
    v_ids := ARRAY(SELECT (item->>'id')::uuid FROM jsonb_array_elements(v_events) AS item);
    SELECT coalesce(max(e.revision), -1) INTO v_actual FROM ${schema}.events e WHERE e.stream_name = v_stream;
    -- = ANY keeps this an index lookup per id, however long the stream is.
    v_stored := ARRAY(
      SELECT e.event_id FROM ${schema}.events e WHERE e.stream_name = v_stream AND e.event_id = ANY (v_ids));
    SELECT count(DISTINCT id) INTO v_fresh FROM unnest(v_ids) AS id WHERE id <> ALL (v_stored);
    append_index := v_index;
    stream_revision := v_actual;
    written := 0;

    IF v_count > 0 AND v_fresh = 0 THEN
      -- A retry of an append that already happened: report the stored original.
      outcome := 'duplicate';
      SELECT e.sequence INTO last_sequence FROM ${schema}.events e
      WHERE e.stream_name = v_stream AND e.event_id = (v_events->(v_count - 1)->>'id')::uuid;
    ELSIF NOT (v_kind = 'any'
            OR (v_kind = 'no_stream' AND v_actual = -1)
            OR (v_kind = 'stream_exists' AND v_actual >= 0)
            OR (v_kind = 'exact' AND v_actual = v_expected)) THEN
      outcome := 'conflict';
      last_sequence := NULL;
    ELSIF v_fresh = 0 THEN
      outcome := 'appended';
      SELECT max(e.sequence) INTO last_sequence FROM ${schema}.events e WHERE e.stream_name = v_stream;
    ELSE
      -- Revision and sequence both come from one row_number, so they cannot disagree in order.
      INSERT INTO ${schema}.events (sequence, stream_name, revision, event_id, event_type, data, metadata)
      SELECT v_head + f.n, v_stream, v_actual + f.n, f.id, f.type, f.data, f.metadata
      FROM (
        SELECT row_number() OVER (ORDER BY d.ord) AS n, d.*
        FROM (
          SELECT DISTINCT ON ((item->>'id')::uuid)
            (item->>'id')::uuid AS id, item->>'type' AS type, item->'data' AS data,
            coalesce(item->'metadata', '{}'::jsonb) AS metadata, ord
          FROM jsonb_array_elements(v_events) WITH ORDINALITY AS items(item, ord)
          ORDER BY (item->>'id')::uuid, ord
        ) d
        WHERE d.id <> ALL (v_stored)
      ) f;
      v_head := v_head + v_fresh;
      v_appended := true;
      outcome := 'appended';
      stream_revision := v_actual + v_fresh;
      last_sequence := v_head;
      written := v_fresh;
    END IF;
    RETURN NEXT;
    v_index := v_index + 1;
  END LOOP;

  IF v_appended THEN
    PERFORM pg_notify('${channel}', v_head::text);
  END IF;
END
$append$;
`;
  return { name: schema, channel, migration, indexedDataFields: new Set(fields) };
};
