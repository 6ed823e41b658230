import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findJsonProblem,
  freeFormJsonLimits,
  isStorableText,
  registrationFieldsSchema,
  toStorableText,
} from '../src/index.js';
import { haircut } from './service-facts.js';

/** `{"a":{"a":…}}` nested `depth` levels. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}

const registration = (fields: Record<string, unknown>) =>
  registrationFieldsSchema.safeParse({ ...haircut, ...fields });

describe('what a fact may hold', () => {
  it('a text with a NUL or a lone surrogate cannot be stored; a paired surrogate (an emoji) can', () => {
    expect(isStorableText('Herrenhaarschnitt ✂️')).toBe(true);
    expect(isStorableText('Haar\u0000schnitt')).toBe(false);
    expect(isStorableText('Haar\uD800schnitt')).toBe(false);
    expect(isStorableText('Haar\uDC00')).toBe(false);
  });

  it('Cal.com text is kept readable: every unstorable character becomes U+FFFD, nothing else changes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const kept = toStorableText(text);
        expect(isStorableText(kept)).toBe(true);
        expect(kept.length).toBe(text.length);
        if (isStorableText(text)) expect(kept).toBe(text);
      }),
      { seed: 10, numRuns: 500 },
    );
  });

  it('a registration with a NUL or a lone surrogate in a text field is refused, naming the field', () => {
    for (const [field, value] of [
      ['name', 'Haar\u0000schnitt'],
      ['description', 'x\uD83D'],
      ['displayName', '\uDE00'],
      ['category', '\u0000'],
    ] as const) {
      const parsed = registration({ [field]: value });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual([field]);
    }
  });

  it('a free-form assignment is bounded in depth: 32 levels are kept, 33 and 100,000 are refused without a stack overflow', () => {
    expect(registration({ assignment: nested(freeFormJsonLimits.maxDepth) }).success).toBe(true);
    for (const depth of [freeFormJsonLimits.maxDepth + 1, 2_000, 100_000]) {
      const parsed = registration({ assignment: nested(depth) });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path[0]).toBe('assignment');
      expect(parsed.error?.issues[0]?.message).toMatch(/nested more than 32 levels/);
    }
  });

  it('a free-form assignment is bounded in size and checked for unstorable text in keys and values', () => {
    expect(registration({ assignment: { notes: 'x'.repeat(70_000) } }).success).toBe(false);
    const badKey = registration({ assignment: { staff: [{ 'na\u0000me': 'Ada' }] } });
    expect(badKey.error?.issues[0]?.path).toEqual(['assignment', 'staff', 0, 'na\u0000me']);
    const badValue = registration({ assignment: { staff: ['Ada', 'B\uD800'] } });
    expect(badValue.error?.issues[0]?.path).toEqual(['assignment', 'staff', 1]);
  });

  it('any JSON value within the limits has no problem; the walk never throws on any input', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), (value) => {
        const problem = findJsonProblem(value, { maxDepth: 64, maxChars: 10_000_000 });
        // fast-check's JSON strings may hold lone surrogates and NUL: only those are problems.
        if (problem) expect(problem.kind).toBe('unstorable_text');
      }),
      { seed: 10, numRuns: 300 },
    );
    expect(findJsonProblem(Number.NaN, freeFormJsonLimits)?.kind).toBe('not_json');
    expect(findJsonProblem(() => 1, freeFormJsonLimits)?.kind).toBe('not_json');
  });
});
