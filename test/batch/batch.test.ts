// The pure batch builder: its limits, the ack segment per file a sealed batch carries,
// and a framed batch laid out as the request body in reused buffers.
import t from 'tap';
import { AckQueue } from '../../src/ack/ack-queue.js';
import { BatchBuilder } from '../../src/batch/batch.js';

t.test('an empty builder seals nothing', async (t) => {
  const b = new BatchBuilder<string>(1024, 10);
  t.equal(b.seal(), undefined);
  t.equal(b.count, 0);
  t.equal(b.bytes, 0);
  t.notOk(b.full);
  t.notOk(b.wouldOverflow(10_000), 'an empty batch takes a record of any size');
});

t.test('limits: full at max events or max bytes; wouldOverflow only with something in it', async (t) => {
  // [maxBytes, maxEvents, sizes added, full after, wouldOverflow(next) after]
  const table: Array<[number, number, number[], boolean, [number, boolean]]> = [
    [100, 10, [10], false, [90, false]],
    [100, 10, [10], false, [91, true]],
    [100, 10, [50, 50], true, [1, true]],
    [100, 10, [150], true, [1, true]], // one record over the limit makes a batch of its own
    [100, 3, [1, 1], false, [1, false]],
    [100, 3, [1, 1, 1], true, [1, false]],
  ];
  for (const [maxBytes, maxEvents, sizes, full, [next, overflow]] of table) {
    const b = new BatchBuilder<string>(maxBytes, maxEvents);
    const q = new AckQueue(0);
    let end = 0;
    for (const s of sizes) b.add('x'.repeat(s), s, q, (end += s));
    const name = `max ${maxBytes} B / ${maxEvents} events, added ${sizes.join('+')}`;
    t.equal(b.full, full, `${name}: full`);
    t.equal(b.wouldOverflow(next), overflow, `${name}: wouldOverflow(${next})`);
    t.equal(b.bytes, sizes.reduce((a, s) => a + s, 0), `${name}: bytes`);
    t.equal(b.count, sizes.length, `${name}: count`);
  }
});

t.test('seal: fragments, bytes, seq, and one ack segment per file at its highest end', async (t) => {
  const b = new BatchBuilder<string>(1 << 20, 1000);
  const qa = new AckQueue(0);
  const qb = new AckQueue(500);
  b.add('a1', 2, qa, 10);
  b.add('b1', 2, qb, 520);
  b.add('a2', 2, qa, 25);
  b.add('b2', 2, qb, 600);
  const first = b.seal()!;
  t.equal(first.seq, 1);
  t.same(first.fragments, ['a1', 'b1', 'a2', 'b2']);
  t.equal(first.bytes, 8);
  t.same(
    first.acks.map(({ queue, segment }) => [queue === qa ? 'a' : 'b', segment.end, segment.acked]),
    [
      ['a', 25, false],
      ['b', 600, false],
    ],
  );
  t.equal(qa.pending, 1, 'the segment is registered with the file at seal time');
  t.equal(qb.pending, 1);
  t.equal(b.count, 0, 'the builder is empty again');
  t.equal(b.bytes, 0);

  b.add('a3', 2, qa, 40);
  const second = b.seal()!;
  t.equal(second.seq, 2);
  t.same(second.fragments, ['a3']);
  t.same(first.fragments, ['a1', 'b1', 'a2', 'b2'], 'the sealed batch is not touched by later adds');
  t.equal(second.acks.length, 1, 'only files the batch carries');

  // Batches acked out of order: a's checkpoint waits for the first batch.
  for (const { queue, segment } of second.acks) queue.ack(segment);
  t.equal(qa.committed, 0);
  for (const { queue, segment } of first.acks) queue.ack(segment);
  t.equal(qa.committed, 40);
  t.equal(qb.committed, 600);
});

t.test('a framed builder lays records out as the body, views made on demand, arenas reused', async (t) => {
  const frame = { head: Buffer.from('['), separator: Buffer.from(','), tail: Buffer.from(']') };
  const b = new BatchBuilder<Buffer>(64, 100, frame);
  const q = new AckQueue(0);
  const records = ['{"a":1}', '{"b":22}', '{"c":"ü"}'].map((s) => Buffer.from(s));
  let end = 0;
  for (const r of records) b.add(r, r.length, q, (end += 10));
  const batch = b.seal()!;
  t.equal(String(batch.body), '[{"a":1},{"b":22},{"c":"ü"}]', 'the body is head, records, separators, tail');
  t.equal(batch.count, 3);
  t.equal(batch.bytes, records.reduce((n, r) => n + r.length, 0));
  t.same(batch.fragments.map(String), ['{"a":1}', '{"b":22}', '{"c":"ü"}'], 'views of each record');
  t.not(batch.fragments, batch.fragments, 'made afresh, not kept on the batch');
  t.same(batch.acks.map((a) => a.segment.end), [30]);

  // A full batch keeps its arena; recycled, the next batch is built in the same memory.
  const big = new BatchBuilder<Buffer>(1024, 1000, { head: Buffer.alloc(0), separator: Buffer.alloc(0), tail: Buffer.alloc(0) });
  const line = Buffer.from('x'.repeat(99) + '\n');
  for (let i = 0; i < 10; i++) big.add(line, line.length, q, (end += 100));
  const first = big.seal()!;
  t.ok(first.arena, 'a batch filled past a quarter of its arena keeps it');
  t.equal(first.body!.length, 1000);
  big.recycle(first);
  big.add(line, line.length, q, (end += 100));
  for (let i = 0; i < 9; i++) big.add(line, line.length, q, (end += 100));
  const second = big.seal()!;
  t.equal(second.arena, first.arena, 'the arena is reused');
  // A batch sealed small (by the linger) is copied to its size; its arena stays in the pool.
  big.add(line, line.length, q, (end += 100));
  const small = big.seal()!;
  t.equal(small.arena, undefined);
  t.equal(small.body!.length, 100);
  t.equal(String(small.body), String(line));
});

t.test('a record larger than the arena grows it, and the body stays whole', async (t) => {
  const b = new BatchBuilder<Buffer>(16, 10, { head: Buffer.from('<'), separator: Buffer.from('|'), tail: Buffer.from('>') });
  const q = new AckQueue(0);
  const huge = Buffer.from('h'.repeat(5000));
  b.add(Buffer.from('a'), 1, q, 2);
  b.add(huge, huge.length, q, 5003);
  const batch = b.seal()!;
  t.equal(String(batch.body), `<a|${'h'.repeat(5000)}>`);
  t.same(batch.fragments.map((f) => f.length), [1, 5000]);
});
