import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

// The packages are libraries others import: each must build to ESM with declarations that
// plain Node (no source condition, no TypeScript) can load through its exports map.
describe.each([
  ['domain', ['decide', 'evolve', 'initialState', 'statusView', 'auditEntry', 'serviceEventSchemas']],
  ['calcom', ['createCalcomClient', 'rateLimiterFor', 'verifyWebhookSignature', 'eventTypeSchema']],
  ['eventstore', ['createInMemoryEventStore', 'createPgliteEventStore', 'openEventStore']],
])('the %s package as a library', (name, exported) => {
  const outDir = join(root, 'packages', name, 'dist');
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('builds to ESM with type declarations and loads in plain Node', async () => {
    const project = join(root, 'packages', name, 'tsconfig.build.json');
    await run(process.execPath, [tsc, '-p', project]);
    const declarations = await readFile(join(outDir, 'index.d.ts'), 'utf8');
    expect(declarations).toContain('export');
    const manifest = JSON.parse(await readFile(join(root, 'packages', name, 'package.json'), 'utf8'));
    expect(manifest.exports['.']).toMatchObject({ types: './dist/index.d.ts', import: './dist/index.js' });
    // Imported by name from a package that depends on it: the exports map must pick dist/index.js.
    const script = `const m = await import('@calsync/${name}'); console.log(JSON.stringify(Object.keys(m)));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(root, 'apps', 'server'),
    });
    expect(JSON.parse(stdout)).toEqual(expect.arrayContaining(exported));
  }, 120_000);
});
