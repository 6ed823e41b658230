import { randomUUID } from 'node:crypto';
import { rateLimitWait } from '@calsync/calcom';
import { describe, expect, it } from 'vitest';
import { CalcomDirectory, limiterForSettings } from '../src/calcom/calcom-directory.js';
import { fileConfigSchema } from '../src/config/config-schema.js';

function directoryWith(maxRateLimitResetMs: number) {
  const apiKey = `cal_test_directory_${randomUUID()}`;
  const sync = fileConfigSchema.parse({
    companies: [{ id: 'acme', apiTokenSha256: ['a'.repeat(64)] }],
    sync: { maxRateLimitResetMs },
  }).sync;
  const settings = { apiUrl: 'http://127.0.0.1:1', teamId: 7, apiKey, webhookSecret: 'whsec' };
  const directory = new CalcomDirectory([{ id: 'acme', apiTokenSha256: [], calcom: settings }], sync);
  return { directory, limiter: limiterForSettings(settings, sync), apiKey };
}

describe('the Cal.com directory', () => {
  it('gives every key a limiter capped at sync.maxRateLimitResetMs', () => {
    const { limiter } = directoryWith(2_000);
    expect(limiter.resetBounds().maxResetMs).toBe(2_000);
  });

  it('tells while a team’s key waits after a 429: until when, advertised against applied, the key only hashed', () => {
    const { directory, limiter, apiKey } = directoryWith(2_000);
    expect(directory.rateLimitWait(7)).toBeNull();
    const wait = rateLimitWait({ 'X-RateLimit-Reset-Default': '3600' }, limiter.resetBounds());
    const before = Date.now();
    limiter.pauseFor(wait.waitMs, wait);

    const team = directory.rateLimitWait(7);
    expect(team).toMatchObject({
      advertisedResetMs: 3_600_000,
      appliedResetMs: 2_000,
      capped: true,
      maxResetMs: 2_000,
    });
    expect(Date.parse(team!.until) - before).toBeGreaterThanOrEqual(1_999);
    expect(Date.parse(team!.until) - before).toBeLessThanOrEqual(2_100);
    expect(team!.key).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(JSON.stringify(team)).not.toContain(apiKey);
    expect(directory.rateLimitWait(8)).toBeNull();
  });
});
