import type { DataFieldFilter } from './port.js';

/** Whether an event's data holds the filter's value at its top-level field (no filter: every event). */
export const matchesDataFilter = (data: unknown, where: DataFieldFilter | undefined): boolean => {
  if (where === undefined) return true;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  if (!Object.hasOwn(data, where.dataField)) return false;
  return (data as Record<string, unknown>)[where.dataField] === where.equals;
};
