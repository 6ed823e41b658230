import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInMemoryEventStore } from '@calsync/eventstore';
import { type AppConfig, Calsync, createLogger, loadConfig, sha256Hex } from '@calsync/server';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

// No Docker engine runs here: these tests check what can be checked without one — the files
// parse, name real paths, and configure the server the way its own validation accepts.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dockerDir = join(root, 'docker');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  deploy?: { replicas?: number };
  container_name?: string;
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; disable?: boolean };
  networks?: Record<string, { ipv4_address?: string } | null>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { ipam?: { config?: { subnet?: string; ip_range?: string }[] } }>;
}

function readYaml<T>(path: string): T {
  const document = parseDocument(readFileSync(path, 'utf8'), { uniqueKeys: true });
  expect(document.errors.map((error) => error.message)).toEqual([]);
  return document.toJS() as T;
}

/**
 * The server's configuration as a container of `service` loads it: its environment, and the
 * configuration file mounted at CALSYNC_CONFIG, read from its place here.
 */
function containerConfig(service: ComposeService): { config: AppConfig; read: string[] } {
  const mounts = new Map(
    (service.volumes ?? []).map((volume) => {
      const [from = '', to = ''] = volume.split(':');
      return [to, resolve(dockerDir, from)];
    }),
  );
  const read: string[] = [];
  const config = loadConfig(service.environment ?? {}, (path) => {
    const mounted = mounts.get(path);
    if (mounted === undefined) throw new Error(`${path} is not mounted into the container`);
    read.push(mounted);
    return readFileSync(mounted, 'utf8');
  });
  expect(config.isOk(), config.isErr() ? config.error.message : '').toBe(true);
  return { config: config._unsafeUnwrap(), read };
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

/** One section of an HAProxy configuration: its keyword, its name, its directives as words. */
interface HaproxySection {
  kind: string;
  name: string;
  directives: string[][];
}

/** HAProxy's configuration, comments dropped: a section starts at column 0, its lines are indented. */
function haproxySections(text: string): HaproxySection[] {
  const sections: HaproxySection[] = [];
  for (const line of text.split('\n')) {
    const words = line.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    if (/^\S/.test(line)) sections.push({ kind: words[0] ?? '', name: words[1] ?? '', directives: [] });
    else sections.at(-1)?.directives.push(words);
  }
  return sections;
}

/** The words after `prefix` of the section's directives that start with it. */
function directives(section: HaproxySection | undefined, ...prefix: string[]): string[][] {
  return (section?.directives ?? [])
    .filter((words) => prefix.every((word, index) => words[index] === word))
    .map((words) => words.slice(prefix.length));
}

/** An HAProxy time ("35s", "500ms", "2m") in milliseconds. */
function haproxyMs(time: string): number {
  const [, amount = 'NaN', unit = 'ms'] = /^(\d+)(ms|s|m|h)?$/.exec(time) ?? [];
  return Number(amount) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
}

/** Whether an IPv4 address lies in a CIDR block. */
function inCidr(address: string, cidr: string): boolean {
  const number = (ip: string) => ip.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(number(address) / size) === Math.floor(number(base) / size);
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

const replicaFiles = [
  { file: 'compose.kurrentdb.replicas.yml', single: 'compose.kurrentdb.yml', store: 'kurrentdb' },
  { file: 'compose.postgres.replicas.yml', single: 'compose.postgres.yml', store: 'postgres' },
] as const;

const haproxyConfigPath = '/usr/local/etc/haproxy/haproxy.cfg';

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
      const { config: loaded, read } = containerConfig(services.calsync ?? {});

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

  describe.each(replicaFiles)('$file', ({ file, single, store }) => {
    const compose = () => readYaml<ComposeFile>(join(dockerDir, file));
    const haproxy = () => haproxySections(readFileSync(join(dockerDir, 'haproxy.cfg'), 'utf8'));

    it('runs three replicas of one server image on the store of the single-instance file', () => {
      const { services } = compose();
      const alone = readYaml<ComposeFile>(join(dockerDir, single)).services;
      const calsync = services.calsync ?? {};
      const without = ({ ports: _ports, ...rest }: ComposeService) => rest;

      expect(Object.keys(services).sort()).toEqual(['calsync', 'proxy', store].sort());
      expect(calsync.deploy?.replicas).toBe(3);
      // One service, one build: every replica runs the same image, with the same settings.
      expect(calsync.build).toEqual(alone.calsync?.build);
      expect(calsync.environment).toEqual(alone.calsync?.environment);
      expect(without(services[store] ?? {})).toEqual(without(alone[store] ?? {}));
      expect(calsync.depends_on?.[store]?.condition).toBe('service_healthy');
      // A container name or a published port would make a second replica impossible.
      expect(calsync.container_name).toBeUndefined();
      expect(calsync.ports).toBeUndefined();
      // One environment for all replicas: a CALSYNC_INSTANCE_ID in it would give all of them
      // the same id; without it each container's hostname makes its own.
      expect(Object.keys(calsync.environment ?? {})).not.toContain('CALSYNC_INSTANCE_ID');
      // The image's HEALTHCHECK (on /health/ready, the Dockerfile tests below) stays in force.
      expect(calsync.healthcheck).toBeUndefined();
    });

    it('publishes the proxy only: HAProxy at a pinned version with docker/haproxy.cfg, itself health-checked', () => {
      const { services } = compose();
      const proxy = services.proxy ?? {};
      const admin = haproxy().find((section) => section.kind === 'frontend' && section.name === 'admin');

      expect(proxy.image).toMatch(/^haproxy:\d+\.\d+(-alpine)?$/);
      expect(proxy.ports).toContain('3000:3000');
      for (const port of proxy.ports ?? []) if (port !== '3000:3000') expect(port).toMatch(/^127\.0\.0\.1:/);
      expect(proxy.volumes).toContain(`./haproxy.cfg:${haproxyConfigPath}:ro`);
      expect(existsSync(join(dockerDir, 'haproxy.cfg'))).toBe(true);
      // Its health check asks the proxy's own monitor, which fails while no replica is up.
      const url = new URL(proxy.healthcheck?.test.find((word) => word.startsWith('http://')) ?? '');
      expect(directives(admin, 'bind')).toEqual([[`:${url.port}`]]);
      expect(directives(admin, 'monitor-uri')).toEqual([[url.pathname]]);
      expect(directives(admin, 'monitor', 'fail')).toEqual([['if', '{', 'nbsrv(calsync)', 'lt', '1', '}']]);
    });

    it("balances round robin over every replica that answers /health/ready, found through Docker's DNS", () => {
      const { services } = compose();
      const sections = haproxy();
      const section = (kind: string, name: string) =>
        sections.find((candidate) => candidate.kind === kind && candidate.name === name);
      const defaults = sections.find((candidate) => candidate.kind === 'defaults');
      const frontend = sections.find(
        (candidate) => candidate.kind === 'frontend' && directives(candidate, 'bind')[0]?.[0] === ':3000',
      );
      const backend = section('backend', directives(frontend, 'default_backend')[0]?.[0] ?? '');
      const [template = []] = directives(backend, 'server-template');
      const [, slots = '', address = '', ...options] = template;
      const resolvers = section('resolvers', options[options.indexOf('resolvers') + 1] ?? '');

      expect(directives(backend, 'balance')).toEqual([['roundrobin']]);
      expect(directives(backend, 'option', 'httpchk')).toEqual([[]]);
      expect(directives(backend, 'http-check', 'send')).toEqual([['meth', 'GET', 'uri', '/health/ready']]);
      expect(directives(backend, 'http-check', 'expect')).toEqual([['status', '200']]);
      // Every address of the service "calsync" on the server's port, probed, resolved again and
      // again (replicas come and go), and not needed at start-up.
      expect(address).toBe(`calsync:${services.calsync?.environment?.PORT}`);
      expect(options).toEqual(expect.arrayContaining(['check', 'init-addr', 'none']));
      expect(options[options.indexOf('init-addr') + 1]).toBe('none');
      const [first = 0, last = 0] = slots.split('-').map(Number);
      expect(last - first + 1).toBeGreaterThanOrEqual(services.calsync?.deploy?.replicas ?? Infinity);
      expect(directives(resolvers, 'nameserver').map((words) => words[1])).toEqual(['127.0.0.11:53']);
      // The client's address travels in X-Forwarded-For.
      expect(directives(defaults, 'option', 'forwardfor')).toEqual([[]]);
      // Only a request that never reached a replica is sent to another (HAProxy's default
      // retry-on is conn-failure): a command a replica received is never sent twice.
      expect(directives(defaults, 'option', 'redispatch')).toEqual([[]]);
      expect(directives(defaults, 'retry-on')).toEqual([]);
    });

    it('configures every replica for its engine, believing X-Forwarded-For from the proxy only', () => {
      const { services, networks } = compose();
      const { config, read } = containerConfig(services.calsync ?? {});
      const defaults = haproxy().find((section) => section.kind === 'defaults');
      const proxyAddress = services.proxy?.networks?.default?.ipv4_address ?? '';
      const [range] = networks?.default?.ipam?.config ?? [];

      expect(read).toEqual([join(dockerDir, 'calsync.replicas.example.json')]);
      expect(config.demo).toBeNull();
      expect(config.companies.map((company) => company.id)).toEqual(['example']);
      expect(readFileSync(join(dockerDir, file), 'utf8')).toContain('bearer token calsync-example-token');
      expect(config.companies[0]?.apiTokenSha256).toEqual([sha256Hex('calsync-example-token')]);
      expect(config.http.trustProxy).toBe(proxyAddress);
      // The proxy's fixed address is in the network, outside the range replicas are given.
      expect(inCidr(proxyAddress, range?.subnet ?? '')).toBe(true);
      expect(inCidr(range?.ip_range?.split('/')[0] ?? '', range?.subnet ?? '')).toBe(true);
      expect(inCidr(proxyAddress, range?.ip_range ?? '')).toBe(false);
      // The proxy waits for an answer longer than the server takes to give one.
      const [[serverTimeout = ''] = []] = directives(defaults, 'timeout', 'server');
      expect(haproxyMs(serverTimeout)).toBeGreaterThan(config.http.requestTimeoutMs);
    });
  });

  describe('calsync.replicas.example.json behind the proxy', () => {
    const { services } = readYaml<ComposeFile>(join(dockerDir, 'compose.postgres.replicas.yml'));
    const proxy = services.proxy?.networks?.default?.ipv4_address ?? '';
    let calsync: Calsync | undefined;
    afterAll(async () => {
      await calsync?.stop();
    });

    it('counts failed sign-ins per client the proxy names; a header from anyone else is not believed', async () => {
      const { config } = containerConfig(services.calsync ?? {});
      calsync = new Calsync({ config, store: createInMemoryEventStore(), logger: createLogger('silent') });
      const app = await calsync.start();
      const signIn = (remoteAddress: string, forwardedFor: string) =>
        app.inject({
          method: 'GET',
          url: '/v1/services',
          remoteAddress,
          headers: { authorization: 'Bearer a-wrong-token', 'x-forwarded-for': forwardedFor },
        });
      const budget = config.http.rateLimit.failedAuthPerIpPerMinute;

      const statuses: number[] = [];
      for (let attempt = 0; attempt < budget; attempt++)
        statuses.push((await signIn(proxy, '198.51.100.7')).statusCode);
      expect(statuses).toEqual(Array(budget).fill(401));
      expect((await signIn(proxy, '198.51.100.7')).statusCode).toBe(429);
      // Another client behind the same proxy keeps its own budget.
      expect((await signIn(proxy, '203.0.113.9')).statusCode).toBe(401);
      // A client that sends the throttled address itself: HAProxy appends the real one, and that counts.
      expect((await signIn(proxy, '198.51.100.7, 203.0.113.10')).statusCode).toBe(401);
      // Not from the proxy (another container on the network): the header is ignored.
      expect((await signIn('10.212.0.130', '198.51.100.7')).statusCode).toBe(401);
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
