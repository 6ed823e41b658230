import fc from 'fast-check';
import type { Components, JsonSchema } from './json-schema-arbitrary.js';
import { resolveSchema } from './json-schema-arbitrary.js';

/** A request body as bytes on the wire, with the content type it is sent with (undefined: none). */
export interface WireBody {
  raw: string | Buffer;
  contentType: string | undefined;
  /** What was done to the valid body, for the failure message. */
  label: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const JSON_TYPE = 'application/json';

/** Every path into a JSON value (objects and arrays), the root included as []. */
function pathsOf(value: Json, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []) {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) pathsOf(item, [...prefix, index], out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  }
  return out;
}

function clone(value: Json): Json {
  return structuredClone(value);
}

/** Sets `replacement` at `path` in a copy of `value` (the root when the path is empty). */
function setAt(value: Json, path: Array<string | number>, replacement: Json): Json {
  if (path.length === 0) return replacement;
  const copy = clone(value);
  let node = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  node[path[path.length - 1] as string | number] = replacement;
  return copy;
}

function jsonType(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const PLACEHOLDER = '__calsync_fuzz_placeholder__';

/** The valid body with the value at `path` replaced by raw JSON text (for values JSON.stringify cannot write). */
function withRawAt(value: Json, path: Array<string | number>, rawJson: string): string {
  return JSON.stringify(setAt(value, path, PLACEHOLDER)).replace(`"${PLACEHOLDER}"`, () => rawJson);
}

function json(value: Json, label: string): WireBody {
  return { raw: JSON.stringify(value), contentType: JSON_TYPE, label };
}

/** Paths to string values of the body (where text-only mutations go); the root when there are none. */
function stringPaths(value: Json): Array<Array<string | number>> {
  const paths = pathsOf(value).filter((path) => path.length > 0 && typeof valueAt(value, path) === 'string');
  if (paths.length > 0) return paths;
  const any = pathsOf(value).filter((path) => path.length > 0);
  // A body without fields (a command that takes none): the mutation goes into a field of its own.
  return any.length > 0 ? any : [['x']];
}

/** Top-level properties that take any JSON (free-form, like `assignment`): where nesting is allowed to go deep. */
function freeFormPaths(schema: JsonSchema, components: Components): string[][] {
  const resolved = resolveSchema(schema, components);
  const isFreeForm = (property: JsonSchema) => {
    const options = property.anyOf ?? property.oneOf ?? [property];
    return options.some((option) => Object.keys(option).length === 0);
  };
  return Object.entries(resolved.properties ?? {})
    .filter(([, property]) => isFreeForm(property))
    .map(([name]) => [name]);
}

function valueAt(value: Json, path: Array<string | number>): Json {
  let node: Json = value;
  for (const key of path) node = (node as Record<string | number, Json>)[key] as Json;
  return node;
}

/** Paths to the objects of the body (where fields can go missing or be added). */
function objectPaths(value: Json): Array<Array<string | number>> {
  return pathsOf(value).filter((path) => {
    const node = valueAt(value, path);
    return node !== null && typeof node === 'object' && !Array.isArray(node);
  });
}

function pathLabel(path: Array<string | number>): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

/** Nested JSON text `levels` deep: arrays, or objects under one key. */
export function nested(levels: number, shape: 'array' | 'object'): string {
  return shape === 'array'
    ? `${'['.repeat(levels)}${']'.repeat(levels)}`
    : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

/** The mutation classes of request bodies, each a function from a valid body to an arbitrary of wire bodies. */
export const bodyMutations: Record<
  string,
  (valid: Json, schema: JsonSchema, components: Components) => fc.Arbitrary<WireBody>
> = {
  'wrong types': (valid) =>
    fc
      .tuple(
        fc.constantFrom(...pathsOf(valid)),
        fc.constantFrom<Json>(0, -1, 1.5, 'text', '', true, false, null, [], {}, [1, 'a']),
      )
      .filter(([path, replacement]) => jsonType(valueAt(valid, path)) !== jsonType(replacement))
      .map(([path, replacement]) =>
        json(setAt(valid, path, replacement), `${pathLabel(path)} := ${JSON.stringify(replacement)}`),
      ),

  'missing required fields': (valid, schema, components) => {
    const required = requiredPaths(valid, schema, components);
    const options: fc.Arbitrary<WireBody>[] = [
      fc.constant<WireBody>({ raw: '', contentType: JSON_TYPE, label: 'no body at all' }),
      fc.constant<WireBody>(json({}, 'empty object')),
    ];
    if (required.length > 0) {
      options.push(
        fc.constantFrom(...required).map((path) => {
          const parent = valueAt(valid, path.slice(0, -1)) as Record<string, Json>;
          const copy = { ...parent };
          delete copy[path[path.length - 1] as string];
          return json(
            path.length === 1 ? copy : setAt(valid, path.slice(0, -1), copy),
            `without ${pathLabel(path)}`,
          );
        }),
      );
    }
    return fc.oneof(...options);
  },

  'extra fields': (valid) =>
    fc
      .tuple(
        fc.constantFrom(...objectPaths(valid)),
        fc.constantFrom(
          'colour',
          '__proto__',
          'constructor',
          'prototype',
          'x'.repeat(300),
          'id',
          'companyId',
          'revision',
        ),
        fc.constantFrom<Json>(1, 'extra', null, { admin: true }),
      )
      .map(([path, key, extra]) => {
        const target = { ...(valueAt(valid, path) as Record<string, Json>) };
        Object.defineProperty(target, key, {
          value: extra,
          enumerable: true,
          configurable: true,
          writable: true,
        });
        return json(setAt(valid, path, target), `${pathLabel(path)}.${key.slice(0, 20)} added`);
      }),

  'huge strings': (valid) =>
    fc
      .tuple(
        fc.constantFrom(...stringPaths(valid)),
        fc.constantFrom(300_000, 1_100_000, 5_000_000),
        fc.constantFrom('a', 'ü', '😀'),
      )
      .map(([path, length, unit]) =>
        json(
          setAt(valid, path, unit.repeat(Math.ceil(length / unit.length))),
          `${pathLabel(path)} := ${unit}×${length}`,
        ),
      ),

  'deep nesting': (valid, schema, components) =>
    fc
      .tuple(
        fc.oneof(
          // Free-form fields first: there the depth is the only bound.
          { arbitrary: fc.constantFrom(...freeFormPaths(schema, components), ['x']), weight: 2 },
          { arbitrary: fc.constantFrom(...pathsOf(valid).filter((path) => path.length <= 1)), weight: 1 },
        ),
        fc.constantFrom(100, 3_000, 20_000),
        fc.constantFrom<'array' | 'object'>('array', 'object'),
      )
      .map(([path, levels, shape]) => ({
        raw: withRawAt(valid, path, nested(levels, shape)),
        contentType: JSON_TYPE,
        label: `${pathLabel(path)} := ${shape} nested ${levels} levels`,
      })),

  'NUL and lone surrogates': (valid) =>
    fc
      .tuple(
        fc.constantFrom(...stringPaths(valid)),
        fc.constantFrom(
          '"a\\u0000b"',
          '"\\u0000"',
          '"\\ud800"',
          '"x\\udfff"',
          '"\\udc00\\ud800"',
          '"ok\\ud83d"',
        ),
        // One in four goes into a key instead of a value.
        fc
          .integer({ min: 0, max: 3 })
          .map((n) => n === 0),
      )
      .map(([path, escaped, asKey]) => {
        if (asKey) {
          const raw = JSON.stringify(valid)
            .replace(/^\{/, () => `{${escaped}:"v",`)
            .replace(',}', '}');
          return { raw, contentType: JSON_TYPE, label: `key ${escaped} at the root` };
        }
        return {
          raw: withRawAt(valid, path, escaped),
          contentType: JSON_TYPE,
          label: `${pathLabel(path)} := ${escaped}`,
        };
      }),

  'wrong content types': (valid) =>
    fc
      .constantFrom<string | undefined>(
        undefined,
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/jsonx',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        '*/*',
        ';;;',
        'application/json, text/plain',
      )
      .map((contentType) => ({
        raw: JSON.stringify(valid),
        contentType,
        label: `content-type ${contentType ?? '(none)'}`,
      })),

  'invalid JSON': (valid) => {
    const text = JSON.stringify(valid);
    return fc
      .constantFrom<[string, string | Buffer]>(
        ['truncated', text.slice(0, Math.max(1, Math.floor(text.length / 2)))],
        ['trailing garbage', `${text}}`],
        ['trailing comma', text.replace(/}$/, ',}')],
        ['single quotes', text.replaceAll('"', "'")],
        ['byte-order mark', `\ufeff${text}`],
        ['raw NUL byte in a string', text.replace('"', '"\u0000')],
        ['invalid UTF-8', Buffer.concat([Buffer.from(text.slice(0, -1)), Buffer.from([0xff, 0xfe, 0x7d])])],
        ['bare null', 'null'],
        ['bare string', '"text"'],
        ['bare number', '123'],
        ['array', `[${text}]`],
        ['whitespace only', '   \n'],
        ['__proto__ pollution', text.replace(/^\{/, '{"__proto__":{"admin":true},')],
        ['NaN literal', text.replace(/^\{/, '{"nan":NaN,')],
      )
      .map(([label, raw]) => ({ raw, contentType: JSON_TYPE, label }));
  },
};

/** Paths of the required fields, the top level's and those of nested objects present in the body. */
function requiredPaths(valid: Json, schema: JsonSchema, components: Components): Array<Array<string>> {
  const out: string[][] = [];
  const walk = (node: Json, nodeSchema: JsonSchema, prefix: string[]) => {
    const resolved = resolveSchema(nodeSchema, components);
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    for (const name of resolved.required ?? []) if (name in node) out.push([...prefix, name]);
    for (const [name, property] of Object.entries(resolved.properties ?? {})) {
      const child = node[name];
      if (child !== undefined) walk(child, property, [...prefix, name]);
    }
  };
  walk(valid, schema, []);
  return out;
}

/** Bad values of a path parameter, as they appear in the URL (already percent-encoded where meant). */
export const badPathValues: fc.Arbitrary<string> = fc.constantFrom(
  'x'.repeat(201),
  'x'.repeat(5_000),
  'x'.repeat(100_000),
  '%',
  '%zz',
  '%E0%A4%A',
  '%C0%AF',
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%2F..%2F..%2Fetc%2Fpasswd',
  '..',
  '%20',
  '-1',
  '0',
  '1.5',
  '1e3',
  '9007199254740993',
  '%F0%9F%98%80',
  "'%20OR%201=1--",
);

/** Bad values of a query parameter (percent-encoded where meant). */
export const badQueryValues: fc.Arbitrary<string> = fc.constantFrom(
  '',
  'unknown',
  '-1',
  '0',
  '501',
  '1.5',
  '1e2',
  'NaN',
  'true',
  '%00',
  '%ED%A0%80',
  '%',
  '%zz',
  'x'.repeat(10_000),
  'x'.repeat(70_000),
  '%F0%9F%98%80',
);

/** Bad If-Match header values. */
export const badIfMatchValues: fc.Arbitrary<string> = fc.constantFrom(
  'abc',
  '"',
  'W/',
  '*',
  '"1", "2"',
  '99999999999999999999999999',
  '-1',
  '"1',
  'W/"abc"',
  'x'.repeat(20_000),
  '',
  ' ',
);
