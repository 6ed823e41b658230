import pg from 'pg';

/**
 * Each run gets a database of its own (named `<prefix>_<pid>`): no benchmark should see what
 * another run (or a test) left behind, and Emmett keeps its tables in `public`.
 */
export const createBenchDatabase = async (
  serverUrl: string,
  prefix = 'calsync_bench',
): Promise<{ url: string; serverVersion: string; drop: () => Promise<void> }> => {
  const name = `${prefix}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const version = await admin.query<{ server_version: string }>('SHOW server_version');
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    serverVersion: version.rows[0]?.server_version ?? 'unknown',
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
};
