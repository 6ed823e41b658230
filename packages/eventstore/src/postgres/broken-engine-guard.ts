import type { SqlClient } from './sql-client.js';

/** How long the health check after a strange error may take before the engine counts as broken. */
const PROBE_TIMEOUT_MS = 5_000;

/** Thrown for every call once the embedded engine is known to be broken. */
export class EmbeddedEngineBroken extends Error {
  constructor(cause: unknown) {
    super(
      'The embedded database (PGlite) stopped working after an internal error; calsync must restart to re-open it.',
      { cause },
    );
    this.name = 'EmbeddedEngineBroken';
  }
}

/** PostgreSQL refused a statement (it has an SQLSTATE): the engine itself is still fine. */
const isSqlRefusal = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  typeof (error as { code?: unknown }).code === 'string' &&
  /^[0-9A-Z]{5}$/.test((error as { code: string }).code);

const probe = async (client: SqlClient): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      client.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
};

export interface GuardedSqlClient extends SqlClient {
  /** The error that broke the engine; undefined while it works. */
  readonly broken: unknown;
}

/**
 * PGlite is PostgreSQL in WASM, in this process: an internal error (a WASM trap, memory
 * exhausted) can leave it unable to answer anything, where a server would have restarted its
 * backend. After any error that is not an SQL refusal, the engine is asked `SELECT 1`; if it
 * cannot answer, it is marked broken: every call then fails at once (so readiness reports it,
 * since ping fails) and `onBroken` runs once, for the server to exit and its supervisor to
 * restart it (docs/operations.md).
 */
export const guardEmbeddedEngine = (
  client: SqlClient,
  onBroken: (cause: unknown) => void,
): GuardedSqlClient => {
  let broken: unknown;
  let checking: Promise<void> | undefined;
  const markBroken = (cause: unknown) => {
    if (broken !== undefined) return;
    broken = new EmbeddedEngineBroken(cause);
    onBroken(broken);
  };
  const check = async (cause: unknown): Promise<void> => {
    checking ??= probe(client).then((healthy) => {
      checking = undefined;
      if (!healthy) markBroken(cause);
    });
    await checking;
  };
  const guarded = async <T>(call: () => Promise<T>): Promise<T> => {
    if (broken !== undefined) throw broken;
    try {
      return await call();
    } catch (error) {
      if (!isSqlRefusal(error)) await check(error);
      throw broken ?? error;
    }
  };
  return {
    get broken() {
      return broken;
    },
    query: (text, params) => guarded(() => client.query(text, params)),
    exec: (script) => guarded(() => client.exec(script)),
    listen: (channel, onNotify) => guarded(() => client.listen(channel, onNotify)),
    close: () => client.close(),
  };
};
