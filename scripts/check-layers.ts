import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/**
 * The dependency rule of the repository (docs/testing.md, "The dependency rule"), checked on
 * the syntax tree of every TypeScript file: static imports, `import type`, `export … from`,
 * `import x = require(…)`, dynamic `import(…)` and `typeof import(…)` all count.
 *
 * Layers point one way: domain ← eventstore, calcom ← server ← tests. A package never reaches
 * into an app, the domain reaches for nothing but zod and neverthrow, and code outside a
 * workspace reaches it through its public entry (`@calsync/<name>`), never its files.
 */

export type RuleId =
  | 'domain-is-pure'
  | 'packages-below-apps'
  | 'no-reach-into-another-workspace'
  | 'public-entry-only'
  | 'http-is-the-shell'
  | 'code-does-not-import-tests'
  | 'tests-live-in-test-folders';

export interface Rule {
  id: RuleId;
  /** What the rule says, in one sentence. */
  says: string;
  /** What to do instead. */
  instead: string;
}

export const rules: Record<RuleId, Rule> = {
  'domain-is-pure': {
    id: 'domain-is-pure',
    says: 'packages/domain/src imports only its own files, zod and neverthrow, and its tests import no other workspace',
    instead:
      'move the I/O into a port implemented outside the domain (packages/eventstore, packages/calcom or apps/server) and pass data in commands',
  },
  'packages-below-apps': {
    id: 'packages-below-apps',
    says: 'a package (packages/*) never imports an app (apps/*, @calsync/server, @calsync/calcom-simulator)',
    instead:
      'move what both need into a package, or let the app pass it in (the app depends on the package, not the other way round)',
  },
  'no-reach-into-another-workspace': {
    id: 'no-reach-into-another-workspace',
    says: "a file never imports another workspace (packages/*, apps/*, test, bench) by relative path; only a package's tests may import the shared harnesses in test/support, and the root tests the scripts in scripts/",
    instead:
      "import the workspace's public entry (`@calsync/<name>`), exporting what you need from its src/index.ts",
  },
  'public-entry-only': {
    id: 'public-entry-only',
    says: 'a workspace is imported through its public entry `@calsync/<name>`, never a deep path into it',
    instead: "import from `@calsync/<name>` and export what you need from that workspace's src/index.ts",
  },
  'http-is-the-shell': {
    id: 'http-is-the-shell',
    says: 'the HTTP shell (apps/server/src/http) is imported only by itself and the composition root (calsync.ts, server.ts, main.ts, index.ts); the CLI, a client of the HTTP contract, may read its schemas (http/schemas) and nothing else of it',
    instead:
      'put routes and schemas in apps/server/src/http and let them call the code below; move a type both need down next to the code that produces it',
  },
  'code-does-not-import-tests': {
    id: 'code-does-not-import-tests',
    says: 'source code (src/) never imports a test, a test helper, a test folder or a test tool (vitest, fast-check)',
    instead: 'move what the code needs into src/; test helpers may import code, not the other way round',
  },
  'tests-live-in-test-folders': {
    id: 'tests-live-in-test-folders',
    says: "a test file (*.test.ts) lives in its package's test/ folder or in the root test/ folder, not in src/",
    instead: "move it to the package's test/ folder (`git mv`) and import the code from ../src",
  },
};

export interface Violation {
  /** Path relative to the repository root, with forward slashes. */
  file: string;
  line: number;
  /** The module specifier as written (for 'tests-live-in-test-folders', the file itself). */
  specifier: string;
  rule: RuleId;
}

/** One message a person can act on: where, what, which rule, what to do instead. */
export function formatViolation(violation: Violation): string {
  const rule = rules[violation.rule];
  const what =
    violation.rule === 'tests-live-in-test-folders'
      ? 'a test file in src/'
      : `imports '${violation.specifier}'`;
  return `${violation.file}:${violation.line} ${what}\n  rule ${rule.id}: ${rule.says}\n  instead: ${rule.instead}`;
}

/** The folders the checker walks, relative to the repository root. */
const scannedFolders = ['packages', 'apps', 'test', 'bench', 'scripts'];
const skippedFolders = new Set(['node_modules', 'dist', 'coverage', 'data', '.git']);
const sourceFile = /\.(c|m)?tsx?$/;
const testFile = /\.test\.(c|m)?tsx?$/;

/** The workspace a path (relative to the root, forward slashes) belongs to, e.g. `packages/domain`, `test`. */
function workspaceOf(path: string): string | null {
  const [first, second] = path.split('/');
  if ((first === 'packages' || first === 'apps') && second !== undefined) return `${first}/${second}`;
  if (first === 'test' || first === 'bench' || first === 'scripts') return first;
  return null;
}

/** The workspaces by package name (`@calsync/domain` → `packages/domain`), read from their package.json. */
export function workspacePackages(root: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const parent of ['packages', 'apps']) {
    const folder = join(root, parent);
    if (!existsSync(folder)) continue;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const manifest = join(folder, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifest)) continue;
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
      if (typeof name === 'string') names.set(name, `${parent}/${entry.name}`);
    }
  }
  return names;
}

