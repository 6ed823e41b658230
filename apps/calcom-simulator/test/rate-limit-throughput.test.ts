import { createCalcomClient, createRateLimiter } from '@calsync/calcom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CalcomSimulator, startCalcomSimulator } from '../src/index.js';

// Cal.com's 120 requests per 60 s, with time scaled down to 120 per second (and a 1 s block) to keep it fast.
const LIMIT = 120;
const WINDOW_MS = 1_000;
const TEAM = 42;
const KEY = 'cal_test_bulk';

let simulator: CalcomSimulator;
beforeAll(async () => {
  simulator = await startCalcomSimulator({
    keys: [{ apiKey: KEY, teamIds: [TEAM] }],
    teams: [
      {
        id: TEAM,
        eventTypes: Array.from({ length: 30 }, (_, i) => ({
          id: 100 + i,
          title: `Service ${i}`,
          slug: `service-${i}`,
        })),
      },
    ],
    rateLimit: { limit: LIMIT, windowMs: WINDOW_MS, blockMs: WINDOW_MS },
  });
});
afterAll(() => simulator.close());

describe('client-side rate limiting', () => {
  it('sends 300 updates through one API key without a single 429', async () => {
    const limiter = createRateLimiter({ windowMs: WINDOW_MS });
    // Two clients of the same key share its limiter, as rateLimiterFor() arranges in production.
    const clients = [1, 2].map(() => createCalcomClient({ apiUrl: simulator.url, apiKey: KEY, limiter }));
    const updates = Array.from({ length: 300 }, (_, i) =>
      (clients[i % 2] ?? clients[0])?.updateTeamEventType(TEAM, 100 + (i % 30), {
        description: `revision ${i}`,
      }),
    );
    const results = await Promise.all(updates);

    expect(results.filter((r) => r?.isErr()).map((r) => r?._unsafeUnwrapErr())).toEqual([]);
    const statuses = simulator.control.requests().map((r) => r.status);
    expect(statuses).toHaveLength(300);
    expect(statuses.filter((s) => s === 429)).toHaveLength(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(limiter.snapshot().limit).toBe(LIMIT);
  });
});
