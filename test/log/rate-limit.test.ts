// A storm of events is reported at most once per interval, with the count.
import t from 'tap';
import { RateLimit } from '../../src/log/rate-limit.js';

t.test('one report per interval, with the count', async (t) => {
  const r = new RateLimit(10_000);
  // [time, expected report]
  const steps: Array<[number, number]> = [
    [0, 1], // the first is reported at once
    [1, 0],
    [500, 0],
    [9_999, 0],
    [10_000, 4], // three held back plus this one
    [10_001, 0],
    [25_000, 2],
    [25_000, 0],
  ];
  for (const [now, want] of steps) t.equal(r.hit(now), want, `hit at ${now}`);
  t.equal(r.unreported, 1);
});

t.test('a storm of a million events gives a report per interval', async (t) => {
  const r = new RateLimit(10_000);
  let reports = 0;
  let counted = 0;
  for (let i = 0; i < 1_000_000; i++) {
    const n = r.hit(i / 10); // 100 s in all
    if (n > 0) {
      reports++;
      counted += n;
    }
  }
  t.equal(reports, 10);
  t.equal(counted + r.unreported, 1_000_000, 'nothing is lost from the count');
});
