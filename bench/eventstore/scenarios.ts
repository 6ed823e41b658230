import type { BenchTarget } from './bench-target.js';

export interface Scenario {
  name: string;
  /** Runs once against a target and returns how many events it moved. */
  run(target: BenchTarget, round: number): Promise<number>;
}

/** Each writer appends to streams of its own, so no store pays for conflicts it could avoid. */
const appendScenario = (writers: number, batch: number, events: number): Scenario => ({
  name: `append ${batch === 1 ? '1 event' : `${batch} events`} per append, ${writers} writer${writers === 1 ? '' : 's'}`,
  run: async (target, round) => {
    const appendsPerWriter = events / writers / batch;
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let append = 0; append < appendsPerWriter; append += 1) {
          await target.append(`service-r${round}-w${writer}-${append % 20}`, batch);
        }
      }),
    );
    return events;
  },
});

export const appendScenarios: Scenario[] = [
  appendScenario(1, 1, 2_000),
  appendScenario(8, 1, 2_000),
  appendScenario(1, 50, 20_000),
  appendScenario(8, 50, 20_000),
];

export const readScenarios: Scenario[] = [
  { name: 'read-all from the beginning (pages of 1,000)', run: (target) => target.readAll() },
  {
    name: 'catch-up: checkpointed subscriber from the beginning',
    run: (target, round) => target.catchUp(`bench-catch-up-${round}`),
  },
];

export interface Measurement {
  events: number;
  eventsPerSecond: number;
}
