import { createPgliteEventStore } from '../src/index.js';
import { describeEventStoreConformance } from './conformance.js';

describeEventStoreConformance('pglite (in-memory data folder)', () => createPgliteEventStore({}));
