import type { CalcomEventType } from '@calsync/calcom';

/** A company of the test configuration, with the secrets a test needs to act as it and as its Cal.com. */
export interface Tenant {
  id: string;
  teamId: number;
  /** The bearer token; the configuration holds only its SHA-256. */
  token: string;
  apiKey: string;
  webhookSecret: string;
  /** Event types its Cal.com team holds when the simulator starts. */
  eventTypes: Array<Partial<CalcomEventType> & { id: number }>;
}

// Distinctive strings, so a test can search captured logs for any of them.
export const acme: Tenant = {
  id: 'acme',
  teamId: 42,
  token: 'acme-bearer-7f3c9a1e5b',
  apiKey: 'cal_live_acme_0d4e8b2f6a',
  webhookSecret: 'acme-webhook-secret-93b1c7',
  eventTypes: [
    { id: 1001, title: 'Herrenhaarschnitt', slug: 'herrenhaarschnitt', lengthInMinutes: 30 },
    { id: 1002, title: 'Damenhaarschnitt', slug: 'damenhaarschnitt', lengthInMinutes: 60 },
    { id: 1003, title: 'Bartpflege', slug: 'bartpflege', lengthInMinutes: 20 },
    { id: 1004, title: 'Färben', slug: 'faerben', lengthInMinutes: 90 },
    { id: 1005, title: 'Waschen', slug: 'waschen', lengthInMinutes: 15 },
    { id: 1006, title: 'Styling', slug: 'styling', lengthInMinutes: 45 },
  ],
};

export const beta: Tenant = {
  id: 'beta',
  teamId: 43,
  token: 'beta-bearer-2a6d0c8e4f',
  apiKey: 'cal_live_beta_5c1f9e3a7d',
  webhookSecret: 'beta-webhook-secret-4e0a2d',
  eventTypes: [{ id: 2001, title: 'Massage', slug: 'massage', lengthInMinutes: 60 }],
};

export const tenants: readonly Tenant[] = [acme, beta];

/** Every secret of the test configuration: none of them may ever reach a log line. */
export function secretsOf(list: readonly Tenant[] = tenants): string[] {
  return list.flatMap((tenant) => [tenant.token, tenant.apiKey, tenant.webhookSecret]);
}
