import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { err, ok, type Result } from 'neverthrow';
import type { z } from 'zod';
import { type EnvConfig, envSchema, type FileConfig, fileConfigSchema } from './config-schema.js';

export interface CompanyCalcom {
  apiUrl: string;
  teamId: number;
  apiKey: string;
  webhookSecret: string;
}

export interface CompanyConfig {
  id: string;
  apiTokenSha256: string[];
  calcom: CompanyCalcom | null;
}

export interface AppConfig {
  port: number;
  host: string;
  logLevel: EnvConfig['LOG_LEVEL'];
  store: {
    eventstoreUrl?: string;
    databaseUrl?: string;
    databaseSchema?: string;
    dataDir: string;
    timeouts: FileConfig['store'];
  };
  companies: CompanyConfig[];
  sync: FileConfig['sync'];
  reconciliation: FileConfig['reconciliation'];
  http: FileConfig['http'];
  readiness: FileConfig['readiness'];
  /** `instanceId` always set: the configured one, CALSYNC_INSTANCE_ID, or one made up at start-up. */
  cluster: Omit<FileConfig['cluster'], 'instanceId'> & { instanceId: string };
  /** Set when no CALSYNC_CONFIG was given: a demo company on the bundled Cal.com simulator. */
  demo: { token: string; apiKey: string; webhookSecret: string; teamId: number } | null;
}

export interface ConfigError {
  code: 'CONFIG_INVALID';
  /** One line per bad key: `companies[0].calcom.teamId: …`. */
  problems: string[];
  message: string;
}

export const DEMO = {
  companyId: 'demo',
  token: 'calsync-demo-token',
  apiKey: 'cal_test_demo',
  webhookSecret: 'demo-webhook-secret',
  teamId: 42,
} as const;

/** `<hostname>-<pid>-<4 hex>`: distinct per container and per process, readable in logs. */
function defaultInstanceId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._:-]/g, '')
      .slice(0, 60) || 'host';
  return `${host}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (text, key) =>
      typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
    '',
  );
}

function problemsOf(prefix: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => `${prefix}${pathOf(issue.path) || '(root)'}: ${issue.message}`);
}

function failure(problems: string[], source: string): ConfigError {
  return {
    code: 'CONFIG_INVALID',
    problems,
    message: `The configuration (${source}) is invalid:\n  - ${problems.join('\n  - ')}\nFix these keys and start again.`,
  };
}

/** Resolves `env:NAME` secrets; each missing variable is a problem naming its key. */
function resolveSecret(value: string, key: string, env: NodeJS.ProcessEnv, problems: string[]): string {
  if (!value.startsWith('env:')) return value;
  const name = value.slice(4);
  const resolved = env[name];
  if (!resolved) problems.push(`${key}: environment variable ${name} is not set (or empty)`);
  return resolved ?? '';
}

/** Reads and validates the whole configuration (docs/operations.md, "Configuration"). Never throws for bad input. */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): Result<AppConfig, ConfigError> {
  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) return err(failure(problemsOf('', parsedEnv.error), 'environment'));
  const vars = parsedEnv.data;
  const base = (file: FileConfig) => ({
    port: vars.PORT,
    host: vars.HOST,
    logLevel: vars.LOG_LEVEL,
    store: {
      eventstoreUrl: vars.EVENTSTORE_URL,
      databaseUrl: vars.DATABASE_URL,
      databaseSchema: vars.DATABASE_SCHEMA,
      dataDir: vars.DATA_DIR,
      timeouts: file.store,
    },
    sync: file.sync,
    reconciliation: file.reconciliation,
    http: file.http,
    readiness: file.readiness,
    cluster: {
      ...file.cluster,
      instanceId: vars.CALSYNC_INSTANCE_ID ?? file.cluster.instanceId ?? defaultInstanceId(),
    },
  });
  if (!vars.CALSYNC_CONFIG) {
    const file = fileConfigSchema.parse({
      companies: [{ id: DEMO.companyId, apiTokenSha256: [sha256Hex(DEMO.token)] }],
    });
    return ok({
      ...base(file),
      companies: [{ id: DEMO.companyId, apiTokenSha256: [sha256Hex(DEMO.token)], calcom: null }],
      demo: {
        token: DEMO.token,
        apiKey: DEMO.apiKey,
        webhookSecret: DEMO.webhookSecret,
        teamId: DEMO.teamId,
      },
    });
  }
  const source = `CALSYNC_CONFIG=${vars.CALSYNC_CONFIG}`;
  let json: unknown;
  try {
    json = JSON.parse(readFile(vars.CALSYNC_CONFIG));
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return err(failure([`CALSYNC_CONFIG: cannot read ${vars.CALSYNC_CONFIG} as JSON (${reason})`], source));
  }
  const parsed = fileConfigSchema.safeParse(json);
  if (!parsed.success) return err(failure(problemsOf('', parsed.error), source));
  const problems: string[] = [];
  const ids = new Set<string>();
  const tokens = new Set<string>();
  const companies = parsed.data.companies.map((company, index): CompanyConfig => {
    const key = `companies[${index}]`;
    if (ids.has(company.id)) problems.push(`${key}.id: "${company.id}" is configured twice`);
    ids.add(company.id);
    for (const digest of company.apiTokenSha256) {
      if (tokens.has(digest))
        problems.push(`${key}.apiTokenSha256: a token digest is shared with another company`);
      tokens.add(digest);
    }
    const calcom = company.calcom;
    return {
      id: company.id,
      apiTokenSha256: company.apiTokenSha256,
      calcom: calcom
        ? {
            apiUrl: calcom.apiUrl.replace(/\/+$/, ''),
            teamId: calcom.teamId,
            apiKey: resolveSecret(calcom.apiKey, `${key}.calcom.apiKey`, env, problems),
            webhookSecret: resolveSecret(calcom.webhookSecret, `${key}.calcom.webhookSecret`, env, problems),
          }
        : null,
    };
  });
  if (problems.length > 0) return err(failure(problems, source));
  return ok({
    ...base(parsed.data),
    companies,
    demo: null,
  });
}
