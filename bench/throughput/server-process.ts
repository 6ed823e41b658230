import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = join(root, 'apps/server/src/main.ts');

/** How long a server may take to log "calsync listening", and to exit after SIGTERM. */
const READY_WITHIN_MS = 60_000;
const EXIT_WITHIN_MS = 15_000;
const POLL_MS = 50;

/**
 * One calsync server as its own node process (what `pnpm start` runs), started the way
 * test/support/cluster-process.ts does. Its log (pino JSON, the default level) goes to a
 * file rather than a pipe, so that reading it costs the load generator nothing; the server is
 * ready when the file holds "calsync listening" with its url.
 */
export class BenchServerProcess {
  readonly #child: ChildProcess;
  readonly #logFile: string;

  private constructor(child: ChildProcess, logFile: string) {
    this.#child = child;
    this.#logFile = logFile;
  }

  static async start(
    env: Record<string, string>,
    logFile: string,
    nodeOptions: readonly string[] = [],
  ): Promise<{ server: BenchServerProcess; url: string }> {
    const out = openSync(logFile, 'w');
    const child = spawn(
      process.execPath,
      [...nodeOptions, '--import', 'tsx', '--conditions=@calsync/source', entry],
      {
        cwd: root,
        env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
        stdio: ['ignore', out, out],
      },
    );
    closeSync(out);
    const server = new BenchServerProcess(child, logFile);
    const deadline = Date.now() + READY_WITHIN_MS;
    while (Date.now() < deadline) {
      const url = server.#readyUrl();
      if (url) return { server, url };
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`server exited before it was ready:\n${server.tail()}`);
      await sleep(POLL_MS);
    }
    await server.stop();
    throw new Error(`server not ready within ${READY_WITHIN_MS} ms:\n${server.tail()}`);
  }

  /** The last lines of its log, for a failure message. */
  tail(lines = 20): string {
    return readFileSync(this.#logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  #readyUrl(): string | undefined {
    for (const line of readFileSync(this.#logFile, 'utf8').split('\n', 200)) {
      if (!line.startsWith('{') || !line.includes('calsync listening')) continue;
      try {
        const parsed = JSON.parse(line) as { msg?: string; url?: string };
        if (parsed.msg === 'calsync listening' && parsed.url) return parsed.url;
      } catch {
        // A line still being written: read again on the next poll.
      }
    }
    return undefined;
  }

  /** SIGTERM (a clean stop, which also writes a --cpu-prof profile), SIGKILL if it hangs. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_WITHIN_MS);
    await exited;
    clearTimeout(timer);
  }
}
