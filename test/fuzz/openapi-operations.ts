import type { Components, JsonSchema } from './json-schema-arbitrary.js';

/** A parameter of an operation as the OpenAPI document declares it. */
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

/** One operation of the server's OpenAPI document: what the fuzz suite sends to. */
export interface Operation {
  method: string;
  /** The path template, e.g. `/v1/services/{id}`. */
  path: string;
  parameters: Parameter[];
  /** The JSON schema of the request body, when the operation takes a JSON body. */
  body: JsonSchema | null;
  /** False for the routes the document marks `security: []` (webhooks, health). */
  bearer: boolean;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema: JsonSchema }> };
        security?: unknown[];
      }
    >
  >;
  components?: { schemas?: Components };
}

/** Every operation of the document, and the component schemas its references point at. */
export function operationsOf(document: unknown): { operations: Operation[]; components: Components } {
  const doc = document as OpenApiDocument;
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        body: operation.requestBody?.content?.['application/json']?.schema ?? null,
        bearer: !(Array.isArray(operation.security) && operation.security.length === 0),
      });
    }
  }
  return { operations, components: doc.components?.schemas ?? {} };
}

/** `METHOD /path/{param}`: how a failure names the operation. */
export function operationName(operation: Operation): string {
  return `${operation.method} ${operation.path}`;
}
