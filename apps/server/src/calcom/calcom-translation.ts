import type {
  CalcomClient,
  CalcomError,
  CalcomEventType,
  EventTypeWrite,
  WriteOutcome,
} from '@calsync/calcom';
import type { CalcomSnapshot, CalcomValues, PushPlan } from '@calsync/domain';
import type { Result } from 'neverthrow';

/**
 * Both directions of the Cal.com translation (docs/calcom.md): an event type Cal.com shows
 * becomes the domain's snapshot, the domain's values become the body calsync writes. What
 * calsync writes reads back as the same values (calcom-translation.test.ts checks it).
 */

/** Inbound: the domain's view of an event type Cal.com showed us (its own shapes, price included). */
export function toCalcomSnapshot(
  eventType: CalcomEventType,
  fallbackTeamId: number | null = null,
): CalcomSnapshot {
  const policy = eventType.confirmationPolicy;
  return {
    id: eventType.id,
    teamId: eventType.teamId ?? fallbackTeamId,
    title: eventType.title,
    slug: eventType.slug,
    description: eventType.description,
    lengthInMinutes: eventType.lengthInMinutes,
    hidden: eventType.hidden,
    beforeEventBuffer: eventType.beforeEventBuffer,
    afterEventBuffer: eventType.afterEventBuffer,
    minimumBookingNotice: eventType.minimumBookingNotice,
    confirmationPolicy:
      'disabled' in policy && policy.disabled === true
        ? { disabled: true }
        : {
            type: 'type' in policy && policy.type === 'time' ? 'time' : 'always',
            blockUnconfirmedBookingsInBooker:
              'blockUnconfirmedBookingsInBooker' in policy &&
              policy.blockUnconfirmedBookingsInBooker === true,
          },
    disableGuests: eventType.disableGuests,
    price: eventType.price,
    currency: eventType.currency,
  };
}

/** Outbound: the domain's values in the client's write shape, the policy narrowed to what Cal.com takes. */
export function toEventTypeWrite(values: CalcomValues): EventTypeWrite {
  const policy = values.confirmationPolicy;
  if ('disabled' in policy && policy.disabled === true)
    return { ...values, confirmationPolicy: { disabled: true } };
  const required = policy as Exclude<CalcomValues['confirmationPolicy'], { disabled: true }>;
  const threshold = required.noticeThreshold;
  return {
    ...values,
    confirmationPolicy: {
      type: required.type,
      blockUnconfirmedBookingsInBooker: required.blockUnconfirmedBookingsInBooker,
      ...(threshold
        ? {
            noticeThreshold: {
              unit: threshold.unit === 'hours' ? 'hours' : 'minutes',
              count: threshold.count,
            },
          }
        : {}),
    },
  };
}

/**
 * The one Cal.com call a push plan stands for: a team PATCH of the whole set of values (absolute,
 * so repeating it after a crash is harmless), or a team POST when the service asked for a new
 * event type.
 */
export async function callCalcom(
  client: CalcomClient,
  plan: PushPlan,
): Promise<Result<WriteOutcome, CalcomError>> {
  const write = toEventTypeWrite(plan.values);
  if (plan.operation === 'create') {
    return client.createTeamEventType(plan.teamId, {
      ...write,
      title: plan.values.title,
      slug: plan.values.slug,
      lengthInMinutes: plan.values.lengthInMinutes,
    });
  }
  if (plan.eventTypeId === null) {
    // nextPush always names the event type of an update; without one there is nothing to PATCH.
    throw new Error(`Push ${plan.syncId} is an update without an event type id`);
  }
  return client.updateTeamEventType(plan.teamId, plan.eventTypeId, write);
}
