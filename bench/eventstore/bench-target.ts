/** One event store as the benchmark drives it; ours and Emmett's both implement it. */
export interface BenchTarget {
  readonly name: string;
  /** Appends `count` new events to `stream` in one append, at any revision. */
  append(stream: string, count: number): Promise<void>;
  /** Reads every stored event from the beginning, page by page; returns how many. */
  readAll(): Promise<number>;
  /** Runs a fresh checkpointed subscriber from the beginning until caught up; returns how many it handled. */
  catchUp(checkpointName: string): Promise<number>;
  close(): Promise<void>;
}

/** A service edit as the platform would append it: a few hundred bytes of JSON. */
export const benchEventData = (index: number) => ({
  serviceId: `svc-${index % 500}`,
  companyId: 'acme',
  changes: [
    { field: 'title', from: 'Herrenhaarschnitt', to: 'Herrenhaarschnitt kurz' },
    { field: 'lengthInMinutes', from: 30, to: 35 },
    { field: 'price', from: { amount: '35.00', currency: 'EUR' }, to: { amount: '38.00', currency: 'EUR' } },
  ],
  editedAt: '2025-05-01T10:00:00.000Z',
  index,
});

export const benchEventMetadata = { actor: 'admin@acme', requestId: 'bench', source: 'platform' };
