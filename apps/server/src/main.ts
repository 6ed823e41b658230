import { readFileSync } from 'node:fs';
import { loadConfig } from './config/load-config.js';
import { startServer } from './server.js';
import {
  checkStoreGround,
  describeStartupFailure,
  formatRefusal,
  loadDemoSimulator,
  type StartupRefusal,
} from './startup/index.js';

/** Prints why calsync does not start, in English and German, and ends with its sysexits code. */
function refuse(refused: StartupRefusal): never {
  process.stderr.write(formatRefusal(refused));
  process.exit(refused.exitCode);
}

/** Anything thrown before the server runs — even from a driver's callback — is a refusal, never a stack. */
function refuseStartup(error: unknown): never {
  refuse(describeStartupFailure(error, process.env.DATA_DIR));
}

async function main(): Promise<void> {
  process.on('unhandledRejection', refuseStartup);
  process.on('uncaughtException', refuseStartup);

  // The ground is checked before the store is opened; a bad configuration is reported by startServer.
  // Demo mode needs the simulator, which a production install leaves out: refuse before touching DATA_DIR.
  const loaded = loadConfig(process.env, (path) => readFileSync(path, 'utf8'));
  if (loaded.isOk()) {
    if (loaded.value.demo) {
      const simulator = await loadDemoSimulator();
      if (simulator.isErr()) refuse(simulator.error);
    }
    const ground = await checkStoreGround(loaded.value.store);
    if (ground.isErr()) refuse(ground.error);
  }

  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    // EX_SOFTWARE: the embedded store broke; a supervisor restarts calsync, which re-opens it.
    server = await startServer({
      env: process.env,
      onStoreBroken: () => setTimeout(() => process.exit(70), 200),
    });
  } catch (error) {
    refuseStartup(error);
  }
  process.off('unhandledRejection', refuseStartup);
  process.off('uncaughtException', refuseStartup);
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

main().catch(refuseStartup);
