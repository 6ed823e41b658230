import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What docker/Dockerfile does, without Docker: a clean copy of the repository is installed,
// the server and the packages it needs are compiled, `pnpm deploy --prod` makes the production
// install, and plain Node runs its dist/main.js (docs/operations.md, "Production install").

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const PNPM = ['-y', 'pnpm@10'];
/** Each install, build or deploy step is killed after this long. */
const STEP_TIMEOUT_MS = 120_000;
/** A started server that has not answered or ended by then is killed and the test fails. */
const PROCESS_TIMEOUT_MS = 30_000;
const TOKEN = 'production-install-token';

const skipReason = ((): string | undefined => {
  try {
    execFileSync('git', ['-C', root, 'rev-parse', '--is-inside-work-tree'], { stdio: 'ignore' });
  } catch {
    return 'the repository is not a git checkout, so its files cannot be listed for a clean copy';
  }
  try {
    execFileSync('npx', [...PNPM, '--version'], { stdio: 'ignore', timeout: 60_000 });
    return undefined;
  } catch {
    return 'pnpm 10 cannot be run through npx here';
  }
})();

const pnpm = (cwd: string, args: string[]) =>
  run('npx', [...PNPM, ...args], {
    cwd,
    timeout: STEP_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, NODE_OPTIONS: '', CI: 'true' },
  });

/** The repository's files as a clone would have them: tracked and not ignored, no dist/, no node_modules. */
async function copyRepository(to: string): Promise<void> {
  const { stdout } = await run(
    'git',
    ['-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const files = [...new Set(stdout.split('\0'))].filter(
    (file) => file !== '' && existsSync(join(root, file)),
  );
  for (const file of files) {
    await mkdir(dirname(join(to, file)), { recursive: true });
    await copyFile(join(root, file), join(to, file));
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error()),
      );
    });
  });

interface Started {
  output: () => string;
  ended: Promise<number | null>;
  stop: () => void;
}

/** `node dist/main.js` of the deployment with nothing but `env`, killed after PROCESS_TIMEOUT_MS. */
function startDeployed(deployDir: string, env: Record<string, string>): Started {
  const child = spawn(process.execPath, [join(deployDir, 'dist', 'main.js')], {
    cwd: deployDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), PROCESS_TIMEOUT_MS);
  const ended = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return { output: () => output, ended, stop: () => child.kill('SIGTERM') };
}

/** Polls `url` until it answers 200, the process ends, or PROCESS_TIMEOUT_MS pass. */
async function waitForOk(url: string, started: Started): Promise<Response> {
  let ended = false;
  void started.ended.then(() => {
    ended = true;
  });
  const deadline = Date.now() + PROCESS_TIMEOUT_MS;
  while (!ended && Date.now() < deadline) {
    const answer = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
    if (answer?.ok) return answer;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer 200 (process ended: ${ended}):\n${started.output()}`);
}

const title = 'the production install of the server';
describe.skipIf(skipReason !== undefined)(skipReason ? `${title} (skipped: ${skipReason})` : title, () => {
  let workDir = '';
  let deployDir = '';

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'calsync-production-'));
    const clone = join(workDir, 'clone');
    deployDir = join(workDir, 'deploy');
    await copyRepository(clone);
    expect(existsSync(join(clone, 'apps', 'server', 'dist'))).toBe(false);
    // The steps of docker/Dockerfile's build and runtime stages, from the lockfile and pnpm's store.
    await pnpm(clone, ['install', '--frozen-lockfile', '--prefer-offline']);
    // Every package's own build script, side by side; types are checked by `pnpm typecheck`, so
    // here tsc only emits (--noCheck), which halves the time on a busy machine.
    await pnpm(clone, ['--filter-prod', '@calsync/server...', '--no-sort', 'run', 'build', '--noCheck']);
    await pnpm(clone, [
      '--filter',
      '@calsync/server',
      '--config.inject-workspace-packages=true',
      'deploy',
      '--prod',
      '--offline',
      deployDir,
    ]);
  }, 4 * STEP_TIMEOUT_MS);

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('holds the compiled server and its production dependencies, without the simulator or tsx', async () => {
    expect(existsSync(join(deployDir, 'dist', 'main.js'))).toBe(true);
    for (const name of ['domain', 'calcom', 'eventstore'])
      expect(existsSync(join(deployDir, 'node_modules', '@calsync', name, 'dist', 'index.js')), name).toBe(
        true,
      );
    const installed = await readdir(join(deployDir, 'node_modules', '.pnpm'));
    const devOnly = installed.filter((entry) =>
      /^(@calsync\+calcom-simulator|tsx|typescript|vitest|esbuild|@biomejs\+)[@+]/.test(entry),
    );
    expect(devOnly).toEqual([]);
    expect(existsSync(join(deployDir, 'node_modules', '@calsync', 'calcom-simulator'))).toBe(false);
    expect(existsSync(join(deployDir, 'node_modules', '.bin', 'tsx'))).toBe(false);
  });

  it('serves a configured company with plain Node and reports ready, then stops on SIGTERM with 0', async () => {
    const configPath = join(workDir, 'calsync.json');
    const sha = createHash('sha256').update(TOKEN).digest('hex');
    await writeFile(configPath, JSON.stringify({ companies: [{ id: 'salon', apiTokenSha256: [sha] }] }));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = startDeployed(deployDir, {
      CALSYNC_CONFIG: configPath,
      DATA_DIR: join(workDir, 'data'),
      HOST: '127.0.0.1',
      PORT: String(port),
    });
    try {
      const ready = await waitForOk(`${base}/health/ready`, server);
      expect(await ready.json()).toMatchObject({ ready: true, store: { engine: 'pglite', reachable: true } });
      const services = await fetch(`${base}/v1/services`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(services.status).toBe(200);
    } finally {
      server.stop();
    }
    expect(await server.ended, server.output()).toBe(0);
  });

  it('runs the reconciliation command line with plain Node', async () => {
    const { stdout } = await run(process.execPath, [join(deployDir, 'dist', 'cli', 'calsync.js'), '--help'], {
      cwd: deployDir,
      env: { PATH: process.env.PATH ?? '' },
      timeout: PROCESS_TIMEOUT_MS,
    });
    expect(stdout).toContain('Usage: calsync reconcile --company <id>');
  });

  it('refuses demo mode, which needs the simulator, in English and German with EX_CONFIG (78)', async () => {
    const dataDir = join(workDir, 'demo-data');
    const demo = startDeployed(deployDir, {
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
    });

    const code = await demo.ended;

    const output = demo.output();
    expect(code, output).toBe(78);
    expect(output).toContain('calsync did not start.');
    expect(output).toContain('the bundled Cal.com simulator it runs on is not installed here');
    expect(output).toContain('Set CALSYNC_CONFIG');
    expect(output).toContain('calsync wurde nicht gestartet.');
    expect(output).toContain('Entwicklungsabhängigkeiten');
    expect(output).not.toMatch(/\n\s+at /);
    expect(existsSync(dataDir)).toBe(false);
  });
});
