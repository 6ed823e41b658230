import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEMO, loadConfig, sha256Hex } from '../src/config/load-config.js';

const digest = sha256Hex('acme-token');
const fileWith = (content: unknown) => () => JSON.stringify(content);
const withConfig = { CALSYNC_CONFIG: '/etc/calsync.json' };
const acme = (calcom: Record<string, unknown>) => ({
  companies: [{ id: 'acme', apiTokenSha256: [digest], calcom: { teamId: 42, ...calcom } }],
});

describe('configuration', () => {
  it('without CALSYNC_CONFIG runs a demo company on the embedded store in ./data with the defaults', () => {
    const config = loadConfig({}, fileWith({}))._unsafeUnwrap();
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      store: { dataDir: './data' },
      companies: [{ id: DEMO.companyId, apiTokenSha256: [sha256Hex(DEMO.token)] }],
      sync: { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 300_000, rateLimitPerMinute: 120 },
      reconciliation: { intervalMinutes: 30, missesBeforeOrphan: 3, maxMissingShare: 0.5 },
    });
    expect(config.demo).not.toBeNull();
  });

  it('bounds every wait by default: HTTP, store, readiness and Cal.com rate-limit resets', () => {
    const config = loadConfig({}, fileWith({}))._unsafeUnwrap();
    expect(config.http).toMatchObject({
      connectionTimeoutMs: 60_000,
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5_000,
      rateLimit: { perIpPerMinute: 1200, perTokenPerMinute: 600, failedAuthPerIpPerMinute: 30 },
      trustProxy: false,
    });
    expect(config.store.timeouts).toMatchObject({ connectTimeoutMs: 5_000, statementTimeoutMs: 10_000 });
    expect(config.readiness).toEqual({ graceMs: 10_000, probeTimeoutMs: 1_000 });
    expect(config.sync.maxRateLimitResetMs).toBe(900_000);
  });

  it('refuses a headers timeout longer than the request timeout it is part of', () => {
    const file = {
      ...acme({ apiKey: 'k', webhookSecret: 's' }),
      http: { requestTimeoutMs: 5_000, headersTimeoutMs: 6_000 },
    };
    const error = loadConfig(withConfig, fileWith(file))._unsafeUnwrapErr();
    expect(error.problems).toEqual([expect.stringMatching(/^http\.headersTimeoutMs: /)]);
  });

  it('reads secrets written as env:NAME from the environment', () => {
    const env = { ...withConfig, ACME_KEY: 'cal_live_secret', ACME_HOOK: 'whsec' };
    const config = loadConfig(
      env,
      fileWith(acme({ apiKey: 'env:ACME_KEY', webhookSecret: 'env:ACME_HOOK' })),
    );
    expect(config._unsafeUnwrap().companies[0]?.calcom).toEqual({
      apiUrl: 'https://api.cal.com/v2',
      teamId: 42,
      apiKey: 'cal_live_secret',
      webhookSecret: 'whsec',
    });
  });

  it('names every bad key of the file, each on its own line', () => {
    const bad = {
      companies: [{ id: 'Acme Corp', apiTokenSha256: ['not-a-digest'], calcom: { teamId: -1, apiKey: 'k' } }],
      sync: { maxAttempts: 0 },
      surprise: true,
    };
    const error = loadConfig(withConfig, fileWith(bad))._unsafeUnwrapErr();
    expect(error.code).toBe('CONFIG_INVALID');
    const keys = error.problems.map((problem) => problem.split(':')[0]);
    expect(keys).toEqual(
      expect.arrayContaining([
        'companies[0].id',
        'companies[0].apiTokenSha256[0]',
        'companies[0].calcom.teamId',
        'companies[0].calcom.webhookSecret',
        'sync.maxAttempts',
        '(root)',
      ]),
    );
    for (const problem of error.problems) expect(error.message).toContain(problem);
  });

  it('names the key and the variable of a secret whose environment variable is not set', () => {
    const error = loadConfig(
      withConfig,
      fileWith(acme({ apiKey: 'env:MISSING_KEY', webhookSecret: 'x' })),
    )._unsafeUnwrapErr();
    expect(error.problems).toEqual([
      'companies[0].calcom.apiKey: environment variable MISSING_KEY is not set (or empty)',
    ]);
  });

  it('refuses a company configured twice and a token shared by two companies', () => {
    const company = { id: 'acme', apiTokenSha256: [digest] };
    const error = loadConfig(withConfig, fileWith({ companies: [company, company] }))._unsafeUnwrapErr();
    expect(error.problems).toEqual(
      expect.arrayContaining([
        'companies[1].id: "acme" is configured twice',
        'companies[1].apiTokenSha256: a token digest is shared with another company',
      ]),
    );
  });

  it('names bad environment variables', () => {
    const error = loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x' }, fileWith({}))._unsafeUnwrapErr();
    expect(error.problems.map((problem) => problem.split(':')[0])).toEqual(['PORT', 'DATABASE_URL']);
  });

  it('says when the file cannot be read as JSON', () => {
    const error = loadConfig(withConfig, () => '{ not json')._unsafeUnwrapErr();
    expect(error.problems[0]).toMatch(/^CALSYNC_CONFIG: cannot read \/etc\/calsync\.json as JSON/);
  });

  it('stops the server at start-up with the problems on stderr and exit code 78', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'calsync-config-'));
    const path = join(folder, 'calsync.json');
    await writeFile(path, JSON.stringify({ companies: [] }));
    const main = join(import.meta.dirname, '..', 'src', 'main.ts');
    const run = promisify(execFile);
    const failure = await run(process.execPath, ['--import', 'tsx', '--conditions=@calsync/source', main], {
      env: { ...process.env, CALSYNC_CONFIG: path, DATA_DIR: folder },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 78 });
    expect((failure as { stderr: string }).stderr).toContain('companies:');
  }, 60_000);
});
