import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { CompanyConfig } from '../config/load-config.js';
import type { ServiceApplication } from '../services/service-application.js';
import type { WebhookInbox } from '../webhooks/webhook-inbox.js';
import { HttpError } from './http-error.js';
import { bearerDigest, createAuthenticator } from './plugins/authentication.js';
import { registerErrorHandler } from './plugins/error-handler.js';
import { registerOpenApi } from './plugins/openapi.js';
import { auditRoutes } from './routes/audit-routes.js';
import { healthRoutes, type Readiness } from './routes/health-routes.js';
import { serviceRoutes } from './routes/service-routes.js';
import { WEBHOOK_BODY_LIMIT, webhookRoutes } from './routes/webhook-routes.js';

export interface RateLimits {
  /** Requests per minute per client IP, on every route (the 404 handler included). */
  perIp: number;
  /** Requests per minute per bearer token on /v1. */
  perToken: number;
}

export const defaultRateLimits: RateLimits = { perIp: 1200, perToken: 600 };

export interface HttpDependencies {
  logger: Logger;
  companies: readonly CompanyConfig[];
  services: ServiceApplication;
  webhooks: WebhookInbox;
  readiness: () => Promise<Readiness>;
  /** More /v1 routes (reconciliations, import candidates), registered behind authentication. */
  extraRoutes?: Array<(app: FastifyInstance) => Promise<void>>;
  rateLimits?: RateLimits;
}

/**
 * The HTTP shell, in the order of fastify/demo: external plugins, then the error handling,
 * then routes. Handlers stay thin; the use cases live in ServiceApplication.
 */
export async function buildHttpApp(deps: HttpDependencies): Promise<FastifyInstance> {
  const limits = deps.rateLimits ?? defaultRateLimits;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    requestIdHeader: 'x-request-id',
    bodyLimit: WEBHOOK_BODY_LIMIT,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerErrorHandler(app);
  // One limiter keyed by bearer token when there is one (per token), else by client IP.
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const digest = bearerDigest(request);
      return digest ? `token:${digest}` : `ip:${request.ip}`;
    },
    max: (_request, key) => (key.startsWith('token:') ? limits.perToken : limits.perIp),
  });
  await registerOpenApi(app);
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, async (request) => {
    throw new HttpError(
      404,
      'NOT_FOUND',
      `There is no route ${request.method} ${request.url}. See GET /docs for the API.`,
    );
  });

  await app.register(async (v1) => {
    v1.addHook('onRequest', createAuthenticator(deps.companies));
    await serviceRoutes(v1, deps.services);
    await auditRoutes(v1, deps.services);
    for (const routes of deps.extraRoutes ?? []) await routes(v1);
  });
  await app.register(async (hooks) => webhookRoutes(hooks, deps.webhooks));
  await app.register(async (health) => healthRoutes(health, deps.readiness));
  return app;
}
