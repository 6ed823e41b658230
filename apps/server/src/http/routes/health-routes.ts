import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Readiness } from '../../health/readiness-probe.js';

export type { Readiness };

/** Liveness (the process answers) and readiness (store answers, subscriptions not behind; docs/operations.md). */
export async function healthRoutes(app: FastifyInstance, readiness: () => Promise<Readiness>): Promise<void> {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get('/health/live', {
    schema: {
      tags: ['health'],
      security: [],
      summary: 'Liveness',
      response: { 200: z.object({ status: z.literal('ok') }) },
    },
    handler: async () => ({ status: 'ok' as const }),
  });
  const readinessSchema = z.object({
    ready: z.boolean(),
    store: z.object({ engine: z.string(), reachable: z.boolean() }),
    subscriptions: z.array(
      z.object({
        name: z.string(),
        caughtUp: z.boolean(),
        behindMs: z.number().int().min(0),
        error: z.string().optional(),
      }),
    ),
  });
  routes.get('/health/ready', {
    schema: {
      tags: ['health'],
      security: [],
      summary: 'Readiness: the store answers and no subscription is behind for longer than the grace period',
      description:
        'Answers within `readiness.probeTimeoutMs` (default 1 s) whatever the store does: 200 when ready, 503 otherwise. See docs/operations.md.',
      response: { 200: readinessSchema, 503: readinessSchema },
    },
    handler: async (_request, reply) => {
      const state = await readiness();
      return reply.status(state.ready ? 200 : 503).send(state);
    },
  });
}
