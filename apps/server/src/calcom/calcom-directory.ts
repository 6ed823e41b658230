import { createHash } from 'node:crypto';
import { type CalcomClient, createCalcomClient, type RateLimiter, rateLimiterFor } from '@calsync/calcom';
import type { TeamRateLimitWait } from '@calsync/domain';
import type { AppConfig, CompanyCalcom, CompanyConfig } from '../config/load-config.js';

/** The limiter of a key as configured: the per-minute budget and the cap on an advertised reset. */
export function limiterForSettings(settings: CompanyCalcom, sync: AppConfig['sync']): RateLimiter {
  return rateLimiterFor(settings.apiKey, {
    limit: sync.rateLimitPerMinute,
    maxResetMs: sync.maxRateLimitResetMs,
  });
}

/** A limiter's pause after a 429 as the team context of a status: key (hashed), until, advertised vs applied. */
export function teamRateLimitWait(limiter: RateLimiter, apiKey: string): TeamRateLimitWait | null {
  const pause = limiter.snapshot().pause;
  if (!pause || !Number.isFinite(pause.untilMs)) return null;
  return {
    key: keyFingerprint(apiKey),
    until: new Date(pause.untilMs).toISOString(),
    advertisedResetMs: pause.advertisedMs,
    appliedResetMs: pause.waitMs,
    capped: pause.capped,
    maxResetMs: pause.maxResetMs,
  };
}

/** Names a key in logs and status without revealing it. */
export function keyFingerprint(apiKey: string): string {
  return `sha256:${createHash('sha256').update(apiKey).digest('hex').slice(0, 12)}`;
}

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
    private readonly sync: AppConfig['sync'],
    makeClient: (settings: CompanyCalcom) => CalcomClient = (settings) =>
      createCalcomClient({
        apiUrl: settings.apiUrl,
        apiKey: settings.apiKey,
        limiter: limiterForSettings(settings, sync),
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

  clientForTeam(teamId: number): CalcomClient | null {
    return this.byTeam.get(teamId)?.client ?? null;
  }

  /**
   * Whether the team's key is held after a 429, until when, and what Cal.com advertised against what was
   * applied: the team context of every status of the team's services.
   */
  rateLimitWait(teamId: number): TeamRateLimitWait | null {
    const access = this.byTeam.get(teamId);
    if (!access) return null;
    return teamRateLimitWait(limiterForSettings(access.settings, this.sync), access.settings.apiKey);
  }

  teams(): CompanyCalcomAccess[] {
    return [...this.byCompany.values()];
  }
}
