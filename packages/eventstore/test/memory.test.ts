import { createInMemoryEventStore } from '../src/index.js';
import { describeEventStoreConformance } from './conformance.js';

describeEventStoreConformance('memory', async () => createInMemoryEventStore());