/** Every import-like reference in one file: specifier and 1-based line. */
export function importsOf(file: string, text: string): { specifier: string; line: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: { specifier: string; line: number }[] = [];
  const add = (node: ts.Node, specifier: ts.Node | undefined) => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return;
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push({ specifier: specifier.text, line: line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      add(node, node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression);
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      add(node, ts.isLiteralTypeNode(argument) ? argument.literal : undefined);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0]);
    } else if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'require'
    ) {
      add(node, node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const domainPackages = ['zod', 'neverthrow'];
/** The server's files that wire the HTTP shell to everything else. */
const compositionRoot = ['calsync.ts', 'server.ts', 'main.ts', 'index.ts'].map(
  (name) => `apps/server/src/${name}`,
);
const testTools = ['vitest', 'fast-check', '@vitest/coverage-v8'];
const appPackages = (packages: Map<string, string>) =>
  [...packages].filter(([, folder]) => folder.startsWith('apps/')).map(([name]) => name);

interface Target {
  /** Workspace of the imported file or package, or null for an outside package or a built-in. */
  workspace: string | null;
  /** Path of the imported file relative to the root (relative imports only). */
  path: string | null;
  /** Bare package name (`@calsync/server`, `zod`), for bare imports. */
  packageName: string | null;
  /** A bare import of a workspace that goes past its public entry (`@calsync/server/src/x`). */
  deep: boolean;
}

function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function resolveTarget(root: string, file: string, specifier: string, packages: Map<string, string>): Target {
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') {
    const absolute = resolve(dirname(join(root, file)), specifier);
    const path = relative(root, absolute).split(sep).join('/');
    return { workspace: workspaceOf(path), path, packageName: null, deep: false };
  }
  const packageName = packageNameOf(specifier);
  const workspace = packages.get(packageName) ?? null;
  return { workspace, path: null, packageName, deep: workspace !== null && specifier !== packageName };
}

const isUnder = (path: string | null, folder: string) =>
  path !== null && (path === folder || path.startsWith(`${folder}/`));
const isTestPath = (path: string) => testFile.test(path) || /(^|\/)test(\/|$)/.test(path);

/** The rules one import breaks (usually none). `file` is relative to the root, forward slashes. */
export function checkImport(
  root: string,
  file: string,
  specifier: string,
  packages: Map<string, string>,
): RuleId[] {
  const broken: RuleId[] = [];
  const from = workspaceOf(file);
  const target = resolveTarget(root, file, specifier, packages);
  const inSrc = from !== null && isUnder(file, `${from}/src`);

  if (from === 'packages/domain' && inSrc) {
    const allowed = target.path
      ? isUnder(target.path, 'packages/domain/src')
      : domainPackages.includes(target.packageName ?? '');
    if (!allowed) broken.push('domain-is-pure');
  } else if (from === 'packages/domain' && target.workspace !== null && target.workspace !== from) {
    // The domain's tests may use test tools and Node, but no other workspace: they need nothing else.
    broken.push('domain-is-pure');
  }
  if (from?.startsWith('packages/')) {
    const intoApp = target.path
      ? isUnder(target.path, 'apps')
      : appPackages(packages).includes(target.packageName ?? '');
    if (intoApp) broken.push('packages-below-apps');
  }
  // Two allowed crossings: a package's tests use the shared harnesses of test/support, and the
  // root tests test the repository's scripts (which have no package entry).
  const sharedHarness =
    from !== null && isUnder(file, `${from}/test`) && isUnder(target.path, 'test/support');
  const testedScript = from === 'test' && target.workspace === 'scripts';
  if (target.path && target.workspace !== from && !sharedHarness && !testedScript) {
    broken.push('no-reach-into-another-workspace');
  }
  if (target.deep) broken.push('public-entry-only');
  if (
    isUnder(file, 'apps/server/src') &&
    !isUnder(file, 'apps/server/src/http') &&
    !compositionRoot.includes(file) &&
    isUnder(target.path, 'apps/server/src/http') &&
    !(isUnder(file, 'apps/server/src/cli') && isUnder(target.path, 'apps/server/src/http/schemas'))
  ) {
    broken.push('http-is-the-shell');
  }
  const testTool = testTools.includes(target.packageName ?? '');
  if (inSrc && ((target.path && isTestPath(target.path)) || testTool))
    broken.push('code-does-not-import-tests');
  return broken;
}

/** The violations in one file's text; `file` is relative to the root. */
export function checkSource(
  root: string,
  file: string,
  text: string,
  packages: Map<string, string> = workspacePackages(root),
): Violation[] {
  const violations: Violation[] = [];
  const from = workspaceOf(file);
  if (from !== null && isUnder(file, `${from}/src`) && testFile.test(file)) {
    violations.push({ file, line: 1, specifier: file, rule: 'tests-live-in-test-folders' });
  }
  for (const { specifier, line } of importsOf(file, text)) {
    for (const rule of checkImport(root, file, specifier, packages)) {
      violations.push({ file, line, specifier, rule });
    }
  }
  return violations;
}

function sourceFiles(root: string, folder: string): string[] {
  const absolute = join(root, folder);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute, { withFileTypes: true }).flatMap((entry) => {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return skippedFolders.has(entry.name) ? [] : sourceFiles(root, path);
    return sourceFile.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The violations in every TypeScript file of the repository at `root`. */
export function checkRepository(root: string): Violation[] {
  const packages = workspacePackages(root);
  return scannedFolders
    .flatMap((folder) => sourceFiles(root, folder))
    .sort()
    .flatMap((file) => checkSource(root, file, readFileSync(join(root, file), 'utf8'), packages));
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const root = process.argv[2]
    ? resolve(process.argv[2])
    : resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const violations = checkRepository(root);
  if (violations.length > 0) {
    console.error(violations.map(formatViolation).join('\n\n'));
    console.error(
      `\n${violations.length} import(s) cross a layer the wrong way. The rule is explained in docs/testing.md ("The dependency rule").`,
    );
    process.exitCode = 1;
  } else {
    console.log('Dependency rule: every import points the right way.');
  }
}
