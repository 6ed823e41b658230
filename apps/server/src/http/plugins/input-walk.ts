import { describeJsonProblem, findJsonProblem, type JsonLimits } from '@calsync/domain';
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.js';

/**
 * Bounds of a whole client request (docs/limits.md): deeper than any field of the contract
 * needs (the free-form fields have their own, smaller bound in the schemas), so that what is
 * beyond is refused here, by an iterative walk, before any recursive code (validation,
 * serialization, the store) sees it.
 */
export function requestJsonLimits(bodyLimit: number): JsonLimits {
  return { maxDepth: 64, maxChars: bodyLimit * 2 };
}

/** The dotted path of a field, shortened so that an answer stays small. */
function dotted(path: ReadonlyArray<string | number>): string {
  const text = path.map(String).join('.');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * A preValidation hook: body, path parameters and query of a client request must be text a
 * store can hold (no NUL, no lone surrogate) within the bounds; else 400 VALIDATION_FAILED
 * naming the field.
 */
export function createInputWalk(limits: JsonLimits) {
  return async function walkInput(request: FastifyRequest): Promise<void> {
    const parts = [
      ['params', request.params],
      ['query', request.query],
      ['body', request.body],
    ] as const;
    for (const [part, value] of parts) {
      if (value === undefined || value === null) continue;
      const problem = findJsonProblem(value, limits);
      if (!problem) continue;
      const path = dotted([part, ...problem.path]);
      const message = describeJsonProblem(problem);
      throw new HttpError(
        'VALIDATION_FAILED',
        `The request is not valid (${path}: ${message}). Correct it and retry.`,
        { issues: [{ path, message }] },
      );
    }
  };
}
