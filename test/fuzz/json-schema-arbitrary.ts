import fc from 'fast-check';

/** The subset of JSON Schema (draft 2020-12, as zod writes it into the OpenAPI document) this generator reads. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  nullable?: boolean;
  default?: unknown;
}

export type Components = Record<string, JsonSchema>;

/** Follows a `#/components/schemas/Name` reference; every other schema is returned as is. */
export function resolveSchema(schema: JsonSchema, components: Components): JsonSchema {
  let current = schema;
  // A chain of references is bounded: the document never nests more than a few.
  for (let hops = 0; current.$ref !== undefined && hops < 16; hops += 1) {
    const name = current.$ref.replace('#/components/schemas/', '');
    const target = components[name];
    if (!target) throw new Error(`the OpenAPI document has no component ${current.$ref}`);
    current = target;
  }
  return current;
}

/**
 * Text a store can hold and a person could type: no NUL, no lone surrogate (fast-check's graphemes
 * never split a pair). Valid bodies must be valid; the odd code points are a mutation class of their own.
 */
function storableText(minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc
    .string({ unit: 'grapheme', minLength, maxLength })
    .map((text) => text.replaceAll('\u0000', ' '))
    .filter((text) => [...text].length >= minLength && [...text].length <= maxLength);
}

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  // Keep valid bodies small: the huge strings are a mutation class of their own.
  const maxLength = Math.min(schema.maxLength ?? 40, minLength + 40);
  if (schema.enum) return fc.constantFrom(...(schema.enum as string[]));
  if (schema.format === 'date-time')
    return fc
      .date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2099-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((date) => date.toISOString());
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'email') return fc.emailAddress();
  if (schema.format === 'uri' || schema.format === 'url') return fc.webUrl();
  if (schema.pattern) {
    const pattern = new RegExp(schema.pattern);
    return fc
      .stringMatching(pattern)
      .filter(
        (text) => text.length >= minLength && text.length <= (schema.maxLength ?? Number.MAX_SAFE_INTEGER),
      );
  }
  return storableText(minLength, maxLength);
}

function numberArbitrary(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const low =
    schema.exclusiveMinimum !== undefined
      ? schema.exclusiveMinimum + (integer ? 1 : Number.EPSILON)
      : (schema.minimum ?? (integer ? -1_000_000 : -1e9));
  const high =
    schema.exclusiveMaximum !== undefined
      ? schema.exclusiveMaximum - (integer ? 1 : Number.EPSILON)
      : (schema.maximum ?? (integer ? 1_000_000 : 1e9));
  if (integer) {
    return fc.integer({
      min: Math.max(low, Number.MIN_SAFE_INTEGER),
      max: Math.min(high, Number.MAX_SAFE_INTEGER),
    });
  }
  return fc.double({ min: low, max: high, noNaN: true, noDefaultInfinity: true });
}

/** Free-form JSON of a field whose schema is `{}`: shallow, storable values only. */
const freeFormJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    storableText(0, 20),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(storableText(1, 10), tie('value'), { maxKeys: 3 }),
  ),
})).value;

/**
 * A fast-check arbitrary of values the schema accepts: what a correct client sends. `overrides`
 * replaces the generator of a top-level property (values only the running system knows, such as
 * an event type id that exists in Cal.com).
 */
export function arbitraryOf(
  schema: JsonSchema,
  components: Components,
  overrides: Record<string, fc.Arbitrary<unknown>> = {},
): fc.Arbitrary<unknown> {
  const resolved = resolveSchema(schema, components);
  if (resolved.const !== undefined) return fc.constant(resolved.const);
  if (resolved.enum) return fc.constantFrom(...resolved.enum);
  if (resolved.oneOf || resolved.anyOf) {
    const options = (resolved.oneOf ?? resolved.anyOf ?? []).map((option) => arbitraryOf(option, components));
    return fc.oneof(...options);
  }
  const types = Array.isArray(resolved.type) ? resolved.type : resolved.type ? [resolved.type] : [];
  if (types.length > 1) {
    return fc.oneof(...types.map((type) => arbitraryOf({ ...resolved, type }, components)));
  }
  const type = types[0];
  const base = ((): fc.Arbitrary<unknown> => {
    switch (type) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer':
        return numberArbitrary(resolved, true);
      case 'number':
        return numberArbitrary(resolved, false);
      case 'string':
        return stringArbitrary(resolved);
      case 'array':
        return fc.array(resolved.items ? arbitraryOf(resolved.items, components) : freeFormJson, {
          minLength: resolved.minItems ?? 0,
          maxLength: Math.min(resolved.maxItems ?? 3, (resolved.minItems ?? 0) + 3),
        });
      case 'object':
        return objectArbitrary(resolved, components, overrides);
      default:
        // `{}`: any JSON value.
        return freeFormJson;
    }
  })();
  return resolved.nullable ? fc.option(base, { nil: null }) : base;
}

function objectArbitrary(
  schema: JsonSchema,
  components: Components,
  overrides: Record<string, fc.Arbitrary<unknown>>,
): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const names = Object.keys(properties);
  if (names.length === 0 && typeof schema.additionalProperties === 'object') {
    // A record: keys from propertyNames (or any short text), values from additionalProperties.
    const keys = schema.propertyNames
      ? stringArbitrary({ ...schema.propertyNames, minLength: 1 })
      : storableText(1, 12);
    return fc.dictionary(keys, arbitraryOf(schema.additionalProperties, components), { maxKeys: 3 });
  }
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const name of names) {
    const property = properties[name];
    if (property) record[name] = overrides[name] ?? arbitraryOf(property, components);
  }
  return fc.record(record, { requiredKeys: (schema.required ?? []).filter((name) => name in record) });
}
