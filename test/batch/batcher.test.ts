// The batching stage: when a batch is sealed and sent (full, linger, flush), and what an
// acknowledgement does (the files' ack queues advance, the budget is released).
import t from 'tap';
import { AckQueue } from '../../src/ack/ack-queue.js';
import { MemoryBudget } from '../../src/ack/memory-budget.js';
import type { Batch } from '../../src/batch/batch.js';
import { Batcher, type BatcherOptions, type RecordEncoding } from '../../src/batch/batcher.js';
import { CONCATENATED } from '../../src/batch/byte-frame.js';
import { rec } from '../helpers/records.js';
import { waitFor } from '../helpers/wait-for.js';

/** Records as `<message>\n`, written into the batch as text (a framed protocol). */
const lines: RecordEncoding<Buffer> = {
  encode: (r) => Buffer.from(`${r.message}\n`),
  size: (f) => f.length,
  frame: CONCATENATED,
  text: (r) => `${r.message}\n`,
};

/** Records as strings kept one by one (a protocol that builds its body from fragments). */
const fragments: RecordEncoding<string> = { encode: (r) => r.message, size: (f) => f.length };

function setup<F>(encoding: RecordEncoding<F>, over: Partial<BatcherOptions> = {}) {
  const budget = new MemoryBudget(1 << 20);
  const sent: Array<Batch<F>> = [];
  const opts: BatcherOptions = { maxBytes: 1000, maxEvents: 3, lingerMs: 60_000, ...over };
  const batcher = new Batcher(encoding, opts, budget, (b) => sent.push(b));
  t.teardown(() => batcher.shutdown());
  return { batcher, budget, sent };
}

t.test('a batch that reaches max events is sent at once, as one body', async (t) => {
  const { batcher, budget, sent } = setup(lines);
  const q = new AckQueue(0);
  batcher.add(rec(0, 'a'), q, 2);
  batcher.add(rec(2, 'b'), q, 4);
  t.equal(sent.length, 0, 'not full yet');
  t.equal(batcher.open, 2);
  batcher.add(rec(4, 'c'), q, 6);
  t.equal(sent.length, 1);
  t.equal(String(sent[0]!.body), 'a\nb\nc\n');
  t.equal(batcher.open, 0);
  t.equal(budget.usedBytes, 6, 'its bytes are held until acknowledged');
});

t.test('a record that would overflow max bytes seals the open batch first', async (t) => {
  const { batcher, sent } = setup(fragments, { maxBytes: 5 });
  const q = new AckQueue(0);
  batcher.add(rec(0, 'abc'), q, 4);
  batcher.add(rec(4, 'def'), q, 8);
  t.same(sent.map((b) => b.fragments), [['abc']]);
  t.equal(batcher.open, 1);
});

t.test('the linger timer sends a batch that is not full', async (t) => {
  const { batcher, sent } = setup(lines, { lingerMs: 20 });
  batcher.add(rec(0, 'lonely'), new AckQueue(0), 7);
  t.equal(sent.length, 0);
  await waitFor('the lingering batch', () => sent.length === 1, { timeoutMs: 5_000 });
  t.equal(String(sent[0]!.body), 'lonely\n');
});

t.test('flush sends the open batch now; with nothing open it sends nothing', async (t) => {
  const { batcher, sent } = setup(fragments);
  batcher.flush();
  t.equal(sent.length, 0);
  batcher.add(rec(0, 'x'), new AckQueue(0), 2);
  batcher.flush();
  t.same(sent.map((b) => b.fragments), [['x']]);
});

t.test('after shutdown no timer sends what is open', async (t) => {
  const { batcher, sent } = setup(lines, { lingerMs: 5 });
  batcher.shutdown();
  batcher.add(rec(0, 'late'), new AckQueue(0), 5);
  // Node runs timers in the order they fall due: a 5 ms linger armed before this 50 ms
  // timer would have fired before it.
  await new Promise((r) => setTimeout(r, 50));
  t.equal(sent.length, 0);
  t.equal(batcher.open, 1, 'left unsent: its lines are unacknowledged and read again next run');
});

t.test('acknowledge: each file\'s queue advances over the batch, in order; the budget is released', async (t) => {
  const { batcher, budget, sent } = setup(lines, { maxEvents: 2 });
  const qa = new AckQueue(0);
  const qb = new AckQueue(100);
  batcher.add(rec(0, 'a1'), qa, 3);
  batcher.add(rec(100, 'b1'), qb, 103);
  batcher.add(rec(3, 'a2'), qa, 6);
  batcher.flush();
  t.equal(sent.length, 2);
  t.equal(budget.usedBytes, 9);
  let woken = false;
  budget.onRoom(() => (woken = true));
  // The second batch answered first: file a may not pass its first batch's records.
  batcher.acknowledge(sent[1]!);
  t.equal(qa.committed, 0, 'a: held back by the unacknowledged first batch');
  batcher.acknowledge(sent[0]!);
  t.equal(qa.committed, 6);
  t.equal(qb.committed, 103);
  t.equal(budget.usedBytes, 0);
  t.ok(woken, 'a reader waiting for room is woken');
});
