import { DataFolderInUse } from '@calsync/eventstore';
import { ConfigurationError, startServer } from './server.js';

async function main(): Promise<void> {
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    // EX_SOFTWARE: the embedded store broke; a supervisor restarts calsync, which re-opens it.
    server = await startServer({
      env: process.env,
      onStoreBroken: () => setTimeout(() => process.exit(70), 200),
    });
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    if (error instanceof DataFolderInUse) {
      process.stderr.write(`${error.message}\n`);
      process.exit(75);
    }
    throw error;
  }
  if (server.config.demo) printDemoBanner(server.url, server.config.demo.token, server.simulator?.url ?? '');

  // A rejection nobody handled is a bug: say so in the JSON log before the process ends.
  process.on('unhandledRejection', (reason) => {
    server.logger.fatal(
      { err: reason instanceof Error ? reason : { value: String(reason) } },
      'unhandled rejection',
    );
    process.exit(1);
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, 'shutting down: draining in-flight syncs');
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

function printDemoBanner(url: string, token: string, simulatorUrl: string): void {
  const auth = `-H 'Authorization: Bearer ${token}'`;
  const json = `-H 'Content-Type: application/json'`;
  process.stderr.write(`
calsync is running in demo mode: embedded store, company "demo", Cal.com simulator at ${simulatorUrl}
  token: ${token}
  API docs: ${url}/docs

Try it:
  curl -s ${auth} ${json} ${url}/v1/services -d '{"name":"Herrenhaarschnitt","slug":"herrenhaarschnitt","durationMinutes":30,"price":{"amount":3500,"currency":"EUR"},"calcom":{"eventTypeId":1001}}'
  curl -s ${auth} ${url}/v1/services
  curl -s ${auth} -X PATCH ${json} ${url}/v1/services/<serviceId> -d '{"durationMinutes":45}'
  curl -s ${auth} ${url}/v1/services/<serviceId>/audit
  curl -s ${auth} ${url}/v1/import-candidates

`);
}

void main();
