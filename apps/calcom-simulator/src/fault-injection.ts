import { z } from 'zod';

/**
 * Faults a test or demo can inject in front of the API: they act before Cal.com's own logic (like a proxy or
 * the network would), so a faulted request is neither throttled nor applied, except `latency`, which delays
 * the request and then lets it through.
 */
export const faultSpecSchema = z.strictObject({
  method: z.string().min(1).optional(),
  /** Exact path or a pattern with `:param` segments, e.g. `/v2/teams/:teamId/event-types/:id`. */
  path: z.string().startsWith('/').optional(),
  kind: z.enum(['status', 'latency', 'timeout', 'drop']),
  status: z.number().int().min(100).max(599).optional(),
  /** For `status`: the body to answer with; defaults to Cal.com's error envelope for that status. */
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  latencyMs: z.number().int().min(0).optional(),
  /** Applies to the next N matching calls only; forever when left out. */
  times: z.number().int().min(1).optional(),
});
export type FaultSpec = z.infer<typeof faultSpecSchema>;

interface ActiveFault {
  id: number;
  spec: FaultSpec;
  remaining: number;
}

export interface FaultTable {
  add(spec: FaultSpec): number;
  clear(): void;
  /** The fault that applies to this call, consuming one of its `times`. */
  take(method: string, path: string): FaultSpec | null;
  list(): Array<FaultSpec & { id: number; remaining: number | null }>;
}

function pathMatches(pattern: string, path: string): boolean {
  const want = pattern.split('/');
  const got = path.split('/');
  return (
    want.length === got.length &&
    want.every((segment, i) => (segment.startsWith(':') ? (got[i] ?? '') !== '' : segment === got[i]))
  );
}

export function createFaultTable(): FaultTable {
  let faults: ActiveFault[] = [];
  let nextId = 1;
  return {
    add(spec) {
      const id = nextId++;
      faults.push({ id, spec, remaining: spec.times ?? Number.POSITIVE_INFINITY });
      return id;
    },
    clear() {
      faults = [];
    },
    take(method, path) {
      const fault = faults.find(
        (f) =>
          (f.spec.method === undefined || f.spec.method.toUpperCase() === method.toUpperCase()) &&
          (f.spec.path === undefined || pathMatches(f.spec.path, path)),
      );
      if (!fault) return null;
      fault.remaining--;
      if (fault.remaining <= 0) faults = faults.filter((f) => f !== fault);
      return fault.spec;
    },
    list() {
      return faults.map((f) => ({
        ...f.spec,
        id: f.id,
        remaining: Number.isFinite(f.remaining) ? f.remaining : null,
      }));
    },
  };
}
