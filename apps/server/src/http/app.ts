import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { fileConfigSchema } from '../config/config-schema.js';
import type { AppConfig, CompanyConfig } from '../config/load-config.js';
import type { ServiceApplication } from '../services/service-application.js';
import type { WebhookInbox } from '../webhooks/webhook-inbox.js';
import { HttpError } from './http-error.js';
import { bearerDigest, companiesByDigest, createAuthenticator } from './plugins/authentication.js';
import {
  type ConsistencyDependencies,
  createConsistencyWait,
  registerWritePositions,
} from './plugins/consistency.js';
import { createClientErrorHandler, createErrorHandler } from './plugins/error-handler.js';
import { FailedAuthThrottle } from './plugins/failed-auth-throttle.js';
import { createInputWalk, requestJsonLimits } from './plugins/input-walk.js';
import { registerOpenApi } from './plugins/openapi.js';
import { auditRoutes } from './routes/audit-routes.js';
import { healthRoutes, type Readiness } from './routes/health-routes.js';
import { type ReconciliationUseCases, reconciliationRoutes } from './routes/reconciliation-routes.js';
import { serviceRoutes } from './routes/service-routes.js';
import { WEBHOOK_BODY_LIMIT, webhookRoutes } from './routes/webhook-routes.js';

/** The `http` section of the configuration: timeouts, rate limits, trustProxy (docs/limits.md). */
export type HttpSettings = AppConfig['http'];

/** The defaults of the configuration file's `http` section: the one source of them. */
export const defaultHttpSettings: HttpSettings = fileConfigSchema.shape.http.parse(undefined);

/** A client's x-request-id is used only when it is a short, safe token; else calsync makes one. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** A hop count trusts that many proxies in front of calsync, as Fastify's own option does. */
function trustProxyOption(
  trust: HttpSettings['trustProxy'],
): boolean | string | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

export interface HttpDependencies {
  logger: Logger;
  companies: readonly CompanyConfig[];
  services: ServiceApplication;
  webhooks: WebhookInbox;
  readiness: () => Promise<Readiness>;
  /** Reconciliation runs and import candidates. */
  reconciler: ReconciliationUseCases;
  /** The ids of services an import registers. Default: random UUIDs. */
  newId?: () => string;
  /** Default: the configuration file's defaults. */
  http?: HttpSettings;
  /** Read-your-writes across instances; default: this process is the store's only writer. */
  consistency?: Omit<ConsistencyDependencies, 'waitMs'>;
}

/**
 * The HTTP shell, in the order of fastify/demo: external plugins, then the error handling,
 * then routes. Handlers stay thin; the use cases live in ServiceApplication and the Reconciler.
 */
export async function buildHttpApp(deps: HttpDependencies): Promise<FastifyInstance> {
  const http = deps.http ?? defaultHttpSettings;
  const limits = http.rateLimit;
  const bodyLimit = WEBHOOK_BODY_LIMIT;
  const errorHandler = createErrorHandler(bodyLimit);
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: (request) => requestIdOf(request.headers['x-request-id']),
    requestIdHeader: false,
    bodyLimit,
    connectionTimeout: http.connectionTimeoutMs,
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    trustProxy: trustProxyOption(http.trustProxy),
    routerOptions: { maxParamLength: 200 },
    // Node checks headers and request timeouts on an interval (30 s by default): a fraction
    // of the shortest timeout, so a slow client is cut near its timeout.
    http: {
      headersTimeout: http.headersTimeoutMs,
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(1000, Math.floor(Math.min(http.headersTimeoutMs, http.requestTimeoutMs) / 4)),
      ),
    },
    clientErrorHandler: createClientErrorHandler(deps.logger),
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
  });
  app.server.headersTimeout = http.headersTimeoutMs;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerWritePositions(app);
  app.setErrorHandler(errorHandler);
  const companyOfDigest = companiesByDigest(deps.companies);
  // One limiter keyed by a configured bearer token (per token), else by client IP: an unknown
  // token gets no bucket of its own, so inventing tokens does not buy requests.
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const digest = bearerDigest(request);
      return digest && companyOfDigest.has(digest) ? `token:${digest}` : `ip:${request.ip}`;
    },
    max: (_request, key) => (key.startsWith('token:') ? limits.perTokenPerMinute : limits.perIpPerMinute),
  });
  await registerOpenApi(app);
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, async (request) => {
    throw new HttpError(
      'NOT_FOUND',
      `There is no route ${request.method} ${request.url.slice(0, 200)}. See GET /docs for the API.`,
    );
  });

  const throttle = new FailedAuthThrottle(limits.failedAuthPerIpPerMinute);
  const walkInput = createInputWalk(requestJsonLimits(bodyLimit));
  await app.register(async (v1) => {
    v1.addHook('onRequest', createAuthenticator(companyOfDigest, throttle));
    v1.addHook('preValidation', walkInput);
    v1.addHook(
      'preHandler',
      createConsistencyWait({
        ...(deps.consistency ?? { shared: false, caughtUp: async () => {}, reached: async () => {} }),
        waitMs: http.consistencyWaitMs,
      }),
    );
    await serviceRoutes(v1, deps.services);
    await auditRoutes(v1, deps.services);
    await reconciliationRoutes(v1, deps.reconciler, deps.services, deps.newId ?? randomUUID);
  });
  await app.register(async (hooks) => webhookRoutes(hooks, deps.webhooks));
  await app.register(async (health) => healthRoutes(health, deps.readiness));
  return app;
}
