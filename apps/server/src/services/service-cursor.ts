import type { SyncStatus } from '@calsync/domain';
import { z } from 'zod';

/** The filters of `GET /v1/services`; a cursor continues the listing of the same filters. */
export interface ServiceFilter {
  status?: SyncStatus;
  bookable?: boolean;
}

/** The filters as one short key, kept in the cursor: a cursor is good only for its own filters. */
export function filterKey(filter: ServiceFilter): string {
  return `${filter.status ?? '*'}|${filter.bookable === undefined ? '*' : String(filter.bookable)}`;
}

const cursorSchema = z.strictObject({
  v: z.literal(2),
  k: z.string().max(400),
  f: z.string().max(40),
});

/** A cursor is short: anything longer is not one of ours. */
const MAX_CURSOR_LENGTH = 800;

/**
 * The opaque cursor of the services listing (docs/http-contract.md, "Pagination"): base64url
 * of `{v: 2, k, f}`, the listing key of the page's last service (registration time and id, the
 * same on every instance) and the filters.
 */
export function encodeServiceCursor(key: string, filter: ServiceFilter): string {
  return Buffer.from(JSON.stringify({ v: 2, k: key, f: filterKey(filter) }), 'utf8').toString('base64url');
}

export type CursorProblem = 'malformed' | 'other-filters';

/** The listing key a cursor continues after, or why it cannot be used with these filters. */
export function decodeServiceCursor(
  cursor: string,
  filter: ServiceFilter,
): { key: string } | { problem: CursorProblem } {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return { problem: 'malformed' };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return { problem: 'malformed' };
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) return { problem: 'malformed' };
  if (parsed.data.f !== filterKey(filter)) return { problem: 'other-filters' };
  return { key: parsed.data.k };
}
