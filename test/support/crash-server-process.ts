import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The calsync server as a child process (one node process, no wrapper, so that a SIGKILL really
 * kills the server). Ready when it logs "calsync listening".
 */
export class ServerProcess {
  private child: ChildProcess | undefined;
  /** The last lines the server wrote, for a failure message. */
  readonly tail: string[] = [];

  constructor(
    private readonly entry: string,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<string> {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@calsync/source', this.entry], {
      cwd: root,
      env: { ...process.env, ...this.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (line: string) => {
      this.tail.push(line);
      if (this.tail.length > 40) this.tail.shift();
    };
    createInterface({ input: child.stderr! }).on('line', keep);
    return new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        keep(line);
        const url = readyUrl(line);
        if (url) resolve(url);
      });
      child.once('exit', (code, signal) =>
        reject(new Error(`server exited before it was ready (${code ?? signal}):\n${this.tail.join('\n')}`)),
      );
    });
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const child = this.child;
    if (!child || !this.running) return child?.exitCode ?? null;
    const exited = once(child, 'exit');
    child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  }
}

function readyUrl(line: string): string | null {
  if (!line.startsWith('{')) return null;
  try {
    const entry = JSON.parse(line) as { msg?: string; url?: string };
    return entry.msg === 'calsync listening' && entry.url ? entry.url : null;
  } catch {
    return null;
  }
}
