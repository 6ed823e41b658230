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

export interface SqlSchema {
  name: string;
  /** NOTIFY channel carrying the last appended sequence. */
  channel: string;
  /** The DDL, idempotent and safe to run from several processes at once. */
  migration: string;
}

export const sqlSchema = (name: string): SqlSchema => {
  const schema = schemaNameSchema.parse(name);
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
CREATE TABLE IF NOT EXISTS ${schema}.checkpoints (
  name       text        PRIMARY KEY,
  position   text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- One statement per append, so the lock below is held exactly until commit.
CREATE OR REPLACE FUNCTION ${schema}.append_to_stream(
  p_stream text, p_expected_kind text, p_expected_revision bigint, p_events jsonb)
RETURNS TABLE (outcome text, stream_revision bigint, last_sequence bigint, written integer)
LANGUAGE plpgsql AS $append$
DECLARE
  v_actual bigint;
  v_head   bigint;
  v_count  integer := jsonb_array_length(p_events);
  v_fresh  integer;
  v_last   bigint;
  v_ids    uuid[] := ARRAY(SELECT (item->>'id')::uuid FROM jsonb_array_elements(p_events) AS item);
  v_stored uuid[];
BEGIN
  -- Appends are serialised: sequence n + 1 is only assigned after n has committed, so a
  -- reader that sees n + 1 sees n too and a subscriber can never skip an event.
  PERFORM pg_advisory_xact_lock(${appendLock});
  SELECT coalesce(max(e.revision), -1) INTO v_actual FROM ${schema}.events e WHERE e.stream_name = p_stream;

  -- = ANY keeps this an index lookup per id, however long the stream is.
  v_stored := ARRAY(
    SELECT e.event_id FROM ${schema}.events e WHERE e.stream_name = p_stream AND e.event_id = ANY (v_ids));
  SELECT count(DISTINCT id) INTO v_fresh FROM unnest(v_ids) AS id WHERE id <> ALL (v_stored);

  IF v_count > 0 AND v_fresh = 0 THEN
    -- A retry of an append that already happened: report the stored original.
    SELECT e.sequence INTO v_last FROM ${schema}.events e
    WHERE e.stream_name = p_stream AND e.event_id = (p_events->(v_count - 1)->>'id')::uuid;
    RETURN QUERY SELECT 'duplicate'::text, v_actual, v_last, 0;
    RETURN;
  END IF;

  IF NOT (p_expected_kind = 'any'
       OR (p_expected_kind = 'no_stream' AND v_actual = -1)
       OR (p_expected_kind = 'stream_exists' AND v_actual >= 0)
       OR (p_expected_kind = 'exact' AND v_actual = p_expected_revision)) THEN
    RETURN QUERY SELECT 'conflict'::text, v_actual, NULL::bigint, 0;
    RETURN;
  END IF;

  IF v_fresh = 0 THEN
    SELECT max(e.sequence) INTO v_last FROM ${schema}.events e WHERE e.stream_name = p_stream;
    RETURN QUERY SELECT 'appended'::text, v_actual, v_last, 0;
    RETURN;
  END IF;

  SELECT coalesce(max(e.sequence), 0) INTO v_head FROM ${schema}.events e;
  -- Revision and sequence both come from one row_number, so they cannot disagree in order.
  INSERT INTO ${schema}.events (sequence, stream_name, revision, event_id, event_type, data, metadata)
  SELECT v_head + f.n, p_stream, v_actual + f.n, f.id, f.type, f.data, f.metadata
  FROM (
    SELECT row_number() OVER (ORDER BY d.ord) AS n, d.*
    FROM (
      SELECT DISTINCT ON ((item->>'id')::uuid)
        (item->>'id')::uuid AS id, item->>'type' AS type, item->'data' AS data,
        coalesce(item->'metadata', '{}'::jsonb) AS metadata, ord
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS items(item, ord)
      ORDER BY (item->>'id')::uuid, ord
    ) d
    WHERE d.id <> ALL (v_stored)
  ) f;

  v_last := v_head + v_fresh;
  PERFORM pg_notify('${channel}', v_last::text);
  RETURN QUERY SELECT 'appended'::text, v_actual + v_fresh, v_last, v_fresh;
END
$append$;
`;
  return { name: schema, channel, migration };
};
