import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { WebhookInbox } from '../../webhooks/webhook-inbox.js';
import { errorResponses } from '../schemas/http-schemas.js';
import { httpErrorOf } from '../wording/error-hints.js';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/**
 * POST /webhooks/calcom/:companyId (docs/sync.md). The body is kept as raw bytes: the signature
 * is an HMAC of exactly those bytes, checked before anything is parsed.
 */
export async function webhookRoutes(app: FastifyInstance, inbox: WebhookInbox): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
    (_request, body, done) => done(null, body),
  );
  app.withTypeProvider<ZodTypeProvider>().post('/webhooks/calcom/:companyId', {
    bodyLimit: WEBHOOK_BODY_LIMIT,
    schema: {
      tags: ['webhooks'],
      // Authenticated by the body's signature, not by a bearer token.
      security: [],
      summary: 'Receive a Cal.com webhook delivery signed with the company’s secret (X-Cal-Signature-256)',
      params: z.object({ companyId: z.string().min(1).max(100) }),
      response: {
        200: z.object({
          received: z.literal(true),
          trigger: z.string(),
          outcome: z.string(),
          serviceId: z.string().nullable(),
        }),
        ...errorResponses(400, 401, 413, 429, 503),
      },
    },
    handler: async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = request.headers['x-cal-signature-256'];
      const receipt = await inbox.receive(
        request.params.companyId,
        raw,
        Array.isArray(signature) ? signature[0] : signature,
      );
      if (receipt.isErr()) throw httpErrorOf(receipt.error);
      if (receipt.value.serviceId) {
        request.log = request.log.child({ serviceId: receipt.value.serviceId });
        reply.log = request.log;
      }
      request.log.info(
        { trigger: receipt.value.trigger, outcome: receipt.value.outcome },
        'webhook received',
      );
      return { received: true as const, ...receipt.value };
    },
  });
}
