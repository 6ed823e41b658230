import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServiceApplication } from '../../services/service-application.js';
import { callerOf } from '../plugins/authentication.js';
import {
  auditEntrySchema,
  errorResponses,
  ifMatchHeaderSchema,
  linkBodySchema,
  listQuerySchema,
  NO_UNLINK_REASON,
  patchBodySchema,
  registerBodySchema,
  resolveBodySchema,
  serviceParamsSchema,
  serviceViewSchema,
  unlinkBodySchema,
} from '../schemas/http-schemas.js';
import { httpErrorOf, unwrap } from '../wording/error-hints.js';
import { serviceViewBody as body } from '../wording/next-actions.js';

/** Every later log line of the request names the service, "request completed" included (reply.log). */
function withServiceId(request: FastifyRequest, reply: FastifyReply, serviceId: string): void {
  request.log = request.log.child({ serviceId });
  reply.log = request.log;
}

/** Commands and queries on services (docs/http-contract.md). Handlers validate by schema and call one use case. */
export async function serviceRoutes(app: FastifyInstance, services: ServiceApplication): Promise<void> {
  // Fastify parses text/plain by default; the /v1 contract takes JSON bodies only (415 otherwise).
  if (app.hasContentTypeParser('text/plain')) app.removeContentTypeParser('text/plain');
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['services'];

  routes.post('/v1/services', {
    schema: {
      tags,
      summary: 'Register a service, optionally linking or creating its Cal.com event type',
      body: registerBodySchema,
      response: { 201: serviceViewSchema, ...errorResponses(400, 401, 409, 413, 415, 429, 503) },
    },
    handler: async (request, reply) => {
      const view = body(unwrap(await services.register(callerOf(request), request.body as never)));
      withServiceId(request, reply, view.serviceId);
      return reply.status(201).header('etag', `"${view.revision}"`).send(view);
    },
  });

  routes.get('/v1/services', {
    schema: {
      tags,
      summary:
        'List the company’s services in registration order, filtered by sync status and bookability; pass `next` as `after` for the following page',
      querystring: listQuerySchema,
      response: {
        200: z.object({
          items: z.array(serviceViewSchema),
          next: z
            .string()
            .nullable()
            .meta({ description: 'Cursor of the following page (as `after`), null on the last page' }),
        }),
        ...errorResponses(400, 401, 429),
      },
    },
    handler: async (request) => {
      const { status, bookable, limit, after } = request.query;
      const filter = {
        ...(status ? { status } : {}),
        ...(bookable ? { bookable: bookable === 'true' } : {}),
      };
      const page = unwrap(services.listPage(callerOf(request), filter, limit, after));
      return { items: page.items.map(body), next: page.next };
    },
  });

  routes.get('/v1/services/:id', {
    schema: {
      tags,
      summary: 'One service with its status view',
      params: serviceParamsSchema,
      response: { 200: serviceViewSchema, ...errorResponses(401, 404, 429) },
    },
    handler: async (request, reply) => {
      withServiceId(request, reply, request.params.id);
      const view = body(unwrap(services.get(callerOf(request), request.params.id)));
      return reply.header('etag', `"${view.revision}"`).send(view);
    },
  });

  routes.patch('/v1/services/:id', {
    schema: {
      tags,
      summary: 'Edit any subset of fields; If-Match makes the edit conditional on the revision',
      params: serviceParamsSchema,
      headers: ifMatchHeaderSchema,
      body: patchBodySchema,
      response: { 200: serviceViewSchema, ...errorResponses(400, 401, 404, 409, 413, 415, 429, 503) },
    },
    handler: async (request, reply) => {
      const caller = callerOf(request);
      const { id } = request.params;
      withServiceId(request, reply, id);
      const ifMatch = request.headers['if-match'];
      const expected = ifMatch === undefined ? undefined : Number(ifMatch.replace(/\D/g, ''));
      const result = await services.edit(caller, id, request.body, expected);
      if (result.isErr() && result.error.code === 'REVISION_CONFLICT') {
        const current = services.get(caller, id);
        throw httpErrorOf(result.error, {
          details: { current: current.isOk() ? body(current.value) : null },
        });
      }
      const view = body(unwrap(result));
      return reply.header('etag', `"${view.revision}"`).send(view);
    },
  });

  routes.post('/v1/services/:id/link', {
    schema: {
      tags,
      summary: 'Link the service to an event type of the company’s Cal.com team',
      params: serviceParamsSchema,
      body: linkBodySchema,
      response: { 200: serviceViewSchema, ...errorResponses(400, 401, 404, 409, 415, 429, 503) },
    },
    handler: async (request, reply) => {
      withServiceId(request, reply, request.params.id);
      return body(
        unwrap(await services.link(callerOf(request), request.params.id, request.body.eventTypeId)),
      );
    },
  });

  routes.post('/v1/services/:id/unlink', {
    schema: {
      tags,
      summary: 'Stop mirroring the service to its Cal.com event type (the event type stays in Cal.com)',
      params: serviceParamsSchema,
      body: unlinkBodySchema,
      response: { 200: serviceViewSchema, ...errorResponses(400, 401, 404, 409, 415, 429, 503) },
    },
    // A POST without a body (Fastify's null) is the empty body: the reason is optional.
    preValidation: async (request) => {
      if (request.body === null || request.body === undefined) request.body = {};
    },
    handler: async (request, reply) => {
      withServiceId(request, reply, request.params.id);
      const reason = request.body.reason ?? NO_UNLINK_REASON;
      return body(unwrap(await services.unlink(callerOf(request), request.params.id, reason)));
    },
  });

  routes.post('/v1/services/:id/sync', {
    schema: {
      tags,
      summary: 'Push the platform’s values to Cal.com now',
      params: serviceParamsSchema,
      response: { 202: serviceViewSchema, ...errorResponses(401, 404, 409, 429, 503) },
    },
    handler: async (request, reply) => {
      withServiceId(request, reply, request.params.id);
      return reply
        .status(202)
        .send(body(unwrap(await services.requestSync(callerOf(request), request.params.id))));
    },
  });

  routes.post('/v1/services/:id/divergence/resolve', {
    schema: {
      tags,
      summary: 'Decide per diverged field: keep_platform or accept_calcom (accepting needs "confirm": true)',
      params: serviceParamsSchema,
      body: resolveBodySchema,
      response: { 200: serviceViewSchema, ...errorResponses(400, 401, 404, 409, 415, 429, 503) },
    },
    handler: async (request, reply) => {
      withServiceId(request, reply, request.params.id);
      const { fields, confirm } = request.body;
      return body(
        unwrap(
          await services.resolveDivergence(callerOf(request), request.params.id, fields, confirm ?? false),
        ),
      );
    },
  });

  routes.post('/v1/services/:id/sync-status/reset', {
    schema: {
      tags,
      summary: 'Clear an error (or a missing event type) and push again',
      params: serviceParamsSchema,
      response: { 202: serviceViewSchema, ...errorResponses(401, 404, 409, 429, 503) },
    },
    handler: async (request, reply) => {
      withServiceId(request, reply, request.params.id);
      return reply
        .status(202)
        .send(body(unwrap(await services.resetSyncStatus(callerOf(request), request.params.id))));
    },
  });

  routes.get('/v1/services/:id/audit', {
    schema: {
      tags: ['audit'],
      summary: 'The service’s audit trail, oldest first',
      params: serviceParamsSchema,
      response: { 200: z.object({ items: z.array(auditEntrySchema) }), ...errorResponses(401, 404, 429) },
    },
    handler: async (request, reply) => {
      withServiceId(request, reply, request.params.id);
      return { items: unwrap(await services.serviceAudit(callerOf(request), request.params.id)) };
    },
  });
}
