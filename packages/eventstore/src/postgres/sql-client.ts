/**
 * The little the SQL engine needs from a PostgreSQL driver. Two drivers implement it:
 * PGlite (embedded, one in-process connection) and `pg` (a pool against a server).
 */
export interface SqlClient {
  /** Runs one parameterised statement and returns its rows, unparsed. */
  query(text: string, params?: readonly unknown[]): Promise<unknown[]>;
  /** Runs a script of several statements as one transaction (used for the schema). */
  exec(script: string): Promise<void>;
  /** LISTENs on `channel`; resolves to the function that stops listening. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
