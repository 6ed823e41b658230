/**
 * The body rules of `UpdateTeamEventTypeInput_2024_06_14` / `CreateTeamEventTypeInput_2024_06_14` (docs/calcom.md):
 * known fields are type-checked the way class-validator does, every other property (price, currency,
 * metadata, length, requiresConfirmation, id, …) is silently stripped, as the global whitelist pipe does.
 */

/** class-validator's ValidationError, as Cal.com puts it in `error.details.errors`. */
export interface ValidationFailure {
  property: string;
  value: unknown;
  constraints: Record<string, string>;
  children: [];
}

type Check = (property: string, value: unknown) => Record<string, string> | null;

const isString: Check = (p, v) => (typeof v === 'string' ? null : { isString: `${p} must be a string` });
const isBoolean: Check = (p, v) =>
  typeof v === 'boolean' ? null : { isBoolean: `${p} must be a boolean value` };
const isArray: Check = (p, v) => (Array.isArray(v) ? null : { isArray: `${p} must be an array` });
const isObject: Check = (p, v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? null : { isObject: `${p} must be an object` };
const isInt =
  (min?: number): Check =>
  (p, v): Record<string, string> | null => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return { isInt: `${p} must be an integer number` };
    return min !== undefined && v < min ? { min: `${p} must not be less than ${min}` } : null;
  };
const isOneOf =
  (values: readonly string[]): Check =>
  (p, v) =>
    typeof v === 'string' && values.includes(v)
      ? null
      : { isEnum: `${p} must be one of the following values: ${values.join(', ')}` };

// Mirrors ConfirmationPolicyValidator: disabled, or type "always", or type "time" with a notice threshold.
const isConfirmationPolicy: Check = (_p, v) => {
  const message =
    'Invalid requiresConfirmation structure. Use "type": "always" or provide a valid time and unit in "noticeThreshold" for "type": "time".';
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ValidateConfirmationPolicy: message };
  const policy = v as Record<string, unknown>;
  if (policy.disabled === true) return null;
  const threshold = policy.noticeThreshold as Record<string, unknown> | undefined;
  const valid =
    typeof policy.blockUnconfirmedBookingsInBooker === 'boolean' &&
    (policy.type === 'always' ||
      (policy.type === 'time' &&
        typeof threshold?.count === 'number' &&
        (threshold.unit === 'minutes' || threshold.unit === 'hours')));
  return valid ? null : { ValidateConfirmationPolicy: message };
};

const commonFields: Record<string, Check> = {
  title: isString,
  slug: isString,
  lengthInMinutes: isInt(1),
  lengthInMinutesOptions: isArray,
  description: isString,
  hidden: isBoolean,
  beforeEventBuffer: isInt(0),
  afterEventBuffer: isInt(0),
  minimumBookingNotice: isInt(0),
  slotInterval: isInt(0),
  scheduleId: isInt(1),
  disableGuests: isBoolean,
  confirmationPolicy: isConfirmationPolicy,
  locations: isArray,
  bookingFields: isArray,
  bookingWindow: isObject,
  bookingLimitsCount: isObject,
  bookingLimitsDuration: isObject,
  bookerActiveBookingsLimit: isObject,
  recurrence: isObject,
  seats: isObject,
  onlyShowFirstAvailableSlot: isBoolean,
  offsetStart: isInt(0),
  bookerLayouts: isObject,
  requiresBookerEmailVerification: isBoolean,
  hideCalendarNotes: isBoolean,
  lockTimeZoneToggleOnBookingPage: isBoolean,
  color: isObject,
  customName: isString,
  destinationCalendar: isObject,
  useDestinationCalendarEmail: isBoolean,
  hideCalendarEventDetails: isBoolean,
  successRedirectUrl: isString,
  hideOrganizerEmail: isBoolean,
  calVideoSettings: isObject,
  bookingRequiresAuthentication: isBoolean,
  disableCancelling: isObject,
  disableRescheduling: isObject,
  interfaceLanguage: isString,
  allowReschedulingPastBookings: isBoolean,
  allowReschedulingCancelledBookings: isBoolean,
  showOptimizedSlots: isBoolean,
  hosts: isArray,
  assignAllTeamMembers: isBoolean,
  emailSettings: isObject,
  rescheduleWithSameRoundRobinHost: isBoolean,
};

const updateFields: Record<string, Check> = {
  ...commonFields,
  schedulingType: isOneOf(['collective', 'roundRobin']),
};
const createFields: Record<string, Check> = {
  ...commonFields,
  schedulingType: isOneOf(['collective', 'roundRobin', 'managed']),
};
const requiredOnCreate = ['title', 'slug', 'lengthInMinutes', 'schedulingType'];

export interface AcceptedInput {
  fields: Record<string, unknown>;
  failures: ValidationFailure[];
}

function accept(body: unknown, checks: Record<string, Check>, required: readonly string[]): AcceptedInput {
  const input = body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {};
  const fields: Record<string, unknown> = {};
  const failures: ValidationFailure[] = [];
  for (const [property, check] of Object.entries(checks)) {
    const value = (input as Record<string, unknown>)[property];
    if (value === undefined && !required.includes(property)) continue;
    const constraints = check(property, value);
    if (constraints) failures.push({ property, value, constraints, children: [] });
    else fields[property] = value;
  }
  return { fields, failures };
}

export function acceptUpdateInput(body: unknown): AcceptedInput {
  return accept(body, updateFields, []);
}

export function acceptCreateInput(body: unknown): AcceptedInput {
  return accept(body, createFields, requiredOnCreate);
}
