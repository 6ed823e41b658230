import type { ServiceState, ServiceView } from '@calsync/domain';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { unwrap } from '../http/http-error.js';
import { callerOf } from '../http/plugins/authentication.js';
import { errorResponses, serviceViewSchema } from '../http/schemas/http-schemas.js';
import type { Reconciler } from './reconciler.js';
import { importCandidateSchema, runStartedSchema, runViewSchema, startRunBodySchema } from './run-schemas.js';

const runParamsSchema = z.object({ runId: z.string().min(1).max(200) });
const candidateParamsSchema = z.object({ eventTypeId: z.coerce.number().int().positive() });

/**
 * POST/GET /v1/reconciliations and the import candidates (docs/http-contract.md). Registered behind the /v1
 * authentication: the bearer token names the company, and only its team is reached.
 */
export function reconciliationRoutes(
  reconciler: Reconciler,
  views: { view(state: ServiceState): ServiceView },
  newId: () => string,
) {
  return async (app: FastifyInstance): Promise<void> => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.post('/v1/reconciliations', {
      schema: {
        tags: ['reconciliation'],
        summary: 'Reconcile the company’s Cal.com team now (check: report only; apply: record findings)',
        body: startRunBodySchema,
        response: { 202: runStartedSchema, ...errorResponses(400, 401, 409, 415, 429, 503) },
      },
      handler: async (request, reply) => {
        const caller = callerOf(request);
        const started = unwrap(await reconciler.run(caller.companyId, request.body.mode, caller.actor));
        request.log.info({ runId: started.runId, mode: request.body.mode }, 'reconciliation requested');
        return reply.status(202).header('location', `/v1/reconciliations/${started.runId}`).send(started);
      },
    });

    routes.get('/v1/reconciliations/:runId', {
      schema: {
        tags: ['reconciliation'],
        summary: 'A reconciliation run: running, completed (counts, findings) or aborted (reason)',
        params: runParamsSchema,
        response: { 200: runViewSchema, ...errorResponses(401, 404, 409, 429, 503) },
      },
      handler: async (request) =>
        unwrap(await reconciler.getRun(callerOf(request).companyId, request.params.runId)),
    });

    routes.get('/v1/import-candidates', {
      schema: {
        tags: ['reconciliation'],
        summary: 'Event types of the company’s Cal.com team that no service is linked to (read live)',
        response: {
          200: z.object({ items: z.array(importCandidateSchema) }),
          ...errorResponses(401, 409, 429, 503),
        },
      },
      handler: async (request) => ({
        items: unwrap(await reconciler.importCandidates(callerOf(request).companyId)),
      }),
    });

    routes.post('/v1/import-candidates/:eventTypeId/import', {
      schema: {
        tags: ['reconciliation'],
        summary: 'Register and link a service from a Cal.com event type of the company’s team',
        params: candidateParamsSchema,
        response: { 201: serviceViewSchema, ...errorResponses(400, 401, 404, 409, 429, 503) },
      },
      handler: async (request, reply) => {
        const caller = callerOf(request);
        const state = unwrap(
          await reconciler.importCandidate(
            caller.companyId,
            request.params.eventTypeId,
            caller.actor,
            newId(),
          ),
        );
        request.log = request.log.child({ serviceId: state.serviceId });
        const view = views.view(state);
        return reply.status(201).header('etag', `"${view.revision}"`).send(view);
      },
    });
  };
}
