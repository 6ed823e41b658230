import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppendBatcher, type PendingAppend } from '../src/postgres/append-batcher.js';
import type { AppendRow } from '../src/postgres/event-row.js';

const appendTo = (stream: string, events = 1): PendingAppend => ({
  stream,
  expectedKind: 'any',
  expectedRevision: null,
  events: Array.from({ length: events }, () => ({
    id: randomUUID(),
    type: 'Edited',
    data: {},
    metadata: {},
  })),
});

const appended = (appends: PendingAppend[]): AppendRow[] =>
  appends.map((append, index) => ({
    append_index: index,
    outcome: 'appended',
    stream_revision: String(append.events.length - 1),
    last_sequence: String(index + 1),
    written: append.events.length,
  }));

describe('appends of one process sharing a round trip', () => {
  it('sends whatever queued during a call as the next call, each append getting its own outcome', async () => {
    const calls: string[][] = [];
    const batcher = new AppendBatcher(async (appends) => {
      calls.push(appends.map((append) => append.stream));
      return appended(appends);
    });
    const outcomes = await Promise.all(
      ['a', 'b', 'c', 'd'].map((stream) => batcher.submit(appendTo(stream))),
    );
    expect(calls).toEqual([['a'], ['b', 'c', 'd']]);
    expect(outcomes.map((outcome) => outcome.last_sequence)).toEqual(['1', '1', '2', '3']);
  });

  it('keeps one call under 2,000 events, but never splits an append', async () => {
    const calls: number[][] = [];
    const batcher = new AppendBatcher(async (appends) => {
      calls.push(appends.map((append) => append.events.length));
      return appended(appends);
    });
    await Promise.all(
      [1, 1500, 600, 2500].map((events, index) => batcher.submit(appendTo(`s${index}`, events))),
    );
    expect(calls).toEqual([[1], [1500], [600], [2500]]);
  });

  it('fails every append of a call the store could not take, and carries on with the next', async () => {
    let call = 0;
    const lost = new Error('connection lost');
    const batcher = new AppendBatcher(
      async (appends) => {
        call += 1;
        if (call === 2) throw lost;
        return appended(appends);
      },
      { isolateAfter: (error) => error !== lost },
    );
    const results = await Promise.allSettled(
      ['a', 'b', 'c'].map((stream) => batcher.submit(appendTo(stream))),
    );
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    await expect(batcher.submit(appendTo('d'))).resolves.toMatchObject({ outcome: 'appended' });
  });

  it('when the engine refuses one append of a call, sends the others again alone so only that one fails', async () => {
    const calls: string[][] = [];
    const batcher = new AppendBatcher(async (appends) => {
      calls.push(appends.map((append) => append.stream));
      if (appends.some((append) => append.stream === 'poisoned')) throw new Error('engine refused');
      return appended(appends);
    });
    const streams = ['first', 'a', 'poisoned', 'b'];
    const results = await Promise.allSettled(streams.map((stream) => batcher.submit(appendTo(stream))));
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(calls).toEqual([['first'], ['a', 'poisoned', 'b'], ['a'], ['poisoned'], ['b']]);
  });

  it('stops sending appends alone once the connection is lost, failing the rest at once', async () => {
    const lost = new Error('connection lost');
    let calls = 0;
    const batcher = new AppendBatcher(
      async (appends) => {
        calls += 1;
        if (calls === 1) return appended(appends);
        if (calls === 2) throw new Error('engine refused');
        throw lost;
      },
      { isolateAfter: (error) => error !== lost },
    );
    const results = await Promise.allSettled(
      ['first', 'a', 'b', 'c'].map((stream) => batcher.submit(appendTo(stream))),
    );
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected']);
    expect(calls).toBe(3);
  });
});
