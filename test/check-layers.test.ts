import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkRepository,
  checkSource,
  formatViolation,
  type RuleId,
  rules,
} from '../scripts/check-layers.js';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const checker = join(repositoryRoot, 'scripts/check-layers.ts');
const tsx = join(repositoryRoot, 'node_modules/.bin/tsx');

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A repository laid out like this one (five workspaces with their package names) holding `files`. */
function fixtureRepository(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'calsync-layers-'));
  folders.push(root);
  const manifests: Record<string, string> = {
    'packages/domain/package.json': '@calsync/domain',
    'packages/eventstore/package.json': '@calsync/eventstore',
    'packages/calcom/package.json': '@calsync/calcom',
    'apps/server/package.json': '@calsync/server',
    'apps/calcom-simulator/package.json': '@calsync/calcom-simulator',
  };
  for (const [path, name] of Object.entries(manifests)) write(root, path, JSON.stringify({ name }));
  for (const [path, text] of Object.entries(files)) write(root, path, text);
  return root;
}

function write(root: string, path: string, text: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** Imports that follow every rule, one of each kind the repository has. */
const goodTree: Record<string, string> = {
  'packages/domain/src/index.ts': `import { z } from 'zod';\nimport { ok } from 'neverthrow';\nexport * from './fields.js';\nexport const id = z.string();\nexport const yes = ok(1);\n`,
  'packages/domain/src/fields.ts': `import type { Result } from 'neverthrow';\nexport type Fields = Result<string, string>;\n`,
  'packages/domain/test/fields.test.ts': `import { readFileSync } from 'node:fs';\nimport fc from 'fast-check';\nimport { it } from 'vitest';\nimport type { Fields } from '../src/fields.js';\n`,
  'packages/eventstore/src/index.ts': `import type { Fields } from '@calsync/domain';\nimport pg from 'pg';\n`,
  'packages/calcom/src/index.ts': `import { z } from 'zod';\nimport type { Fields } from '@calsync/domain';\n`,
  'apps/server/src/index.ts': `import { id } from '@calsync/domain';\nimport type { EventStore } from '@calsync/eventstore';\nexport { buildHttpApp } from './http/app.js';\n`,
  'apps/server/src/http/app.ts': `import { reconcile } from '../reconciliation/reconciler.js';\nconst simulator = await import('@calsync/calcom-simulator');\n`,
  'apps/server/src/calsync.ts': `import { buildHttpApp } from './http/app.js';\nimport { ReadinessProbe } from './health/readiness-probe.js';\n`,
  'apps/server/src/http/routes/health-routes.ts': `import type { Readiness } from '../../health/readiness-probe.js';\n`,
  'apps/server/src/cli/reconcile-command.ts': `import { runViewSchema } from '../http/schemas/run-schemas.js';\n`,
  'apps/server/src/reconciliation/reconciler.ts': `import type { Fields } from '@calsync/domain';\nimport { lookUp } from '../calcom/directory.js';\n`,
  'apps/server/test/http-edge.test.ts': `import { buildHttpApp } from '../src/http/app.js';\nimport { sendRaw } from '../../../test/support/raw-http.js';\n`,
  'test/support/harness.ts': `import { startServer } from '@calsync/server';\nimport { sendRaw } from './raw-http.js';\n`,
  'test/server.test.ts': `import { CalsyncHarness } from './support/harness.js';\nimport { checkRepository } from '../scripts/check-layers.js';\n`,
  'bench/sync/run.ts': `import { Calsync } from '@calsync/server';\nimport { openEventStore } from '@calsync/eventstore';\n`,
};

describe('the dependency rule (the layers point one way)', () => {
  it('finds nothing in a repository whose imports all point the right way', () => {
    expect(checkRepository(fixtureRepository(goodTree)).map(formatViolation)).toEqual([]);
  });

  it.each<[string, string, string, RuleId]>([
    [
      'the domain reads a file',
      'packages/domain/src/clock.ts',
      `import { readFileSync } from 'node:fs';`,
      'domain-is-pure',
    ],
    [
      'the domain uses the store',
      'packages/domain/src/store.ts',
      `import type { EventStore } from '@calsync/eventstore';`,
      'domain-is-pure',
    ],
    [
      'a domain test uses the store',
      'packages/domain/test/history.test.ts',
      `import { createInMemoryEventStore } from '@calsync/eventstore';`,
      'domain-is-pure',
    ],
    [
      'the event store imports the server',
      'packages/eventstore/src/feed.ts',
      `import { Calsync } from '@calsync/server';`,
      'packages-below-apps',
    ],
    [
      'the Cal.com client imports the server by path',
      'packages/calcom/src/client.ts',
      `import { x } from '../../../apps/server/src/logger.js';`,
      'packages-below-apps',
    ],
    [
      'a package imports the simulator',
      'packages/calcom/src/fake.ts',
      `import { startSimulator } from '@calsync/calcom-simulator';`,
      'packages-below-apps',
    ],
    [
      'a root test reaches into the server',
      'test/cli.test.ts',
      `import { parseCliArguments } from '../apps/server/src/cli/cli-arguments.js';`,
      'no-reach-into-another-workspace',
    ],
    [
      'a shared harness reaches into a package',
      'test/support/store.ts',
      `import { expected } from '../../packages/eventstore/src/port.js';`,
      'no-reach-into-another-workspace',
    ],
    [
      'the benchmark reaches into the server',
      'bench/sync/wiring.ts',
      `import { SyncProcessManager } from '../../apps/server/src/sync/sync-process-manager.js';`,
      'no-reach-into-another-workspace',
    ],
    [
      'a deep import past the public entry',
      'test/logs.test.ts',
      `import { createLogger } from '@calsync/server/src/logger.js';`,
      'public-entry-only',
    ],
    [
      'a probe takes a type from the HTTP routes',
      'apps/server/src/health/readiness-probe.ts',
      `import type { Readiness } from '../http/routes/health-routes.js';`,
      'http-is-the-shell',
    ],
    [
      'the CLI reaches past the contract schemas into the routes',
      'apps/server/src/cli/reconcile-command.ts',
      `import { reconciliationRoutes } from '../http/routes/reconciliation-routes.js';`,
      'http-is-the-shell',
    ],
    [
      'reconciliation imports the HTTP shell',
      'apps/server/src/reconciliation/routes.ts',
      `import { HttpError } from '../http/http-error.js';`,
      'http-is-the-shell',
    ],
    [
      'package code imports a test helper',
      'packages/eventstore/src/memory.ts',
      `import { conformance } from '../test/conformance.js';`,
      'code-does-not-import-tests',
    ],
    [
      'server code imports a test',
      'apps/server/src/calsync.ts',
      `import { tokens } from '../test/calsync-under-test.js';`,
      'code-does-not-import-tests',
    ],
    [
      'package code imports a test tool',
      'packages/calcom/src/arbitrary.ts',
      `import fc from 'fast-check';`,
      'code-does-not-import-tests',
    ],
  ])('%s is a violation (%s)', (_, file, text, rule) => {
    const root = fixtureRepository(goodTree);
    expect(checkSource(root, file, `// ${file}\n${text}\n`).map((v) => [v.line, v.rule])).toContainEqual([
      2,
      rule,
    ]);
  });

  it('reports a test file in src/, which belongs in the test/ folder', () => {
    const root = fixtureRepository(goodTree);
    expect(
      checkSource(root, 'packages/domain/src/fields.test.ts', `import type { Fields } from './fields.js';\n`),
    ).toEqual([
      {
        file: 'packages/domain/src/fields.test.ts',
        line: 1,
        specifier: 'packages/domain/src/fields.test.ts',
        rule: 'tests-live-in-test-folders',
      },
    ]);
  });

  it.each([
    ['a static import', `import { x } from '../apps/server/src/x.js';`],
    ['a type-only import', `import type { X } from '../apps/server/src/x.js';`],
    ['an inline type import', `import { type X } from '../apps/server/src/x.js';`],
    ['a re-export', `export { x } from '../apps/server/src/x.js';`],
    ['a re-export of everything', `export * from '../apps/server/src/x.js';`],
    ['a dynamic import', `const { x } = await import('../apps/server/src/x.js');`],
    ['a type query of an import', `type X = typeof import('../apps/server/src/x.js');`],
    ['import = require', `import x = require('../apps/server/src/x.js');`],
    ['a bare side-effect import', `import '../apps/server/src/x.js';`],
  ])('counts %s', (_, text) => {
    const root = fixtureRepository(goodTree);
    expect(checkSource(root, 'test/e2e.test.ts', text).map((v) => v.rule)).toEqual([
      'no-reach-into-another-workspace',
    ]);
  });

  it('ignores import-like text in strings and comments', () => {
    const root = fixtureRepository(goodTree);
    const text = `// import { x } from '../apps/server/src/x.js';\nconst snippet = "import fs from 'node:fs'";\n`;
    expect(checkSource(root, 'packages/domain/src/snippet.ts', text)).toEqual([]);
  });

  it('fails the command with the file, the line, the import, the rule and what to do instead', async () => {
    const root = fixtureRepository({
      ...goodTree,
      'test/cli.test.ts': `import { it } from 'vitest';\nimport { parseCliArguments } from '../apps/server/src/cli/cli-arguments.js';\n`,
    });
    const failure = await promisify(execFile)(tsx, [checker, root]).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain(
      `test/cli.test.ts:2 imports '../apps/server/src/cli/cli-arguments.js'\n  rule no-reach-into-another-workspace: ${rules['no-reach-into-another-workspace'].says}\n  instead: ${rules['no-reach-into-another-workspace'].instead}`,
    );
    expect(failure?.stderr).toContain('docs/testing.md');
  });

  it('passes the command on a repository without violations', async () => {
    const { stdout } = await promisify(execFile)(tsx, [checker, fixtureRepository(goodTree)]);
    expect(stdout).toContain('every import points the right way');
  });
});
