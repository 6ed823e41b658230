import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = fileURLToPath(new URL('../../apps/server/src/main.ts', import.meta.url));

/** How long one start may take before the benchmark gives up on it. */
const START_TIMEOUT_MS = 30 * 60_000;

export interface Started {
  url: string;
  /** From spawn to the `calsync listening` log line. */
  listeningMs: number;
  /** From spawn to the first `GET /health/ready` that answered 200. */
  readyMs: number;
  /** What the projection logged when it caught up (services, fromSnapshot, replayed). */
  caughtUp: Record<string, unknown> | undefined;
}

/**
 * The real server (`apps/server/src/main.ts`) as one node process of its own, so that its RSS is
 * the server's alone; started the way test/support/cluster-process.ts starts it.
 */
export class ServerChild {
  private child: ChildProcess | undefined;
  private readonly tail: string[] = [];
  caughtUp: Record<string, unknown> | undefined;

  constructor(private readonly env: Record<string, string>) {}

  async start(): Promise<Started> {
    const began = performance.now();
    this.caughtUp = undefined;
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@calsync/source', entry], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (line: string) => {
      this.tail.push(line);
      if (this.tail.length > 40) this.tail.shift();
    };
    createInterface({ input: child.stderr! }).on('line', keep);
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not listen in time')), START_TIMEOUT_MS);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        keep(line);
        const entry = parseLine(line);
        if (entry?.msg === 'status projection caught up') this.caughtUp = entry;
        if (entry?.msg === 'calsync listening' && typeof entry.url === 'string') {
          clearTimeout(timer);
          resolve(entry.url);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited before it listened (${code ?? signal}):\n${this.tail.join('\n')}`));
      });
    });
    const listeningMs = performance.now() - began;
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const response = await fetch(`${url}/health/ready`);
      await response.arrayBuffer();
      if (response.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { url, listeningMs, readyMs: performance.now() - began, caughtUp: this.caughtUp };
  }

  /** Resident and peak resident memory of the server process, in MiB (Linux /proc). */
  memory(): { rssMiB: number; peakMiB: number } {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error('server not running');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
  }

  /** SIGTERM (the server drains and writes its last snapshot); resolves with the time it took to exit. */
  async stop(): Promise<number> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return 0;
    const began = performance.now();
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    await exited;
    clearTimeout(timer);
    return performance.now() - began;
  }
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
