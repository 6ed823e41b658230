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
      maxAttempts: z.number().int().min(1).max(100).default(10),
      baseDelayMs: z.number().int().min(1).default(1000),
      maxDelayMs: z.number().int().min(1).default(300_000),
      /** Cal.com's per-key budget; the client-side limiter keeps under it. */
      rateLimitPerMinute: z.number().int().min(1).default(120),
    })
    .prefault({}),
  reconciliation: z
    .strictObject({
      intervalMinutes: z.number().min(0).default(30),
      missesBeforeOrphan: z.number().int().min(1).default(3),
      maxMissingShare: z.number().min(0).max(1).default(0.5),
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
});
export type EnvConfig = z.output<typeof envSchema>;
