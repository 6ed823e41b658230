import { defaultRetryPolicy } from '@calsync/domain';
import { z } from 'zod';

/** A secret written inline or as `env:NAME` (read from the environment at start-up). */
const secret = z.string().min(1);

export const companyConfigSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" or "_", at most 63 characters'),
  apiTokenSha256: z
    .array(z.string().regex(/^[0-9a-f]{64}$/, 'the lower-case hex SHA-256 of a bearer token (64 characters)'))
    .min(1),
  calcom: z
    .strictObject({
      apiUrl: z.url().default('https://api.cal.com/v2'),
      teamId: z.number().int().positive(),
      apiKey: secret,
      webhookSecret: secret,
    })
    .optional(),
});

export const fileConfigSchema = z.strictObject({
  companies: z.array(companyConfigSchema).min(1),
  sync: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(100).default(defaultRetryPolicy.maxAttempts),
      baseDelayMs: z.number().int().min(1).default(defaultRetryPolicy.baseDelayMs),
      maxDelayMs: z.number().int().min(1).default(defaultRetryPolicy.maxDelayMs),
      /** Cal.com's per-key budget; the client-side limiter keeps under it. */
      rateLimitPerMinute: z.number().int().min(1).default(120),
      /**
       * The longest wait calsync accepts from Cal.com's `X-RateLimit-Reset`; a longer one is
       * capped to this and reported. Limits table: docs/limits.md.
       */
      maxRateLimitResetMs: z.number().int().min(1000).max(86_400_000).default(900_000),
    })
    .prefault({}),
  reconciliation: z
    .strictObject({
      intervalMinutes: z.number().min(0).default(30),
      missesBeforeOrphan: z.number().int().min(1).default(3),
      maxMissingShare: z.number().min(0).max(1).default(0.5),
    })
    .prefault({}),
  /** HTTP timeouts and rate limits (docs/limits.md). */
  http: z
    .strictObject({
      /**
       * Socket inactivity (Fastify `connectionTimeout`). It also runs while a handler waits
       * on the store, so it is at least `requestTimeoutMs`; a client that connects and sends
       * nothing is cut earlier, by `headersTimeoutMs`.
       */
      connectionTimeoutMs: z.number().int().min(100).default(60_000),
      /** Whole request, headers and body, from its first byte (Node `requestTimeout`). */
      requestTimeoutMs: z.number().int().min(100).default(30_000),
      /** The request's headers (Node `headersTimeout`); at most `requestTimeoutMs`. */
      headersTimeoutMs: z.number().int().min(100).default(10_000),
      /** An idle keep-alive connection between requests. */
      keepAliveTimeoutMs: z.number().int().min(100).default(5_000),
      rateLimit: z
        .strictObject({
          /** Requests per minute per client address, on every route. */
          perIpPerMinute: z.number().int().min(1).default(1200),
          /** Requests per minute per valid bearer token on /v1. */
          perTokenPerMinute: z.number().int().min(1).default(600),
          /** Failed sign-ins (missing or unknown token) per minute per client address. */
          failedAuthPerIpPerMinute: z.number().int().min(1).default(30),
        })
        .prefault({}),
      /**
       * Fastify's `trustProxy`: false (default) uses the socket's address; behind a reverse
       * proxy give the proxy's addresses (or a hop count) so limits apply to real clients.
       */
      trustProxy: z
        .union([z.boolean(), z.number().int().min(1), z.string().min(1), z.array(z.string().min(1))])
        .default(false),
      /**
       * How long a query waits for this instance's projection to reach the position it must
       * reflect (read-your-writes across instances, docs/operations.md); then 503 PROJECTION_BEHIND.
       */
      consistencyWaitMs: z.number().int().min(0).max(30_000).default(3_000),
    })
    .refine((http) => http.headersTimeoutMs <= http.requestTimeoutMs, {
      message: 'headersTimeoutMs must not exceed requestTimeoutMs',
      path: ['headersTimeoutMs'],
    })
    .refine((http) => http.connectionTimeoutMs >= http.requestTimeoutMs, {
      message:
        'connectionTimeoutMs must be at least requestTimeoutMs (it also runs while a request is handled)',
      path: ['connectionTimeoutMs'],
    })
    .prefault({}),
  /** Bounds on every wait for the store (docs/limits.md). */
  store: z
    .strictObject({
      /** Opening a PostgreSQL connection. */
      connectTimeoutMs: z.number().int().min(100).default(5_000),
      /** One SQL statement on the server (`statement_timeout`). */
      statementTimeoutMs: z.number().int().min(100).default(10_000),
      /** One query as seen by the client, network included (`query_timeout`). */
      queryTimeoutMs: z.number().int().min(100).default(15_000),
      /** A transaction left idle (`idle_in_transaction_session_timeout`). */
      idleInTransactionTimeoutMs: z.number().int().min(100).default(10_000),
      /** Connections in the PostgreSQL pool. */
      poolSize: z.number().int().min(2).max(100).default(10),
    })
    .prefault({}),
  /** Several instances on one store (docs/operations.md, "Several instances"). */
  cluster: z
    .strictObject({
      /** This instance's name in logs and leases; default `<hostname>-<pid>-<random>`. */
      instanceId: z
        .string()
        .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'letters, digits, ".", "_", ":" or "-" (at most 100)')
        .optional(),
      /** How often an instance confirms its team leases and looks for teams to take or hand over. */
      leaseCheckMs: z.number().int().min(50).max(60_000).default(1_000),
      /** After an instance died, another one takes its teams within this time. */
      takeoverMs: z.number().int().min(150).max(600_000).default(10_000),
    })
    .refine((cluster) => cluster.takeoverMs >= 3 * cluster.leaseCheckMs, {
      message:
        'takeoverMs must be at least three times leaseCheckMs (a lease is confirmed several times before it could expire)',
      path: ['takeoverMs'],
    })
    .prefault({}),
  /** When `/health/ready` says ready (docs/operations.md). */
  readiness: z
    .strictObject({
      /**
       * How long a subscription may go without catching up with the store's head before
       * readiness fails (a burst of edits is not an outage).
       */
      graceMs: z.number().int().min(0).default(10_000),
      /** The probe answers within this time whatever the store does. */
      probeTimeoutMs: z.number().int().min(100).max(10_000).default(1_000),
    })
    .prefault({}),
});
export type FileConfig = z.output<typeof fileConfigSchema>;

export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  EVENTSTORE_URL: z
    .string()
    .regex(
      /^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kurrent):\/\//,
      'an esdb:// or kurrentdb:// URL',
    )
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
    .optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case PostgreSQL identifier')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  CALSYNC_CONFIG: z.string().min(1).optional(),
  /** Overrides `cluster.instanceId`. */
  CALSYNC_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'letters, digits, ".", "_", ":" or "-" (at most 100)')
    .optional(),
});
export type EnvConfig = z.output<typeof envSchema>;
