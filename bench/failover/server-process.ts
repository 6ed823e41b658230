import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const serverEntry = fileURLToPath(new URL('../../apps/server/src/main.ts', import.meta.url));

/** One JSON log line of the server (pino) with the fields the benchmark reads. */
export interface LogEntry {
  msg?: string;
  teamId?: number;
  instanceId?: string;
  url?: string;
}

/**
 * One calsync instance as one node child process (no wrapper, so a SIGKILL really kills it), ready
 * when it logs "calsync listening"; every JSON log line goes to the listeners with the time it was
 * read. Each start is a new incarnation with its own `CALSYNC_INSTANCE_ID` (`<name>-<n>`).
 */
export class ServerProcess {
  private child: ChildProcess | undefined;
  private sigkilled = false;
  private readonly listeners = new Set<(entry: LogEntry, at: number) => void>();
  readonly tail: string[] = [];
  incarnation = 0;
  url: string | null = null;

  constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
  ) {}

  get instanceId(): string {
    return `${this.name}-${this.incarnation}`;
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

  onLog(listener: (entry: LogEntry, at: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(timeoutMs = 90_000): Promise<string> {
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
      if (this.tail.length > 40) this.tail.shift();
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
        const at = Date.now();
        keep(line);
        if (!line.startsWith('{')) return;
        let entry: LogEntry;
        try {
          entry = JSON.parse(line) as LogEntry;
        } catch {
          return;
        }
        for (const listener of this.listeners) listener(entry, at);
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

  /** SIGSTOP: the process stays, holding its connections, but answers and confirms nothing. */
  freeze(): void {
    if (!this.running) return;
    this.url = null;
    this.child?.kill('SIGSTOP');
  }

  /** Sends the signal and resolves once the process is gone (SIGKILL after `graceMs`). */
  async kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 20_000): Promise<void> {
    const child = this.child;
    this.url = null;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    if (signal === 'SIGKILL') this.sigkilled = true;
    child.kill(signal);
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(force);
  }
}
