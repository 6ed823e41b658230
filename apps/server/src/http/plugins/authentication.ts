import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CompanyConfig } from '../../config/load-config.js';
import type { Caller } from '../../services/service-application.js';
import { HttpError } from '../http-error.js';
import type { FailedAuthThrottle } from './failed-auth-throttle.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The digest of the bearer token of a request, if it carries one. */
export function bearerDigest(request: FastifyRequest): string | undefined {
  const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
  return token ? createHash('sha256').update(token).digest('hex') : undefined;
}

/** The company of each configured token digest. */
export function companiesByDigest(companies: readonly CompanyConfig[]): ReadonlyMap<string, string> {
  const companyOfDigest = new Map<string, string>();
  for (const company of companies)
    for (const digest of company.apiTokenSha256) companyOfDigest.set(digest, company.id);
  return companyOfDigest;
}

/**
 * Bearer authentication against the SHA-256 digests of the configuration: the token names
 * one company, and everything the request does is scoped to it. The actor id is a short
 * prefix of the digest, so the audit trail can tell tokens apart without revealing them.
 * Failed attempts are throttled per client address before the lookup.
 */
export function createAuthenticator(
  companyOfDigest: ReadonlyMap<string, string>,
  throttle: FailedAuthThrottle,
) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const blockedMs = throttle.blockedFor(request.ip);
    if (blockedMs > 0) {
      const seconds = Math.ceil(blockedMs / 1000);
      throw new HttpError(
        'TOO_MANY_FAILED_AUTH',
        `Too many requests without a valid bearer token came from your address. Retry after ${seconds} s with a token configured for your company.`,
        undefined,
        { 'retry-after': String(seconds) },
      );
    }
    const digest = bearerDigest(request);
    if (!digest) {
      throttle.recordFailure(request.ip);
      throw new HttpError(
        'UNAUTHORIZED',
        'This request carries no bearer token. Send Authorization: Bearer <token> with a token configured for your company.',
      );
    }
    const companyId = companyOfDigest.get(digest);
    if (!companyId) {
      throttle.recordFailure(request.ip);
      throw new HttpError(
        'UNAUTHORIZED',
        'The bearer token is not known. Check the token, or ask an operator to configure its SHA-256.',
      );
    }
    request.caller = { companyId, actor: `admin:${companyId}-${digest.slice(0, 12)}` };
    request.log = request.log.child({ companyId });
    // Fastify logs "request completed" with reply.log, a binding of its own.
    reply.log = request.log;
  };
}

/** The authenticated caller of a /v1 request (the hook guarantees one). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Error('callerOf() used on a route without authentication');
  return request.caller;
}
