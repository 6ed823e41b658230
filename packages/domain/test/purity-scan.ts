import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The dependency and purity rule of packages/domain, checked on the syntax tree (not with
 * regexes, so a property named `process` or a comment about `fetch` is no violation).
 *
 * The domain may import only its own files, zod and neverthrow, and may not reach for the
 * clock, randomness, the network, timers, the process or the file system: time and ids
 * arrive inside commands.
 */

export const allowedPackages = ['zod', 'neverthrow'] as const;

/** Globals that reach outside the pure function: clock, randomness, network, timers, process, host. */
const forbiddenGlobals = new Set([
  'process',
  'fetch',
  'crypto',
  'performance',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'queueMicrotask',
  'require',
  'XMLHttpRequest',
  'WebSocket',
  'globalThis',
  'global',
  'window',
  'eval',
  'Buffer',
  '__dirname',
  '__filename',
]);

/** Members of otherwise pure globals that read the clock or a random source. */
const forbiddenMembers: Record<string, Set<string>> = {
  Date: new Set(['now']),
  Math: new Set(['random']),
};

export interface Violation {
  file: string;
  line: number;
  rule: 'import' | 'global' | 'clock' | 'randomness' | 'dynamic-import' | 'import-meta';
  text: string;
}

/** The violations in one source file; `root` is the folder its relative imports must stay in. */
export function scanSource(file: string, text: string, root: string): Violation[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const violations: Violation[] = [];
  const report = (node: ts.Node, rule: Violation['rule']) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    violations.push({ file, line: line + 1, rule, text: node.getText(source).slice(0, 120) });
  };
  const checkSpecifier = (node: ts.Node, specifier: ts.Expression | undefined) => {
    if (!specifier || !ts.isStringLiteral(specifier) || !isAllowedImport(specifier.text, file, root)) {
      report(node, 'import');
    }
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      if (node.moduleSpecifier) checkSpecifier(node, node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      checkSpecifier(node, node.moduleReference.expression);
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      checkSpecifier(node, ts.isLiteralTypeNode(argument) ? argument.literal : undefined);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      report(node, 'dynamic-import');
    } else if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) {
      report(node, 'import-meta');
    } else if (ts.isNewExpression(node) && isIdentifier(node.expression, 'Date') && !node.arguments?.length) {
      report(node, 'clock');
    } else if (ts.isCallExpression(node) && isIdentifier(node.expression, 'Date')) {
      report(node, 'clock');
    } else if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      const member = memberName(node);
      const owner = ts.isIdentifier(node.expression) ? node.expression.text : null;
      if (owner && member && forbiddenMembers[owner]?.has(member)) {
        report(node, owner === 'Math' ? 'randomness' : 'clock');
      }
    } else if (ts.isIdentifier(node) && forbiddenGlobals.has(node.text) && isReference(node)) {
      report(node, 'global');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return violations;
}

/** The violations in every source file under `root` (tests excluded: they may use Node). */
export function scanFolder(root: string): Violation[] {
  return sourceFiles(root).flatMap((file) =>
    scanSource(relative(root, file), readFileSync(file, 'utf8'), root),
  );
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(c|m)?tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function isAllowedImport(specifier: string, file: string, root: string): boolean {
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    const target = resolve(dirname(resolve(root, file)), specifier);
    return target === root || target.startsWith(root + sep);
  }
  return allowedPackages.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

function isIdentifier(node: ts.Node, name: string): boolean {
  return ts.isIdentifier(node) && node.text === name;
}

function memberName(node: ts.PropertyAccessExpression | ts.ElementAccessExpression): string | null {
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  return ts.isStringLiteralLike(node.argumentExpression) ? node.argumentExpression.text : null;
}

/** Whether an identifier names a variable, not a property, member or key that merely shares the name. */
function isReference(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (!parent) return true;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if (ts.isQualifiedName(parent) && parent.right === node) return false;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent) ||
      ts.isEnumMember(parent)) &&
    parent.name === node
  ) {
    return false;
  }
  if (ts.isBindingElement(parent) && parent.propertyName === node) return false;
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return false;
  return true;
}
