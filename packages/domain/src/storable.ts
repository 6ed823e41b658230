import { z } from 'zod';

/**
 * What a fact may hold so that every store keeps it and every reader can read it back
 * (docs/limits.md). PostgreSQL's text and jsonb refuse the NUL character and lone UTF-16
 * surrogates, and a free-form value nested without bound overflows the stack of whoever walks
 * it next. Values a client sends are refused with the path of the first problem; values Cal.com
 * sends are kept readable with `toStorableText` instead, so that what Cal.com holds is still
 * shown to an admin.
 */

/** Bounds of a free-form JSON field (such as a service's `assignment`). */
export interface JsonLimits {
  /** Levels of objects and arrays; a scalar is depth 0, `{"a":1}` depth 1. */
  maxDepth: number;
  /** Characters of the value written as JSON, about. */
  maxChars: number;
}

/** The documented bound of the free-form fields of a service. */
export const freeFormJsonLimits: JsonLimits = { maxDepth: 32, maxChars: 65_536 };

/** Whether a text can be stored: well-formed Unicode (no lone surrogate) and no NUL. */
export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

/** The same text with every NUL and lone surrogate replaced by U+FFFD (the replacement character). */
export function toStorableText(text: string): string {
  return isStorableText(text) ? text : text.toWellFormed().replaceAll('\u0000', '\uFFFD');
}

export type JsonPath = Array<string | number>;

export type JsonProblem =
  | { kind: 'unstorable_text'; path: JsonPath }
  | { kind: 'too_deep'; path: JsonPath; maxDepth: number }
  | { kind: 'too_large'; path: JsonPath; maxChars: number }
  | { kind: 'not_json'; path: JsonPath };

/** A person's sentence for a problem, without the offending value. */
export function describeJsonProblem(problem: JsonProblem): string {
  switch (problem.kind) {
    case 'unstorable_text':
      return 'contains a NUL character or a lone UTF-16 surrogate, which cannot be stored; remove it';
    case 'too_deep':
      return `is nested more than ${problem.maxDepth} levels deep; flatten it`;
    case 'too_large':
      return `is larger than ${problem.maxChars} characters as JSON; send less`;
    case 'not_json':
      return 'is not a JSON value (string, number, boolean, null, array or object)';
  }
}

/**
 * The first problem of a value against the limits, or null. Walks iteratively, so no depth of
 * nesting can overflow the stack, and stops at the first problem, so no size of input costs
 * more than the limit allows. Keys are checked like strings.
 */
export function findJsonProblem(value: unknown, limits: JsonLimits): JsonProblem | null {
  const pending: Array<{ value: unknown; path: JsonPath; depth: number }> = [{ value, path: [], depth: 0 }];
  let chars = 0;
  while (pending.length > 0) {
    const next = pending.pop();
    if (!next) break;
    const { value: item, path, depth } = next;
    if (chars > limits.maxChars) return { kind: 'too_large', path, maxChars: limits.maxChars };
    if (item === null || typeof item === 'boolean') {
      chars += 5;
      continue;
    }
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) return { kind: 'not_json', path };
      chars += 8;
      continue;
    }
    if (typeof item === 'string') {
      chars += item.length + 2;
      if (!isStorableText(item)) return { kind: 'unstorable_text', path };
      continue;
    }
    if (typeof item !== 'object') return { kind: 'not_json', path };
    if (depth + 1 > limits.maxDepth) return { kind: 'too_deep', path, maxDepth: limits.maxDepth };
    chars += 2;
    if (Array.isArray(item)) {
      for (let index = item.length - 1; index >= 0; index--)
        pending.push({ value: item[index], path: [...path, index], depth: depth + 1 });
      continue;
    }
    const entries = Object.entries(item as Record<string, unknown>);
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, child] = entries[index] as [string, unknown];
      chars += key.length + 3;
      if (!isStorableText(key)) return { kind: 'unstorable_text', path: [...path, key] };
      if (child !== undefined) pending.push({ value: child, path: [...path, key], depth: depth + 1 });
    }
  }
  return chars > limits.maxChars ? { kind: 'too_large', path: [], maxChars: limits.maxChars } : null;
}

const unstorableTextMessage = describeJsonProblem({ kind: 'unstorable_text', path: [] });

/** A string a store can hold; every text field of a service is one. */
export const storableString = (): z.ZodString =>
  z.string().refine(isStorableText, { message: unstorableTextMessage });

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Free-form JSON within limits; the problem names the path of the first offending value. */
export const boundedJson = (limits: JsonLimits = freeFormJsonLimits) =>
  z.custom<JsonValue>().superRefine((value, context) => {
    const problem = findJsonProblem(value, limits);
    if (problem)
      context.addIssue({ code: 'custom', path: problem.path, message: describeJsonProblem(problem) });
  });
