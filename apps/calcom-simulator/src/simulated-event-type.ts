import type { CalcomEventType } from '@calsync/calcom';

/** A stored event type: the full output object Cal.com would return, plus whatever a test put in. */
export type SimulatedEventType = CalcomEventType & Record<string, unknown>;

export interface SimulatedTeam {
  id: number;
  name: string;
  slug: string;
}

function slugify(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'team'
  );
}

export function simulatedTeam(id: number, name?: string): SimulatedTeam {
  const teamName = name ?? `Team ${id}`;
  return { id, name: teamName, slug: slugify(teamName) };
}

/** The team object Cal.com embeds in every team event type. */
function embeddedTeam(team: SimulatedTeam): Record<string, unknown> {
  return {
    id: team.id,
    name: team.name,
    slug: team.slug,
    bannerUrl: null,
    logoUrl: null,
    weekStart: 'Monday',
    brandColor: '#292929',
    darkBrandColor: '#fafafa',
    theme: null,
  };
}

/**
 * A team event type with every output field Cal.com sends (docs/calcom.md, fixture team-event-types-list.json),
 * holding Cal.com's defaults unless `fields` says otherwise.
 */
export function buildTeamEventType(
  team: SimulatedTeam,
  id: number,
  fields: Record<string, unknown>,
): SimulatedEventType {
  const title = typeof fields.title === 'string' ? fields.title : `Event type ${id}`;
  const slug = typeof fields.slug === 'string' ? fields.slug : slugify(title);
  const base: Record<string, unknown> = {
    id,
    lengthInMinutes: 30,
    title,
    slug,
    description: '',
    locations: [{ type: 'integration', integration: 'cal-video' }],
    bookingFields: [
      { isDefault: true, type: 'name', slug: 'name', required: true, disableOnPrefill: false },
      {
        isDefault: true,
        type: 'email',
        slug: 'email',
        required: true,
        disableOnPrefill: false,
        hidden: false,
      },
      {
        isDefault: true,
        type: 'textarea',
        slug: 'notes',
        required: false,
        disableOnPrefill: false,
        hidden: false,
      },
    ],
    recurrence: null,
    disableGuests: false,
    slotInterval: null,
    minimumBookingNotice: 120,
    beforeEventBuffer: 0,
    afterEventBuffer: 0,
    metadata: {},
    price: 0,
    currency: 'usd',
    lockTimeZoneToggleOnBookingPage: false,
    forwardParamsSuccessRedirect: true,
    successRedirectUrl: null,
    isInstantEvent: false,
    scheduleId: null,
    onlyShowFirstAvailableSlot: false,
    offsetStart: 0,
    bookingWindow: { disabled: true },
    confirmationPolicy: { disabled: true },
    requiresBookerEmailVerification: false,
    hideCalendarNotes: false,
    seats: { disabled: true },
    useDestinationCalendarEmail: false,
    hideCalendarEventDetails: false,
    hideOrganizerEmail: false,
    hidden: false,
    bookingRequiresAuthentication: false,
    bookerActiveBookingsLimit: { disabled: true },
    bookingUrl: `https://cal.com/team/${team.slug}/${slug}`,
    disableCancelling: { disabled: false },
    disableRescheduling: { disabled: false },
    interfaceLanguage: null,
    allowReschedulingPastBookings: false,
    allowReschedulingCancelledBookings: false,
    showOptimizedSlots: false,
    hosts: [],
    teamId: team.id,
    ownerId: null,
    parentEventTypeId: null,
    schedulingType: 'collective',
    assignAllTeamMembers: true,
    team: embeddedTeam(team),
    rescheduleWithSameRoundRobinHost: false,
    rrHostSubsetEnabled: false,
  };
  return { ...base, ...fields, id, teamId: team.id, title, slug } as SimulatedEventType;
}

/** Cal.com derives the booking URL from the slug; keep it consistent after a slug change. */
export function withDerivedFields(team: SimulatedTeam, eventType: SimulatedEventType): SimulatedEventType {
  return { ...eventType, bookingUrl: `https://cal.com/team/${team.slug}/${eventType.slug}` };
}
