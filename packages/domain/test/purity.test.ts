import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allowedPackages, scanFolder, scanSource } from './purity-scan.js';

const srcDir = fileURLToPath(new URL('../src', import.meta.url));
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<
  string,
  Record<string, string> | undefined
>;

/** Scans one snippet as if it were a file of packages/domain/src. */
const scan = (text: string) => scanSource('snippet.ts', text, srcDir);

describe('the domain is pure (the rule "the domain depends on nothing" is enforced)', () => {
  it('packages/domain/src imports nothing but its own files, zod and neverthrow, and touches no clock, randomness, network or file system', () => {
    const violations = scanFolder(srcDir);
    expect(violations, violations.map((v) => `${v.file}:${v.line} ${v.rule}: ${v.text}`).join('\n')).toEqual(
      [],
    );
  });

  it('packages/domain declares only its pure dependencies', () => {
    expect(Object.keys(packageJson.dependencies ?? {}).sort()).toEqual([...allowedPackages].sort());
    expect(packageJson.peerDependencies).toBeUndefined();
    expect(packageJson.optionalDependencies).toBeUndefined();
  });
});

describe('the purity check catches what it must (it is proven on bad code)', () => {
  it.each([
    ['a Node built-in', `import { readFileSync } from 'node:fs';`, 'import'],
    ['a bare Node built-in', `import * as path from 'path';`, 'import'],
    ['another workspace package', `import { EventStore } from '@calsync/eventstore';`, 'import'],
    ['a relative path out of the package', `import { x } from '../../eventstore/src/index.js';`, 'import'],
    ['a type from an adapter', `import type { FastifyInstance } from 'fastify';`, 'import'],
    ['a re-export of a package', `export * from 'node:crypto';`, 'import'],
    ['an inline type import', `type Fs = typeof import('node:fs');`, 'import'],
    ['import = require', `import fs = require('fs');`, 'import'],
    ['a dynamic import', `const fs = await import('./fields.js');`, 'dynamic-import'],
    ['import.meta', `const here = import.meta.url;`, 'import-meta'],
    ['Date.now()', `const now = Date.now();`, 'clock'],
    ["Date['now']()", `const now = Date['now']();`, 'clock'],
    ['new Date() without arguments', `const now = new Date();`, 'clock'],
    ['new Date without parentheses', `const now = new Date;`, 'clock'],
    ['Date() as a function', `const now = Date();`, 'clock'],
    ['Math.random()', `const id = Math.random();`, 'randomness'],
    ['crypto', `const id = crypto.randomUUID();`, 'global'],
    ['performance', `const t = performance.now();`, 'global'],
    ['process', `const key = process.env.KEY;`, 'global'],
    ['process in shorthand', `const env = { process };`, 'global'],
    ['fetch', `await fetch('https://api.cal.com/v2');`, 'global'],
    ['globalThis', `const f = globalThis.fetch;`, 'global'],
    ['setTimeout', `setTimeout(() => {}, 10);`, 'global'],
    ['setInterval', `setInterval(() => {}, 10);`, 'global'],
    ['require', `const fs = require('fs');`, 'global'],
  ] as const)('%s is a violation', (_, snippet, rule) => {
    expect(scan(snippet).map((violation) => violation.rule)).toContain(rule);
  });

  it('a violation names its file and line', () => {
    expect(scan(`const a = 1;\nconst now = Date.now();`)).toEqual([
      { file: 'snippet.ts', line: 2, rule: 'clock', text: 'Date.now' },
    ]);
  });

  it.each([
    ['zod', `import { z } from 'zod';`],
    ['neverthrow, types only', `import type { Result } from 'neverthrow';`],
    ['a file of the domain', `import { fieldNames } from './fields.js';`],
    ['a re-export of a file of the domain', `export * from './events.js';`],
    ['a time that arrived in a command', `const at = new Date(command.at).getTime();`],
    ['parsing a date', `const ms = Date.parse(command.at);`],
    ['pure Math', `const delay = Math.min(Math.max(jitter, 0), 1);`],
    ['a property named like a global', `const p = state.process; const q = { fetch: 1, performance: 2 };`],
    ['a member named like a global', `interface Plan { setTimeout: number; crypto(): void }`],
    ['a destructured key named like a global', `const { process: step } = plan;`],
    ['a word in a comment or string', `// fetch is done by the shell\nconst s = 'process';`],
  ])('%s is allowed', (_, snippet) => {
    expect(scan(snippet)).toEqual([]);
  });
});
