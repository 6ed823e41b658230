import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { HttpError } from '../http-error.js';

interface Envelope {
  error: { code: string; message: string; details?: unknown };
}

function envelope(code: string, message: string, details?: unknown): Envelope {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Fastify's own errors, by their code, with messages a person can act on. */
function frameworkError(error: FastifyError): { status: number; body: Envelope } | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: envelope('PAYLOAD_TOO_LARGE', 'The request body is larger than 1 MiB. Send less.'),
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 415,
        body: envelope(
          'UNSUPPORTED_MEDIA_TYPE',
          'Only application/json bodies are accepted. Set Content-Type: application/json.',
        ),
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        body: envelope('INVALID_JSON', `The body is not valid JSON (${error.message}).`),
      };
    default:
      return null;
  }
}

/**
 * The one error handler (STYLE.md): every error is logged, known errors map to stable codes,
 * and a 5xx never shows its details to the client.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpError) {
      request.log[error.statusCode >= 500 ? 'error' : 'info']({ code: error.code }, error.message);
      return reply.status(error.statusCode).send(envelope(error.code, error.message, error.details));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((issue) => ({
        path: [error.validationContext, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
        message: issue.message,
      }));
      const list = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
      request.log.info({ issues }, 'request validation failed');
      return reply.status(400).send(
        envelope('VALIDATION_FAILED', `The request is not valid (${list}). Correct it and retry.`, {
          issues,
        }),
      );
    }
    const known = frameworkError(error);
    if (known) {
      request.log.info({ code: error.code }, error.message);
      return reply.status(known.status).send(known.body);
    }
    if (error.statusCode === 429) {
      return reply
        .status(429)
        .send(
          envelope(
            'RATE_LIMITED',
            `Too many requests. ${error.message} Slow down and retry after the reset.`,
          ),
        );
    }
    if (isResponseSerializationError(error))
      request.log.error({ err: error, cause: error.cause }, 'response did not match its schema');
    else request.log.error({ err: error }, 'unhandled error');
    if (error.statusCode && error.statusCode < 500) {
      return reply.status(error.statusCode).send(envelope('BAD_REQUEST', error.message));
    }
    return reply
      .status(500)
      .send(
        envelope(
          'INTERNAL',
          `Something went wrong on our side (request ${request.id}). Retry; if it persists, report this request id.`,
        ),
      );
  });
}
