// The memory budget: bytes read and not yet acknowledged, the wake-up of a reader held at
// the limit, and the read-ahead that caps it.
import t from 'tap';
import { MemoryBudget, readAheadLimit } from '../../src/ack/memory-budget.js';

t.test('reserve and release count bytes; exhausted at the limit, not before', async (t) => {
  // [operations, used after, exhausted after]
  const table: Array<[Array<['reserve' | 'release', number]>, number, boolean]> = [
    [[], 0, false],
    [[['reserve', 99]], 99, false],
    [[['reserve', 100]], 100, true],
    [[['reserve', 150]], 150, true], // one read may overshoot: the check is before a read
    [[['reserve', 100], ['release', 1]], 99, false],
    [[['reserve', 60], ['reserve', 60], ['release', 60]], 60, false],
    [[['reserve', 10], ['release', 50]], 0, false], // never below zero
  ];
  for (const [ops, used, exhausted] of table) {
    const b = new MemoryBudget(100);
    for (const [op, n] of ops) b[op](n);
    const name = ops.map(([op, n]) => `${op} ${n}`).join(', ') || 'nothing';
    t.equal(b.usedBytes, used, `${name}: used`);
    t.equal(b.exhausted, exhausted, `${name}: exhausted`);
  }
  t.equal(new MemoryBudget(123).limitBytes, 123);
});

t.test('onRoom: at once when there is room; else once, on the release that makes room', async (t) => {
  const b = new MemoryBudget(100);
  let calls = 0;
  b.onRoom(() => calls++);
  t.equal(calls, 1, 'room now: called at once');

  b.reserve(100);
  const woken: string[] = [];
  b.onRoom(() => woken.push('a'));
  b.onRoom(() => woken.push('b'));
  t.same(woken, [], 'exhausted: waits');
  b.reserve(20);
  b.release(10); // 110: still exhausted
  t.same(woken, [], 'a release that leaves it exhausted wakes nobody');
  b.release(10); // 100: still at the limit
  t.same(woken, [], 'at the limit is still exhausted');
  b.release(1); // 99
  t.same(woken, ['a', 'b'], 'both woken, in order');
  b.reserve(50);
  b.release(50);
  t.same(woken, ['a', 'b'], 'each waiter is called once only');
});

t.test('a waiter that reserves again while being woken does not lose the others', async (t) => {
  const b = new MemoryBudget(100);
  b.reserve(100);
  const woken: string[] = [];
  // The first waiter fills the budget again (a tailer reading its next chunk) and waits again.
  const greedy = () => {
    woken.push('greedy');
    b.reserve(100);
    b.onRoom(greedy);
  };
  b.onRoom(greedy);
  b.onRoom(() => woken.push('other'));
  b.release(100);
  t.same(woken, ['greedy', 'other'], 'everyone waiting at the release is called');
  b.release(100);
  t.same(woken, ['greedy', 'other', 'greedy'], 'the re-registered waiter is woken by the next release');
});

t.test('read-ahead: a batch per request slot, as many waiting and one filling, capped by the budget', async (t) => {
  const MiB = 1024 * 1024;
  // [memory limit, batch max bytes, requests in flight, limit read to]
  const table: Array<[number, number, number, number]> = [
    [64 * MiB, MiB, 4, 9 * MiB], // the defaults: the read-ahead is below the budget
    [64 * MiB, 4 * MiB, 4, 36 * MiB],
    [32 * MiB, 4 * MiB, 4, 32 * MiB], // the budget binds
    [2 * MiB, MiB, 1, 2 * MiB],
    [64 * MiB, MiB, 1, 3 * MiB],
  ];
  for (const [limit, batch, inFlight, expected] of table) {
    t.equal(readAheadLimit(limit, batch, inFlight), expected, `${limit / MiB} MiB, ${batch / MiB} MiB batches, ${inFlight} in flight`);
  }
});
