import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, sha256Hex } from '@calsync/server';
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

      // The configuration file is the one mounted at CALSYNC_CONFIG, read from its place here.
      const mounts = new Map(
        (services.calsync?.volumes ?? []).map((volume) => {
          const [from = '', to = ''] = volume.split(':');
          return [to, resolve(dockerDir, from)];
        }),
      );
      const read: string[] = [];
      const config = loadConfig(environment, (path) => {
        const mounted = mounts.get(path);
        if (mounted === undefined) throw new Error(`${path} is not mounted into the container`);
        read.push(mounted);
        return readFileSync(mounted, 'utf8');
      });

      expect(config.isOk(), config.isErr() ? config.error.message : '').toBe(true);
      const loaded = config._unsafeUnwrap();
      expect(loaded.host).toBe('0.0.0.0');
      expect(loaded.port).toBe(3000);
      // The image has no simulator, so no demo mode: a company from the mounted file.
      expect(read).toEqual([join(dockerDir, 'calsync.example.json')]);
      expect(loaded.demo).toBeNull();
      expect(loaded.companies.map((company) => company.id)).toEqual(['example']);
      // The token the compose file's comment names opens the example company.
      expect(readFileSync(join(dockerDir, file), 'utf8')).toContain('bearer token calsync-example-token');
      expect(loaded.companies[0]?.apiTokenSha256).toEqual([sha256Hex('calsync-example-token')]);
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

    it('runs the compiled server with plain Node as the user node, listening on 0.0.0.0', () => {
      const command = instructions.filter((instruction) => instruction.keyword === 'CMD').at(-1);
      const argv = JSON.parse(command?.args ?? '[]') as string[];
      const build = JSON.parse(readFileSync(join(root, 'apps/server/tsconfig.build.json'), 'utf8')) as {
        compilerOptions: { outDir: string; rootDir: string };
      };

      expect(argv).toEqual(['node', 'dist/main.js']);
      // dist/main.js is what the server's build makes of src/main.ts.
      expect(build.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: 'src' });
      expect(existsSync(join(root, 'apps/server/src/main.ts'))).toBe(true);
      expect(
        instructions
          .filter((instruction) => instruction.keyword === 'ENV')
          .map((env) => env.args)
          .join(' '),
      ).toMatch(/HOST=0\.0\.0\.0/);
      expect(instructions.filter((instruction) => instruction.keyword === 'USER').at(-1)?.args).toBe('node');
      const health = instructions.find((instruction) => instruction.keyword === 'HEALTHCHECK');
      expect(health?.args).toContain('/health/ready');
    });

    it('builds the server in one stage and runs its production install, without tsx or the simulator, in the last', () => {
      const lastStage = instructions.findLastIndex((instruction) => instruction.keyword === 'FROM');
      const [buildStage, runtime] = [instructions.slice(0, lastStage), instructions.slice(lastStage + 1)];
      const buildName = stages.at(-2)?.args.split(/\s+/).at(-1);
      const runs = buildStage.filter((instruction) => instruction.keyword === 'RUN').map((run) => run.args);

      expect(runs).toContain('npx -y pnpm@10 --filter-prod "@calsync/server..." run build');
      const deploy = runs.find((run) => / deploy /.test(run)) ?? '';
      expect(deploy).toMatch(/--filter @calsync\/server .*deploy --prod \/deploy$/);
      expect(
        runtime.filter((instruction) => instruction.keyword === 'COPY').map((copy) => copy.args),
      ).toEqual([`--from=${buildName} /deploy ./`]);
      const runtimeText = runtime.map((instruction) => instruction.args).join('\n');
      for (const devOnly of ['tsx', '@calsync/source', 'calcom-simulator', '.ts'])
        expect(runtimeText, devOnly).not.toContain(devOnly);
    });

    it('keeps node_modules of the build context out of the image', () => {
      const ignored = readFileSync(join(dockerDir, 'Dockerfile.dockerignore'), 'utf8').split('\n');
      expect(ignored).toContain('**/node_modules');
    });
  });
});
