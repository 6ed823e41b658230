import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServiceApplication } from '../../services/service-application.js';
import { callerOf } from '../plugins/authentication.js';
import { auditEntrySchema, auditQuerySchema, errorResponses } from '../schemas/http-schemas.js';
import { unwrap } from '../wording/error-hints.js';

/** The company's audit feed, in commit order, paged by an opaque cursor. */
export async function auditRoutes(app: FastifyInstance, services: ServiceApplication): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get('/v1/audit', {
    schema: {
      tags: ['audit'],
      summary: 'The company’s audit feed; pass `next` as `after` for the following page',
      querystring: auditQuerySchema,
      response: {
        200: z.object({ items: z.array(auditEntrySchema), next: z.string().nullable() }),
        ...errorResponses(400, 401, 429, 503),
      },
    },
    handler: async (request) => {
      return unwrap(await services.companyAudit(callerOf(request), request.query.limit, request.query.after));
    },
  });
}
