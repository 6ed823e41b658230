import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { lastWrite, trackWrites } from '../../commands/write-positions.js';
import { HttpError } from '../http-error.js';

/**
 * Read-your-writes across instances (docs/operations.md, "Several instances"). A command's answer
 * names the store position it wrote (`calsync-position`). A query waits until this instance's
 * projection has reached the position the client sends back (`calsync-min-position`), or, without
 * one, the store's head as of the query's arrival: whichever instance took the command, the query
 * reflects it. The wait is bounded; past it the answer is 503 PROJECTION_BEHIND.
 */
export interface ConsistencyDependencies {
  /** False when this process is the store's only writer: its read models follow every append at once. */
  shared: boolean;
  /** Resolves once the projection has handled everything committed before the call. */
  caughtUp(): Promise<void>;
  /** Resolves once the projection has handled everything up to `position`. */
  reached(position: string): Promise<void>;
  waitMs: number;
}

export const POSITION_HEADER = 'calsync-position';
export const MIN_POSITION_HEADER = 'calsync-min-position';
/** A position token is short; anything longer is not one. */
const MAX_TOKEN_LENGTH = 200;

/** On every request: a record of what its commands write, named in a successful answer. */
export function registerWritePositions(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, _reply, done) => trackWrites(done));
  app.addHook('onSend', async (_request, reply) => {
    const position = lastWrite();
    if (position !== undefined && reply.statusCode < 400) reply.header(POSITION_HEADER, position);
  });
}

/** A preHandler for queries: waits (bounded) until the projection reflects what the client saw acknowledged. */
export function createConsistencyWait(
  deps: ConsistencyDependencies,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    const token = request.headers[MIN_POSITION_HEADER];
    if (
      token !== undefined &&
      (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)
    ) {
      throw invalidToken();
    }
    if (!deps.shared) return;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), deps.waitMs);
    });
    try {
      const outcome = await Promise.race([token ? deps.reached(token) : deps.caughtUp(), expired]);
      if (outcome === 'expired') throw behind();
    } catch (error) {
      if (error instanceof HttpError) throw error;
      const code = (error as { code?: unknown } | null)?.code;
      if (code === 'EVENTSTORE.INVALID_POSITION') throw invalidToken();
      if (code === 'EVENTSTORE.UNAVAILABLE' || code === 'EVENTSTORE.ENGINE_FAILED')
        throw new HttpError('STORE_UNAVAILABLE', 'The event store did not answer.');
      // The projection stopped after a failure: readiness reports it; this instance cannot answer.
      throw behind();
    } finally {
      clearTimeout(timer);
    }
  };
}

function invalidToken(): HttpError {
  return new HttpError(
    'INVALID_POSITION_TOKEN',
    `The ${MIN_POSITION_HEADER} header is not a position this store issued. Send the ${POSITION_HEADER} value of a command's answer unchanged, or leave the header out.`,
  );
}

function behind(): HttpError {
  return new HttpError(
    'PROJECTION_BEHIND',
    'This instance has not caught up with the store yet.',
    undefined,
    {
      'retry-after': '1',
    },
  );
}
