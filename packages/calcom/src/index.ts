export {
  type CalcomErrorEnvelope,
  errorEnvelopeSchema,
  errorMessageFromBody,
  successEnvelopeSchema,
} from './api-envelope.js';
export {
  type CalcomClient,
  type CalcomClientOptions,
  type CreateOptions,
  createCalcomClient,
  DEFAULT_TIMEOUT_MS,
  type WriteOutcome,
} from './calcom-client.js';
export {
  type CalcomError,
  type CalcomFailureKind,
  calcomFailure,
  failureKindForStatus,
} from './calcom-failure.js';
export { CALCOM_API_VERSION } from './calcom-request.js';
export {
  type CalcomEventType,
  type ConfirmationPolicyWrite,
  confirmationPolicySchema,
  type EventTypeCreate,
  type EventTypeWrite,
  eventTypeSchema,
  eventTypeWriteFields,
  type SchedulingType,
  schedulingTypeSchema,
  writeBody,
} from './event-type-schema.js';
export { fieldsNotTaken, type NotTakenField } from './not-taken.js';
export { clampTimerDelay, MAX_TIMER_DELAY_MS } from './rate-limit-delay.js';
export {
  type AdvertisedLimit,
  DEFAULT_MAX_RATE_LIMIT_RESET_MS,
  DEFAULT_RATE_LIMIT_BACKOFF_MS,
  governingLimit,
  type HeaderSource,
  MAX_PLAUSIBLE_RESET_MS,
  parseAdvertisedLimits,
  type RateLimitWait,
  type RateLimitWaitOptions,
  rateLimitWait,
  retryAfterFromHeaders,
} from './rate-limit-headers.js';
export {
  createRateLimiter,
  DEFAULT_RATE_LIMIT,
  DEFAULT_RATE_WINDOW_MS,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimiterSnapshot,
  type RateLimitPause,
  rateLimiterFor,
} from './rate-limiter.js';
export {
  type AnswerTooLarge,
  MAX_ANSWER_NODES,
  makeStorable,
  parseStorableJson,
} from './storable-answer.js';
export {
  type BookingPayload,
  bookingPayloadSchema,
  classifyWebhookDelivery,
  eventTypeDeletedPayloadSchema,
  parseWebhookDelivery,
  type WebhookDelivery,
  type WebhookDeliveryError,
  type WebhookEnvelope,
  webhookEnvelopeSchema,
} from './webhook-delivery.js';
export {
  signWebhookBody,
  UNSIGNED_SIGNATURE,
  verifyWebhookSignature,
  type WebhookSignatureVerdict,
} from './webhook-signature.js';
