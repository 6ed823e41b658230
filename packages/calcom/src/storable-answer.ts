import { err, ok, type Result } from 'neverthrow';

/**
 * Text from Cal.com is kept readable, never refused (docs/limits.md): a title typed in Cal.com's
 * UI may hold a NUL or a lone UTF-16 surrogate, which no store can hold. Every string value and
 * every key of a parsed answer is therefore made storable right after JSON.parse, before any
 * schema reads it, so the rest of calsync only ever sees text it can store and show.
 *
 * The replacement is the same as `toStorableText` of @calsync/domain (this package does not
 * depend on the domain): every NUL and every lone surrogate becomes U+FFFD.
 */

/** Values (strings, numbers, containers…) one answer may hold; far above any real Cal.com answer. */
export const MAX_ANSWER_NODES = 1_000_000;

export interface AnswerTooLarge {
  kind: 'too_many_values';
  maxNodes: number;
}

function storableText(text: string): string {
  if (text.isWellFormed() && !text.includes('\u0000')) return text;
  return text.toWellFormed().replaceAll('\u0000', '\uFFFD');
}

type Container = unknown[] | Record<string, unknown>;

function put(target: Container, key: string | number, value: unknown): void {
  if (Array.isArray(target)) {
    target[key as number] = value;
    return;
  }
  // A key "__proto__" from JSON.parse is an own property; plain assignment would set the prototype.
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key as string] = value;
}

/**
 * A copy of a parsed JSON value in which every string and key is storable and nothing else
 * differs. Walks with an explicit stack, so no nesting overflows the call stack, and stops after
 * `maxNodes` values. Two keys that differ only in unstorable characters become one (the later wins).
 */
export function makeStorable(value: unknown, maxNodes = MAX_ANSWER_NODES): Result<unknown, AnswerTooLarge> {
  const root: { value: unknown } = { value: undefined };
  const pending: Array<{ value: unknown; target: Container | typeof root; key: string | number }> = [
    { value, target: root, key: 'value' },
  ];
  let nodes = 0;
  while (pending.length > 0) {
    const next = pending.pop();
    if (!next) break;
    nodes += 1;
    if (nodes > maxNodes) return err({ kind: 'too_many_values', maxNodes });
    const { value: item, target, key } = next;
    let copy: unknown = item;
    if (typeof item === 'string') copy = storableText(item);
    else if (Array.isArray(item)) {
      const array: unknown[] = new Array(item.length);
      for (let index = item.length - 1; index >= 0; index--)
        pending.push({ value: item[index], target: array, key: index });
      copy = array;
    } else if (item !== null && typeof item === 'object') {
      const object: Record<string, unknown> = {};
      const keys = Object.keys(item);
      // Fill in key order first so the copy keeps the order of the answer.
      for (const name of keys) put(object, storableText(name), undefined);
      for (let index = keys.length - 1; index >= 0; index--) {
        const name = keys[index] as string;
        pending.push({
          value: (item as Record<string, unknown>)[name],
          target: object,
          key: storableText(name),
        });
      }
      copy = object;
    }
    if (target === root) root.value = copy;
    else put(target as Container, key, copy);
  }
  return ok(root.value);
}

/** JSON.parse followed by `makeStorable`. */
export function parseStorableJson(
  text: string,
  maxNodes = MAX_ANSWER_NODES,
): Result<unknown, AnswerTooLarge | 'not_json'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return err('not_json');
  }
  return makeStorable(parsed, maxNodes);
}
