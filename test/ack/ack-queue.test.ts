// Acknowledgements per file: `committed` is the end of the longest acknowledged prefix,
// whatever order the answers come in, so a checkpoint never passes an unacknowledged line.
import t from 'tap';
import { AckQueue, type AckSegment } from '../../src/ack/ack-queue.js';

/** Deterministic PRNG (mulberry32) so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

t.test('starts at the checkpointed offset; nothing pending', async (t) => {
  const q = new AckQueue(4096);
  t.equal(q.committed, 4096);
  t.equal(q.pending, 0);
});

t.test('in-order acks move committed batch by batch', async (t) => {
  const q = new AckQueue(0);
  const a = q.add(100);
  const b = q.add(250);
  t.equal(q.pending, 2);
  q.ack(a);
  t.equal(q.committed, 100);
  q.ack(b);
  t.equal(q.committed, 250);
  t.equal(q.pending, 0);
});

t.test('a later ack waits for the earlier segment; then both commit at once', async (t) => {
  // [ack order, committed after each ack] for segments ending at 10, 20, 30.
  const table: Array<[number[], number[]]> = [
    [[0, 1, 2], [10, 20, 30]],
    [[2, 1, 0], [0, 0, 30]],
    [[1, 0, 2], [0, 20, 30]],
    [[1, 2, 0], [0, 0, 30]],
    [[0, 2, 1], [10, 10, 30]],
    [[2, 0, 1], [0, 10, 30]],
  ];
  for (const [order, want] of table) {
    const q = new AckQueue(0);
    const segs = [10, 20, 30].map((end) => q.add(end));
    const got = order.map((i) => {
      q.ack(segs[i]!);
      return q.committed;
    });
    t.same(got, want, `ack order ${order.join(',')}`);
  }
});

t.test('acking the same segment twice changes nothing', async (t) => {
  const q = new AckQueue(0);
  const a = q.add(10);
  const b = q.add(20);
  q.ack(b);
  q.ack(b);
  t.equal(q.committed, 0);
  q.ack(a);
  q.ack(a);
  t.equal(q.committed, 20);
  t.equal(q.pending, 0);
});

t.test('property: with random ack orders, committed never passes an unacked segment and ends at the last end', async (t) => {
  let runs = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const random = rng(seed);
    const start = Math.floor(random() * 1000);
    const q = new AckQueue(start);
    // Segments interleaved with acks, as a shipper with several requests in flight sees
    // them: new batches are sealed while earlier ones are still out. Sizes vary, some
    // long runs so the queue compacts (more than 1024 acked at the head).
    const n = 1 + Math.floor(random() * (seed % 10 === 0 ? 5_000 : 200));
    const segments: AckSegment[] = [];
    const outstanding: AckSegment[] = [];
    let end = start;
    let violations = 0;
    const check = () => {
      // The invariant: every segment ending at or below committed is acked, and
      // committed is exactly the end of the longest acked prefix.
      let prefix = start;
      for (const s of segments) {
        if (!s.acked) break;
        prefix = s.end;
      }
      if (q.committed !== prefix) violations++;
    };
    for (let i = 0; i < n; i++) {
      end += 1 + Math.floor(random() * 4096);
      const s = q.add(end);
      segments.push(s);
      outstanding.push(s);
      // Ack a random number of the outstanding segments, chosen at random.
      shuffle(outstanding, random);
      const k = Math.floor(random() * Math.min(outstanding.length, 6));
      for (const done of outstanding.splice(0, k)) {
        q.ack(done);
        check();
      }
    }
    for (const done of shuffle(outstanding, random)) {
      q.ack(done);
      check();
    }
    if (violations > 0) t.fail(`seed ${seed}: committed disagreed with the acked prefix ${violations} times`);
    if (q.committed !== end) t.fail(`seed ${seed}: ended at ${q.committed}, not ${end}`);
    if (q.pending !== 0) t.fail(`seed ${seed}: ${q.pending} still pending`);
    runs++;
  }
  t.equal(runs, 300, '300 random histories checked');
});

t.test('a long-lived queue compacts and still commits correctly after', async (t) => {
  const q = new AckQueue(0);
  // 10,000 segments acked one behind the other with the head held back: when it is
  // finally acked, all commit; then the queue keeps working.
  const head = q.add(1);
  const rest: AckSegment[] = [];
  for (let i = 2; i <= 10_000; i++) rest.push(q.add(i));
  for (const s of rest) q.ack(s);
  t.equal(q.committed, 0, 'held back by the unacked head');
  q.ack(head);
  t.equal(q.committed, 10_000);
  t.equal(q.pending, 0);
  for (let i = 10_001; i <= 12_000; i++) q.ack(q.add(i));
  t.equal(q.committed, 12_000);
  const late = q.add(12_500);
  const later = q.add(13_000);
  q.ack(later);
  t.equal(q.committed, 12_000);
  q.ack(late);
  t.equal(q.committed, 13_000);
});
