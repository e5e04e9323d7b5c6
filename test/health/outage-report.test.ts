// When a failing collector is worth a warning: not at first, then once a minute in,
// then every five minutes, and the recovery once.
import t from 'tap';
import { OUTAGE_AFTER_MS, OUTAGE_REPEAT_MS, OutageReport } from '../../src/health/outage-report.js';

t.test('debug during the first minute, warn once it lasts, then every five minutes', async (t) => {
  const r = new OutageReport();
  const s = 1_000;
  t.same(r.failed(0), { level: 'debug' });
  t.same(r.failed(OUTAGE_AFTER_MS - 1), { level: 'debug' });
  t.same(r.failed(OUTAGE_AFTER_MS), { level: 'warn', downMs: OUTAGE_AFTER_MS });
  t.equal(r.failed(OUTAGE_AFTER_MS + s), undefined, 'quiet between warnings');
  t.equal(r.failed(OUTAGE_AFTER_MS + OUTAGE_REPEAT_MS - 1), undefined);
  t.same(r.failed(OUTAGE_AFTER_MS + OUTAGE_REPEAT_MS), { level: 'warn', downMs: OUTAGE_AFTER_MS + OUTAGE_REPEAT_MS });
  t.equal(r.delivered(), true, 'the recovery of a warned outage is reported');
  t.equal(r.delivered(), false, 'once');
});

t.test('a delivery ends the streak: the next failure starts a new one', async (t) => {
  const r = new OutageReport();
  r.failed(0);
  t.equal(r.delivered(), false, 'a blip was never warned about');
  t.same(r.failed(OUTAGE_AFTER_MS + 5), { level: 'debug' }, 'counted from the new first failure');
});
