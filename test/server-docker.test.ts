import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@calsync/server';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

// No Docker engine runs here: these tests check what can be checked without one — the files
// parse, name real paths, and configure the server the way its own validation accepts.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dockerDir = join(root, 'docker');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

function readYaml<T>(path: string): T {
  const document = parseDocument(readFileSync(path, 'utf8'), { uniqueKeys: true });
  expect(document.errors.map((error) => error.message)).toEqual([]);
  return document.toJS() as T;
}

/** The workspace projects of pnpm-workspace.yaml, as paths relative to the root. */
function workspaceProjects(): string[] {
  const { packages } = readYaml<{ packages: string[] }>(join(root, 'pnpm-workspace.yaml'));
  return packages.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true })
          .filter(
            (entry) =>
              entry.isDirectory() && existsSync(join(root, pattern.slice(0, -2), entry.name, 'package.json')),
          )
          .map((entry) => `${pattern.slice(0, -2)}/${entry.name}`)
      : [pattern],
  );
}

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
function dockerfileInstructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

const composeFiles = [
  { file: 'compose.kurrentdb.yml', store: 'kurrentdb', variable: 'EVENTSTORE_URL' },
  { file: 'compose.postgres.yml', store: 'postgres', variable: 'DATABASE_URL' },
] as const;

describe('docker/', () => {
  describe.each(composeFiles)('$file', ({ file, store, variable }) => {
    const compose = () => readYaml<ComposeFile>(join(dockerDir, file));

    it('parses and runs the server built from docker/Dockerfile next to a healthy store', () => {
      const { services, volumes } = compose();
      const calsync = services.calsync;
      expect(Object.keys(services).sort()).toEqual(['calsync', store].sort());
      expect(calsync?.build?.dockerfile).toBe('docker/Dockerfile');
      const context = resolve(dockerDir, calsync?.build?.context ?? '.');
      expect(context).toBe(root);
      expect(existsSync(join(context, calsync?.build?.dockerfile ?? ''))).toBe(true);
      expect(calsync?.depends_on?.[store]?.condition).toBe('service_healthy');
      expect(services[store]?.image).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(services[store]?.healthcheck?.test.length).toBeGreaterThan(0);
      for (const volume of services[store]?.volumes ?? []) {
        expect(Object.keys(volumes ?? {})).toContain(volume.split(':')[0]);
      }
      expect(calsync?.ports).toContain('3000:3000');
    });

    it(`configures the server for the ${store} engine in a way its own validation accepts`, () => {
      const { services } = compose();
      const environment = services.calsync?.environment ?? {};

      const config = loadConfig(environment, () => {
        throw new Error('no configuration file is read');
      });

      expect(config.isOk(), config.isErr() ? config.error.message : '').toBe(true);
      const loaded = config._unsafeUnwrap();
      expect(loaded.host).toBe('0.0.0.0');
      expect(loaded.port).toBe(3000);
      const url = new URL(environment[variable] ?? '');
      expect(url.hostname).toBe(store);
      if (store === 'postgres') {
        const database = services.postgres?.environment ?? {};
        expect(loaded.store.databaseUrl).toBe(environment.DATABASE_URL);
        expect([url.username, url.password, url.pathname.slice(1)]).toEqual([
          database.POSTGRES_USER,
          database.POSTGRES_PASSWORD,
          database.POSTGRES_DB,
        ]);
      } else {
        expect(loaded.store.eventstoreUrl).toBe(environment.EVENTSTORE_URL);
        expect(url.port).toBe(services.kurrentdb?.environment?.KURRENTDB_NODE_PORT);
      }
    });
  });

  describe('Dockerfile', () => {
    const text = readFileSync(join(dockerDir, 'Dockerfile'), 'utf8');
    const instructions = dockerfileInstructions(text);
    const stages = instructions.filter((instruction) => instruction.keyword === 'FROM');

    it('is multi-stage, every stage on node:20-slim', () => {
      expect(stages.length).toBeGreaterThanOrEqual(2);
      for (const stage of stages) expect(stage.args).toMatch(/^node:20-slim AS \w+$/i);
    });

    it('copies only paths that exist, and every workspace manifest before the frozen install', () => {
      const copies = instructions.filter(
        (instruction) => instruction.keyword === 'COPY' && !instruction.args.startsWith('--from'),
      );
      const sources = copies.flatMap((copy) => copy.args.split(/\s+/).slice(0, -1));
      for (const source of sources) expect(existsSync(join(root, source)), source).toBe(true);
      const install = instructions.findIndex(
        (instruction) => instruction.keyword === 'RUN' && /pnpm@10 install/.test(instruction.args),
      );
      expect(instructions[install]?.args).toMatch(/^npx (-y )?pnpm@10 install --frozen-lockfile$/);
      const copiedBeforeInstall = instructions
        .slice(0, install)
        .filter((instruction) => instruction.keyword === 'COPY')
        .flatMap((copy) => copy.args.split(/\s+/).slice(0, -1));
      expect(copiedBeforeInstall).toEqual(
        expect.arrayContaining(['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml']),
      );
      for (const project of workspaceProjects())
        expect(copiedBeforeInstall).toContain(`${project}/package.json`);
    });

    it('runs what `pnpm start` runs, listening on 0.0.0.0', () => {
      const command = instructions.filter((instruction) => instruction.keyword === 'CMD').at(-1);
      const argv = JSON.parse(command?.args ?? '[]') as string[];
      const start = (
        JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
      ).scripts.start;

      expect([argv[0]?.replace('node_modules/.bin/', ''), ...argv.slice(1)].join(' ')).toBe(start);
      expect(existsSync(join(root, argv.at(-1) ?? ''))).toBe(true);
      expect(
        instructions
          .filter((instruction) => instruction.keyword === 'ENV')
          .map((env) => env.args)
          .join(' '),
      ).toMatch(/HOST=0\.0\.0\.0/);
    });

    it('keeps node_modules of the build context out of the image', () => {
      const ignored = readFileSync(join(dockerDir, 'Dockerfile.dockerignore'), 'utf8').split('\n');
      expect(ignored).toContain('**/node_modules');
    });
  });
});
