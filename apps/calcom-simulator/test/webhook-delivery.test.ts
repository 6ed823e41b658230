import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseWebhookDelivery, verifyWebhookSignature } from '@calsync/calcom';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CalcomSimulator, startCalcomSimulator } from '../src/index.js';

const TEAM = 42;
const SECRET = 'whsec_branch_42';

interface Received {
  raw: Buffer;
  headers: IncomingHttpHeaders;
}

let simulator: CalcomSimulator;
let receiver: Server;
let receiverUrl: string;
let received: Received[] = [];

beforeAll(async () => {
  simulator = await startCalcomSimulator({ teams: [{ id: TEAM, name: 'Example Clinic' }] });
  // Stands in for calsync's webhook endpoint: keeps the exact bytes and answers 200.
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ raw: Buffer.concat(chunks), headers: request.headers });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/calcom/acme`;
});
afterAll(async () => {
  await simulator.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});
beforeEach(() => {
  received = [];
});

describe('webhooks sent by the simulator', () => {
  it("are compact JSON signed over exactly the bytes sent, with Cal.com's headers", async () => {
    const answer = await simulator.control.sendWebhook({
      url: receiverUrl,
      secret: SECRET,
      triggerEvent: 'BOOKING_CREATED',
      createdAt: '2025-11-20T09:00:00.000Z',
      payload: { uid: 'bkg-1', eventTypeId: 2001, title: 'Herrenhaarschnitt – Größe M', status: 'ACCEPTED' },
    });
    expect(answer).toEqual({ status: 200, body: '{"ok":true}' });

    const [delivery] = received;
    if (!delivery) throw new Error('no delivery received');
    const text = delivery.raw.toString('utf8');
    expect(text).toBe(JSON.stringify(JSON.parse(text)));
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers['x-cal-webhook-version']).toBe('2021-10-20');
    const signature = delivery.headers['x-cal-signature-256'] as string;
    expect(signature).toBe(createHmac('sha256', SECRET).update(delivery.raw).digest('hex'));
    expect(verifyWebhookSignature(delivery.raw, signature, SECRET)).toBe('valid');
    expect(parseWebhookDelivery(delivery.raw)._unsafeUnwrap()).toMatchObject({
      kind: 'booking',
      payload: { uid: 'bkg-1', eventTypeId: 2001 },
    });
  });

  it('carry no-secret-provided when the webhook has no secret', async () => {
    await simulator.control.sendWebhook({ url: receiverUrl, triggerEvent: 'PING' });
    const [delivery] = received;
    expect(delivery?.headers['x-cal-signature-256']).toBe('no-secret-provided');
    expect(
      verifyWebhookSignature(delivery?.raw ?? '', delivery?.headers['x-cal-signature-256'] as string, SECRET),
    ).toBe('unsigned');
    expect(parseWebhookDelivery(delivery?.raw ?? '')._unsafeUnwrap()).toMatchObject({
      kind: 'ping',
      payload: { type: 'Test', title: 'Test trigger event' },
    });
  });

  it('relay an EVENT_TYPE_UPDATED whose payload is the event type after a UI edit of its price', async () => {
    const { id } = simulator.control.uiCreateEventType(TEAM, {
      title: 'Massage',
      slug: 'massage',
      lengthInMinutes: 60,
    });
    const edited = simulator.control.uiEditEventType(TEAM, id, {
      price: 9900,
      currency: 'eur',
      title: 'Massage Deluxe',
    });
    await simulator.control.sendWebhook({
      url: receiverUrl,
      secret: SECRET,
      triggerEvent: 'EVENT_TYPE_UPDATED',
      payload: edited,
    });
    const delivery = parseWebhookDelivery(received[0]?.raw ?? '')._unsafeUnwrap();
    expect(delivery.kind).toBe('eventTypeUpdated');
    if (delivery.kind === 'eventTypeUpdated') {
      expect(delivery.eventType).toMatchObject({
        id,
        price: 9900,
        currency: 'eur',
        title: 'Massage Deluxe',
        teamId: TEAM,
      });
    }
  });

  it('can be sent through the HTTP control API', async () => {
    const response = await fetch(`${simulator.controlUrl}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        url: receiverUrl,
        secret: SECRET,
        triggerEvent: 'EVENT_TYPE_DELETED',
        payload: { id: 5 },
      }),
    });
    expect(await response.json()).toEqual({ status: 200, body: '{"ok":true}' });
    const raw = received[0]?.raw ?? Buffer.alloc(0);
    expect(verifyWebhookSignature(raw, received[0]?.headers['x-cal-signature-256'] as string, SECRET)).toBe(
      'valid',
    );
    expect(parseWebhookDelivery(raw)._unsafeUnwrap()).toMatchObject({
      kind: 'eventTypeDeleted',
      eventTypeId: 5,
    });
  });
});
