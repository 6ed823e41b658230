import { okAsync } from 'neverthrow';
import type { LeaseStore } from '../port.js';

/**
 * The leases of a store only this process can use (memory, or the embedded engine behind its
 * data-folder lock): there is nobody to share with, so every lease is granted and never lost.
 */
export const createLocalLeaseStore = (): LeaseStore => {
  const held = new Set<string>();
  return {
    shared: false,
    tryAcquire: (name) => {
      held.add(name);
      return okAsync(true);
    },
    release: (name) => {
      held.delete(name);
      return okAsync(undefined);
    },
    confirm: () => okAsync(undefined),
    held: () => held,
    isHeldAnywhere: (name) => okAsync(held.has(name)),
    members: () => okAsync(1),
    onLost: () => () => {},
    leave: () => {
      held.clear();
      return okAsync(undefined);
    },
  };
};
