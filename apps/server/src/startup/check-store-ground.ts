import { inspectPostgresGround, type PostgresGroundProblem } from '@calsync/eventstore';
import { ok, type Result } from 'neverthrow';
import type { AppConfig } from '../config/load-config.js';
import { checkDataDir } from './check-data-dir.js';
import { EXIT, redactUrl, refusal, type StartupRefusal } from './startup-refusal.js';

const describePostgresProblem = (url: string, problem: PostgresGroundProblem): StartupRefusal => {
  const where = `DATABASE_URL=${redactUrl(url)}`;
  switch (problem.kind) {
    case 'unreachable':
      return refusal(
        EXIT.unavailable,
        `The PostgreSQL server at ${where} does not answer (${problem.detail}). Check that it is running and reachable from here, then start calsync again; store.connectTimeoutMs sets how long calsync waits.`,
        `Der PostgreSQL-Server unter ${where} antwortet nicht (${problem.timedOutMs === undefined ? problem.detail : `keine Antwort binnen ${problem.timedOutMs} ms`}). Prüfen Sie, dass er läuft und von hier erreichbar ist, und starten Sie calsync erneut; store.connectTimeoutMs legt fest, wie lange calsync wartet.`,
      );
    case 'rejected':
      return refusal(
        EXIT.noPermission,
        `The PostgreSQL server at ${where} refused calsync's login (${problem.detail}). Check the user and password in DATABASE_URL and the server's pg_hba.conf.`,
        `Der PostgreSQL-Server unter ${where} hat die Anmeldung von calsync abgelehnt (${problem.detail}). Prüfen Sie Benutzer und Passwort in DATABASE_URL und die pg_hba.conf des Servers.`,
      );
    case 'no_database':
      return refusal(
        EXIT.config,
        `The database named in ${where} does not exist (${problem.detail}). Create it (createdb) or correct DATABASE_URL.`,
        `Die in ${where} genannte Datenbank existiert nicht (${problem.detail}). Legen Sie sie an (createdb) oder korrigieren Sie DATABASE_URL.`,
      );
    case 'foreign_tables':
      return refusal(
        EXIT.config,
        `The PostgreSQL schema "${problem.schema}" at ${where} holds tables that are not calsync's (${problem.tables.join(', ')}). calsync will not write into a schema it did not create. Set DATABASE_SCHEMA to a schema of its own.`,
        `Das PostgreSQL-Schema "${problem.schema}" unter ${where} enthält Tabellen, die nicht zu calsync gehören (${problem.tables.join(', ')}). calsync schreibt nicht in ein Schema, das es nicht angelegt hat. Setzen Sie DATABASE_SCHEMA auf ein eigenes Schema.`,
      );
  }
};

/**
 * Checks the ground the store will stand on before opening it: the embedded store's
 * folder, or the PostgreSQL server and schema. EventStoreDB is checked by opening it.
 */
export async function checkStoreGround(store: AppConfig['store']): Promise<Result<void, StartupRefusal>> {
  if (store.eventstoreUrl !== undefined) return ok(undefined);
  if (store.databaseUrl !== undefined) {
    const url = store.databaseUrl;
    const inspected = await inspectPostgresGround({
      connectionString: url,
      ...(store.databaseSchema === undefined ? {} : { schema: store.databaseSchema }),
      connectTimeoutMs: store.timeouts.connectTimeoutMs,
    });
    return inspected.mapErr((problem) => describePostgresProblem(url, problem));
  }
  return checkDataDir(store.dataDir);
}
