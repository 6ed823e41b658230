export { DEFAULT_SIMULATED_RATE_LIMIT, type RateLimitSettings } from './api-throttle.js';
export {
  type CalcomSimulator,
  type CalcomSimulatorOptions,
  startCalcomSimulator,
} from './calcom-simulator.js';
export { type FaultSpec, faultSpecSchema } from './fault-injection.js';
export type { RecordedRequest } from './request-log.js';
export type { SimulatedEventType } from './simulated-event-type.js';
export { type SimulatorControl, UnknownEventTypeError } from './simulator-control.js';
export {
  pingPayload,
  WEBHOOK_PAYLOAD_VERSION,
  type WebhookSend,
  type WebhookSendResult,
  webhookSendSchema,
} from './webhook-sender.js';
