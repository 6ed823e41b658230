import type { CalcomEventType } from '@calsync/calcom';
import type { CalcomSnapshot } from '@calsync/domain';

/** The domain's view of an event type Cal.com showed us (its own shapes, price included). */
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
