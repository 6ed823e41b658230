import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { afterAll } from 'vitest';
import { createEsdbEventStore } from '../src/index.js';
import { describeEventStoreConformance } from './conformance.js';
import { dockerEngineReachable } from './docker-engine.js';

const IMAGE = process.env.TEST_EVENTSTORE_IMAGE ?? 'eventstore/eventstore:24.10';
const givenUrl = process.env.TEST_EVENTSTORE_URL;
const canStartContainer = givenUrl === undefined && (await dockerEngineReachable());

let container: StartedTestContainer | undefined;
let url = givenUrl;

/** A throw-away single node, insecure and in memory: nothing to clean up afterwards. */
const startKurrentDb = async (): Promise<string> => {
  container = await new GenericContainer(IMAGE)
    .withEnvironment({
      EVENTSTORE_INSECURE: 'true',
      EVENTSTORE_MEM_DB: 'true',
      EVENTSTORE_RUN_PROJECTIONS: 'None',
    })
    .withExposedPorts(2113)
    .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
    .withStartupTimeout(120_000)
    .start();
  return `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
};

afterAll(async () => {
  await container?.stop();
});

describeEventStoreConformance(
  'esdb',
  async () => {
    url ??= await startKurrentDb();
    return createEsdbEventStore({ connectionString: url });
  },
  {
    skipReason:
      givenUrl !== undefined || canStartContainer
        ? undefined
        : 'no Docker engine and TEST_EVENTSTORE_URL is not set',
    // Every store opened here talks to the same node, which keeps what earlier tests wrote.
    freshStoreIsEmpty: false,
  },
);
