/** What the numbers mean and why the PostgreSQL engine is built the way it is. */
export const designNotes = `Sizes per round: single appends 2,000 events; batched appends 20,000 events in
appends of 50; 8 writers split the same total, each on streams of its own. Read-all and catch-up
then cover everything the append rounds stored. Events are ~400-byte JSON service edits with
metadata. Emmett's read-all is its \`readMessagesBatch\`; its catch-up is its consumer with a
reactor (pulling 1,000 per batch, no pause between full batches; its puller still sleeps 100 ms
after its first batch, which weighs little at these sizes). Our catch-up stores a checkpoint
after every handled event, coalescing stores while one is in flight.

**Why appends take a transaction-scoped advisory lock.** A global order read by a sequence
number can skip: transaction A takes sequence 7, B takes 8 and commits first, a reader sees 8,
checkpoints it and never comes back for 7. Two cures: (1) serialise appends with
\`pg_advisory_xact_lock\` so that sequence n + 1 is only assigned after n committed (what we do);
(2) let appends run concurrently and hide rows whose transaction is newer than the oldest running
one (\`transaction_id < pg_snapshot_xmin(pg_current_snapshot())\`, Emmett's way). (2) also needs
the reader to order and checkpoint by (transaction id, sequence), and one long transaction holds
back every reader. (1) is simple to prove (a test holds an append's transaction open and shows
the next append waits for it) and costs concurrent-append throughput, since every commit waits
for the one before. We measured that price first with one PL/pgSQL call per append: 8 concurrent
single-event writers reached 0.29× Emmett (505 vs 1,769 events/s), below our own single writer.
So appends of one process that queue while a call is in flight now go to the server together as
the next call: one lock, one commit, each append still checked on its own. The "8 writers" rows
above are measured with that; writers in different processes still queue on the lock.
Appends through calsync are small and rare (admin edits, sync outcomes), so we take (1).`;
