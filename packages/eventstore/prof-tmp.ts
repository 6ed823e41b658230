import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createPostgresEventStore, expected } from './src/index.js';

const cs = 'postgres://root@127.0.0.1:5432/test';
const store = await createPostgresEventStore({ connectionString: cs, schema: 'calsync_prof', poolSize: 4 });
let t = performance.now();
for (let i = 0; i < 16; i++)
  await store.appendToStream(
    `s-${i}`,
    Array.from({ length: 1000 }, () => ({ id: randomUUID(), type: 'T', data: { i } })),
    expected.any,
  );
console.log('16 x 1000 batch appends', (performance.now() - t).toFixed(0), 'ms');
for (const cp of [undefined, 'cp']) {
  let n = 0;
  t = performance.now();
  const sub = store.subscribe({
    checkpointName: cp,
    handler: async () => {
      n++;
    },
  });
  await sub.caughtUp();
  console.log('catch-up 16000, checkpoint:', cp, (performance.now() - t).toFixed(0), 'ms', n);
  await sub.stop();
}
await store.close();
const c = new pg.Client({ connectionString: cs });
await c.connect();
await c.query('drop schema calsync_prof cascade');
await c.end();
