import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

export interface Readiness {
  ready: boolean;
  store: { engine: string; reachable: boolean };
  subscriptions: Array<{ name: string; caughtUp: boolean; lag: number }>;
}

/** Liveness (the process answers) and readiness (store reachable, projections caught up). */
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
    subscriptions: z.array(z.object({ name: z.string(), caughtUp: z.boolean(), lag: z.number().int() })),
  });
  routes.get('/health/ready', {
    schema: {
      tags: ['health'],
      security: [],
      summary: 'Readiness: the store is reachable and every subscription is caught up',
      response: { 200: readinessSchema, 503: readinessSchema },
    },
    handler: async (_request, reply) => {
      const state = await readiness();
      return reply.status(state.ready ? 200 : 503).send(state);
    },
  });
}
