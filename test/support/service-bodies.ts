import { randomUUID } from 'node:crypto';

let counter = 0;

/**
 * A registration body of docs/http-contract.md with a slug of its own, so tests sharing one server never collide.
 * `overrides` replaces or adds any field (platform-only ones and `calcom` included).
 */
export function serviceBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    name: 'Herrenhaarschnitt',
    slug: `herrenhaarschnitt-${counter}-${randomUUID().slice(0, 8)}`,
    description: 'Waschen, schneiden, föhnen',
    durationMinutes: 30,
    price: { amount: 3500, currency: 'EUR' },
    category: 'Haare',
    priority: 1,
    ...overrides,
  };
}

/** Platform-only fields (docs/events.md): never sent to Cal.com, so editing only these requests no sync. */
export const platformOnlyEdit = {
  category: 'Herren',
  displayName: 'Herrenschnitt deluxe',
  isOnline: true,
  priority: 5,
  minStaffRequired: 2,
  segments: [{ name: 'Schneiden', durationMinutes: 20, gapAfterMinutes: 5 }],
} as const;
