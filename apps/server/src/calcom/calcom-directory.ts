import { type CalcomClient, createCalcomClient, rateLimiterFor } from '@calsync/calcom';
import type { AppConfig, CompanyCalcom, CompanyConfig } from '../config/load-config.js';

export interface CompanyCalcomAccess {
  companyId: string;
  settings: CompanyCalcom;
  client: CalcomClient;
}

/**
 * Which Cal.com team, key and client belong to which company. One client per company; all
 * clients of one API key share one rate limiter (Cal.com limits per key).
 */
export class CalcomDirectory {
  private readonly byCompany = new Map<string, CompanyCalcomAccess>();
  private readonly byTeam = new Map<number, CompanyCalcomAccess>();

  constructor(
    companies: readonly CompanyConfig[],
    sync: AppConfig['sync'],
    makeClient: (settings: CompanyCalcom) => CalcomClient = (settings) =>
      createCalcomClient({
        apiUrl: settings.apiUrl,
        apiKey: settings.apiKey,
        limiter: rateLimiterFor(settings.apiKey, { limit: sync.rateLimitPerMinute }),
      }),
  ) {
    for (const company of companies) {
      if (!company.calcom) continue;
      const access = { companyId: company.id, settings: company.calcom, client: makeClient(company.calcom) };
      this.byCompany.set(company.id, access);
      this.byTeam.set(company.calcom.teamId, access);
    }
  }

  forCompany(companyId: string): CompanyCalcomAccess | undefined {
    return this.byCompany.get(companyId);
  }

  forTeam(teamId: number): CompanyCalcomAccess | undefined {
    return this.byTeam.get(teamId);
  }

  clientForTeam(teamId: number): CalcomClient | null {
    return this.byTeam.get(teamId)?.client ?? null;
  }

  teams(): CompanyCalcomAccess[] {
    return [...this.byCompany.values()];
  }
}
