import type { NewEvent, UnstorableEvent } from './port.js';

/**
 * What every engine can hold (docs/limits.md). PostgreSQL's text and jsonb refuse the NUL
 * character and lone UTF-16 surrogates; ESDB would store them but nobody could read them back
 * into PostgreSQL; and a value nested without bound overflows the stack of whoever walks it
 * next (JSON.stringify, the jsonb parser, a projection). These bounds are the store's own,
 * wider than any schema's at the HTTP boundary, so they only ever catch a bug or a bypass.
 */
export const storeEventLimits = {
  /** Levels of objects and arrays in `data` or `metadata`; a scalar is depth 0. */
  maxDepth: 64,
  /** Characters of `data` and `metadata` together, written as JSON, about (1 MiB). */
  maxChars: 1_048_576,
} as const;

type Problem = UnstorableEvent['problem'];

const isStorableText = (text: string): boolean => text.isWellFormed() && !text.includes('\u0000');

/** A path segment as it may appear in a message: storable, short, never the whole key. */
const MAX_SEGMENT_CHARS = 40;
const MAX_PATH_SEGMENTS = 12;

const describeProblem = (problem: Problem): string => {
  switch (problem) {
    case 'unstorable_text':
      return 'contains a NUL character or a lone UTF-16 surrogate, which cannot be stored';
    case 'too_deep':
      return `is nested more than ${storeEventLimits.maxDepth} levels deep`;
    case 'too_large':
      return `is larger than ${storeEventLimits.maxChars} characters as JSON`;
    case 'not_json':
      return 'is not a JSON value (string, number, boolean, null, array or object)';
  }
};

/** A link of the path to a value: kept as a parent chain so walking deep costs no copies. */
interface PathLink {
  segment: string | number;
  parent: PathLink | undefined;
}

const formatSegment = (segment: string | number): string => {
  if (typeof segment === 'number') return `[${segment}]`;
  const safe = segment.toWellFormed().replaceAll('\u0000', '\uFFFD');
  const short = safe.length > MAX_SEGMENT_CHARS ? `${safe.slice(0, MAX_SEGMENT_CHARS)}…` : safe;
  return /^[A-Za-z_$][\w$]*$/.test(short) ? `.${short}` : `[${JSON.stringify(short)}]`;
};

const formatPath = (root: string, link: PathLink | undefined): string => {
  const segments: Array<string | number> = [];
  for (let at = link; at !== undefined; at = at.parent) segments.push(at.segment);
  segments.reverse();
  const shown = segments.length > MAX_PATH_SEGMENTS ? segments.slice(0, MAX_PATH_SEGMENTS) : segments;
  return `${root}${shown.map(formatSegment).join('')}${segments.length > shown.length ? '…' : ''}`;
};

interface Found {
  problem: Problem;
  path: string;
}

interface Budget {
  chars: number;
}

/**
 * The first problem of one JSON-bound value, walked iteratively (no depth of nesting can
 * overflow the stack) and stopped at the first problem or once the size bound is passed (no
 * size of input costs more than the bound). Mirrors what JSON.stringify keeps: `toJSON` is
 * honoured, `undefined` and functions in objects are dropped.
 */
const findProblem = (root: string, value: unknown, budget: Budget): Found | null => {
  const pending: Array<{ value: unknown; link: PathLink | undefined; depth: number }> = [
    { value, link: undefined, depth: 0 },
  ];
  const tooLarge = (link: PathLink | undefined): Found => ({
    problem: 'too_large',
    path: formatPath(root, link),
  });
  while (pending.length > 0) {
    const next = pending.pop();
    if (!next) break;
    const { link, depth } = next;
    let item = next.value;
    if (budget.chars > storeEventLimits.maxChars) return tooLarge(link);
    if (
      typeof item === 'object' &&
      item !== null &&
      typeof (item as { toJSON?: unknown }).toJSON === 'function'
    )
      item = (item as { toJSON: () => unknown }).toJSON();
    if (item === null || item === undefined || typeof item === 'boolean' || typeof item === 'function') {
      budget.chars += 5;
      continue;
    }
    if (typeof item === 'number') {
      budget.chars += 8;
      continue;
    }
    if (typeof item === 'string') {
      budget.chars += item.length + 2;
      if (!isStorableText(item)) return { problem: 'unstorable_text', path: formatPath(root, link) };
      continue;
    }
    if (typeof item !== 'object') return { problem: 'not_json', path: formatPath(root, link) };
    if (depth + 1 > storeEventLimits.maxDepth) return { problem: 'too_deep', path: formatPath(root, link) };
    budget.chars += 2;
    if (Array.isArray(item)) {
      // Counted before anything is queued, so a huge array is refused without walking it.
      budget.chars += item.length;
      if (budget.chars > storeEventLimits.maxChars) return tooLarge(link);
      for (let index = item.length - 1; index >= 0; index--)
        pending.push({ value: item[index], link: { segment: index, parent: link }, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(item);
    budget.chars += keys.length * 4;
    if (budget.chars > storeEventLimits.maxChars) return tooLarge(link);
    for (let index = keys.length - 1; index >= 0; index--) {
      const key = keys[index] as string;
      const child = (item as Record<string, unknown>)[key];
      const childLink = { segment: key, parent: link };
      budget.chars += key.length;
      if (!isStorableText(key)) return { problem: 'unstorable_text', path: formatPath(root, childLink) };
      if (child !== undefined && typeof child !== 'function')
        pending.push({ value: child, link: childLink, depth: depth + 1 });
    }
  }
  return budget.chars > storeEventLimits.maxChars ? tooLarge(undefined) : null;
};

const safeName = (text: string): string => {
  const safe = text.toWellFormed().replaceAll('\u0000', '\uFFFD');
  return safe.length > 200 ? `${safe.slice(0, 200)}…` : safe;
};

const unstorable = (streamName: string, eventIndex: number, found: Found): UnstorableEvent => ({
  code: 'EVENTSTORE.UNSTORABLE_EVENT',
  streamName,
  eventIndex,
  path: found.path,
  problem: found.problem,
  message:
    eventIndex < 0
      ? `The stream name ${describeProblem(found.problem)}; the append was refused`
      : `Event ${eventIndex} for stream ${safeName(streamName)} was refused: ${found.path} ${describeProblem(found.problem)}`,
});

/**
 * The first reason an append cannot be stored by every engine, or null. Runs before anything
 * else in every engine's append, so all engines refuse the same events the same way.
 */
export const findUnstorableEvent = (
  streamName: string,
  events: readonly NewEvent[],
): UnstorableEvent | null => {
  if (typeof streamName === 'string' && !isStorableText(streamName))
    return unstorable(streamName, -1, { problem: 'unstorable_text', path: 'stream' });
  for (const [index, event] of events.entries()) {
    if (typeof event !== 'object' || event === null) continue; // malformed: the schema check throws
    if (typeof event.type === 'string' && !isStorableText(event.type))
      return unstorable(streamName, index, { problem: 'unstorable_text', path: 'type' });
    const budget: Budget = { chars: 0 };
    const found =
      findProblem('data', event.data, budget) ?? findProblem('metadata', event.metadata ?? {}, budget);
    if (found) return unstorable(streamName, index, found);
  }
  return null;
};
