import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const serverEntry = fileURLToPath(new URL('../../apps/server/src/main.ts', import.meta.url));

/** One JSON log line of the server (pino), with the fields the cluster tests read. */
export interface ServerLogEntry {
  msg?: string;
  teamId?: number;
  instanceId?: string;
  url?: string;
  [field: string]: unknown;
}

/**
 * One calsync instance of a cluster as a child process: `ServerProcess`
 * — one node process, so a SIGKILL really kills the server,
 * ready when it logs "calsync listening" — plus a listener on every JSON log line (the lease lines of
 * docs/operations.md) and a fresh `CALSYNC_INSTANCE_ID` per incarnation (`<name>-<n>`).
 */
export class ClusterProcess {
  private child: ChildProcess | undefined;
  private sigkilled = false;
  private readonly listeners = new Set<(entry: ServerLogEntry) => void>();
  /** The last lines the server wrote, for a failure message. */
  readonly tail: string[] = [];
  /** How many times it was started. */
  incarnation = 0;
  /** The base URL of the running incarnation, null while it is down or starting. */
  url: string | null = null;

  constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
  ) {}

  get instanceId(): string {
    return `${this.name}-${this.incarnation}`;
  }

  /** Calls `listener` with every JSON line any incarnation logs from now on; returns the unsubscribe. */
  onLog(listener: (entry: ServerLogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts a new incarnation; resolves with its URL once it listens, bounded by `timeoutMs`. */
  async start(timeoutMs = 60_000): Promise<string> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.incarnation++;
    this.url = null;
    this.sigkilled = false;
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@calsync/source', serverEntry], {
      cwd: root,
      env: { ...process.env, ...this.env, PORT: '0', CALSYNC_INSTANCE_ID: this.instanceId },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (line: string) => {
      this.tail.push(`[${this.instanceId}] ${line}`);
      if (this.tail.length > 60) this.tail.shift();
    };
    createInterface({ input: child.stderr! }).on('line', keep);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(`${this.instanceId} was not ready within ${timeoutMs} ms:\n${this.tail.join('\n')}`),
        );
      }, timeoutMs);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        keep(line);
        const entry = parseLine(line);
        if (!entry) return;
        for (const listener of this.listeners) listener(entry);
        if (entry.msg === 'calsync listening' && typeof entry.url === 'string' && this.child === child) {
          clearTimeout(timer);
          this.url = entry.url;
          resolve(entry.url);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.child === child) this.url = null;
        reject(
          new Error(
            `${this.instanceId} exited before it was ready (${code ?? signal}):\n${this.tail.join('\n')}`,
          ),
        );
      });
    });
  }

  /**
   * Whether the current incarnation lives: false from the moment a SIGKILL is sent, since the
   * process is gone at once while Node reports its exit (and the last lines in its pipe) later.
   */
  get running(): boolean {
    return (
      this.child !== undefined &&
      !this.sigkilled &&
      this.child.exitCode === null &&
      this.child.signalCode === null
    );
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Sends `signal` and resolves with the exit code once the process is gone (bounded: SIGKILL after `graceMs`). */
  async kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 20_000): Promise<number | null> {
    const child = this.child;
    this.url = null;
    if (!child || !this.running) return child?.exitCode ?? null;
    const exited = once(child, 'exit');
    if (signal === 'SIGKILL') this.sigkilled = true;
    child.kill(signal);
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const [code] = (await exited) as [number | null];
    clearTimeout(force);
    return code;
  }
}

function parseLine(line: string): ServerLogEntry | null {
  if (!line.startsWith('{')) return null;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null ? (parsed as ServerLogEntry) : null;
  } catch {
    return null;
  }
}
