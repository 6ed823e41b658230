import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import {
  type ErrorCode,
  errorEnvelope,
  HttpError,
  isServerErrorCode,
  serverErrorEnvelope,
  statusOfCode,
} from '../http-error.js';

/** Error codes of a peer that went away: not our fault, logged at info (docs/operations.md). */
const clientGoneCodes = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Whether an error only says that the client aborted its request or closed its connection. */
export function isClientAbort(
  error: { code?: string | undefined; message?: string },
  request?: FastifyRequest,
) {
  if (error.code !== undefined && clientGoneCodes.has(error.code)) return true;
  if (error.message === 'aborted' || error.message === 'premature close') return true;
  return Boolean(request?.raw.destroyed && request.raw.readableAborted);
}

/** Fastify's own errors, by their code, with stable codes and messages a person can act on. */
export function frameworkError(
  error: FastifyError,
  bodyLimit: number,
): { code: ErrorCode; message: string } | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        code: 'PAYLOAD_TOO_LARGE',
        message: `The request body is larger than ${bodyLimit} bytes. Send less.`,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Only application/json bodies are accepted. Set Content-Type: application/json.',
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        code: 'MALFORMED_REQUEST',
        message:
          'The body does not have the length its Content-Length header says. Send the header the body has.',
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'INVALID_JSON', message: 'The body is not valid JSON. Send one JSON value.' };
    case 'FST_ERR_BAD_URL':
      return {
        code: 'BAD_URL',
        message:
          'The URL is not valid (a broken percent-encoding?). Encode the path with encodeURIComponent.',
      };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        code: 'URI_TOO_LONG',
        message: 'A part of the URL path is longer than calsync accepts. Check the identifier.',
      };
    default:
      return null;
  }
}

/**
 * The one error handler: every error is logged, known errors map to stable codes, and a 5xx
 * never shows its details to the client. Also the `frameworkErrors` of Fastify (bad URL, too
 * long path parameter), so those answer in the same shape.
 */
export function createErrorHandler(bodyLimit: number) {
  return function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    if (error instanceof HttpError) {
      if (isServerErrorCode(error.code)) {
        // The use case's words and details stay in the log; the client gets the fixed message.
        request.log.error({ code: error.code, details: error.details }, error.message);
        return reply
          .status(error.statusCode)
          .headers(error.headers)
          .send(serverErrorEnvelope(error.code, request.id));
      }
      request.log.info({ code: error.code }, error.message);
      return reply
        .status(error.statusCode)
        .headers(error.headers)
        .send(errorEnvelope(error.code, error.message, error.details));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.slice(0, 20).map((issue) => ({
        path: [error.validationContext, ...issue.instancePath.split('/').filter(Boolean)]
          .join('.')
          .slice(0, 500),
        message: issue.message,
      }));
      const list = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
      request.log.info({ issues }, 'request validation failed');
      return reply.status(400).send(
        errorEnvelope('VALIDATION_FAILED', `The request is not valid (${list}). Correct it and retry.`, {
          issues,
        }),
      );
    }
    const known = frameworkError(error, bodyLimit);
    if (known) {
      request.log.info({ code: error.code }, error.message);
      return reply.status(statusOfCode[known.code]).send(errorEnvelope(known.code, known.message));
    }
    if (error.statusCode === 429) {
      return reply
        .status(429)
        .send(
          errorEnvelope(
            'RATE_LIMITED',
            `Too many requests. ${error.message} Slow down and retry after the reset.`,
          ),
        );
    }
    if (isClientAbort(error, request)) {
      request.log.info({ code: error.code }, 'the client aborted the request');
      return reply.status(400).send(errorEnvelope('BAD_REQUEST', 'The request was aborted by the client.'));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      // A framework refusal this handler has no code for yet: the client's fault, not ours.
      request.log.warn({ err: error }, 'request refused by the framework');
      return reply
        .status(error.statusCode)
        .send(errorEnvelope('BAD_REQUEST', 'The request cannot be handled. Check it against GET /docs.'));
    }
    if (isResponseSerializationError(error))
      request.log.error({ err: error, cause: error.cause }, 'response did not match its schema');
    else request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(serverErrorEnvelope('INTERNAL', request.id));
  };
}

export function registerErrorHandler(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler(createErrorHandler(bodyLimit));
}

/** The status line's reason of the codes a broken connection can get. */
const reasonOfStatus: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * Fastify's `clientErrorHandler`: the HTTP parser refused the bytes (broken framing, headers too
 * large) or Node's request/headers timeout fired. Writes one HTTP/1.1 answer in the error
 * shape, when nothing of another answer went out yet, and closes the connection.
 */
export function createClientErrorHandler(logger: Logger) {
  return function onClientError(error: Error & { code?: string }, socket: Socket): void {
    if (error.code === 'ECONNRESET' || socket.destroyed) {
      logger.info({ code: error.code }, 'the client closed its connection');
      return;
    }
    let code: ErrorCode;
    let message: string;
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      code = 'REQUEST_TIMEOUT';
      message = 'The request did not arrive in time. Send it whole, at once.';
    } else if (error.code === 'HPE_HEADER_OVERFLOW') {
      code = 'HEADERS_TOO_LARGE';
      message = 'The request headers are too large. Send fewer or shorter headers.';
    } else {
      code = 'MALFORMED_REQUEST';
      message = 'The request is not valid HTTP/1.1. Check its request line, headers and framing.';
    }
    logger.info({ code: error.code }, `client error answered with ${code}`);
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const status = statusOfCode[code];
      const body = JSON.stringify(errorEnvelope(code, message));
      socket.end(
        `HTTP/1.1 ${status} ${reasonOfStatus[status] ?? 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      // A peer that does not read its answer is not waited for.
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    socket.destroy();
  };
}
