import { createPgliteEventStore } from '../src/index.js';
import { describeEventStoreConformance } from './conformance.js';
import { describeAppendIsolation } from './sql-append-isolation.js';

describeEventStoreConformance('pglite (in-memory data folder)', () => createPgliteEventStore({}));

describeAppendIsolation('pglite', () => createPgliteEventStore({}));
