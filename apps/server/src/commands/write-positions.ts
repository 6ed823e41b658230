import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The store position a request's commands wrote, for read-your-writes across instances
 * (docs/operations.md, "Several instances"): the HTTP shell opens a record per request, every
 * append made on its behalf notes its position there, and the answer hands the last one to the
 * client as `calsync-position`. Appends outside a request (the sync, reconciliation runs) note
 * nothing.
 */
interface WriteRecord {
  position: string | undefined;
}

const writes = new AsyncLocalStorage<WriteRecord>();

/** Runs `work` with a fresh record of the positions written on its behalf. */
export function trackWrites<T>(work: () => T): T {
  return writes.run({ position: undefined }, work);
}

/** Notes the position of an append (appends of one request follow each other, so the last is the newest). */
export function noteWrite(position: string): void {
  const record = writes.getStore();
  if (record) record.position = position;
}

/** The position of the last append made on behalf of the current request, if any. */
export function lastWrite(): string | undefined {
  return writes.getStore()?.position;
}
