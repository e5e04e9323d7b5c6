// Retries waiting out their delay: counted, the earliest due time known, all cut short
// at once by a stop.
import t from 'tap';
import { RetryWaits } from '../../src/ship/retry-waits.js';

t.test('waits are counted with the earliest due time; wakeAll ends them all at once', async (t) => {
  const seen: Array<[number, number | undefined]> = [];
  const waits: RetryWaits = new RetryWaits(() => seen.push([waits.count, waits.nextDueMs]));
  const before = Date.now();
  const long = waits.wait(60_000);
  const short = waits.wait(30_000);
  t.equal(waits.count, 2);
  const next = waits.nextDueMs!;
  t.ok(next >= before + 30_000 && next < before + 31_000, 'the earlier of the two is due first');
  waits.wakeAll();
  await Promise.all([long, short]);
  t.equal(waits.count, 0);
  t.equal(waits.nextDueMs, undefined);
  t.same(seen.map(([n]) => n), [1, 2, 1, 0], 'told of every change');
});

t.test('a wait that ends leaves the next due time to the ones still waiting', async (t) => {
  const waits = new RetryWaits(() => {});
  const longer = waits.wait(60_000);
  const dueLater = waits.nextDueMs!;
  await waits.wait(1);
  t.equal(waits.nextDueMs, dueLater, 'not a time already past');
  waits.wakeAll();
  await longer;
});
