import { z } from 'zod';

/**
 * What every benchmark reads from its environment the same way: the label of its README block
 * and the PostgreSQL server it measures on.
 */
export const benchLabelSchema = z
  .string()
  .regex(/^[a-z0-9-]+$/)
  .default('current');

export const DEFAULT_BENCH_DATABASE_URL = 'postgres://root@127.0.0.1:5432/test';

/** BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local server. */
export function benchServerUrl(env: { BENCH_DATABASE_URL?: string; TEST_DATABASE_URL?: string }): string {
  return env.BENCH_DATABASE_URL ?? env.TEST_DATABASE_URL ?? DEFAULT_BENCH_DATABASE_URL;
}
