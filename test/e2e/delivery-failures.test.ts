// Delivery through a collector that is down, overloaded or hanging: the built process,
// real files, a real HTTP collector on 127.0.0.1. Nothing may be lost or duplicated (no
// crash here), and readiness stays 200 throughout.
import t, { type Test } from 'tap';
import { TestCollector, type Responder } from '../helpers/collector.js';
import { deliveryWorkspace, metricSum, ReadinessWatch } from '../helpers/delivery.js';
import { deliveryReport, few, NumberedWriter } from '../helpers/sequences.js';
import { waitFor } from '../helpers/wait-for.js';

/** Asserts every written line arrived exactly once, in offset order per file. */
function assertExactlyOnce(t: Test, collector: TestCollector, writer: NumberedWriter): void {
  const report = deliveryReport(collector.records, writer.counts);
  for (const [file, miss] of report.missing) t.equal(miss.length, 0, `${file}: none lost (${few(miss)})`);
  for (const [file, dup] of report.duplicated) t.equal(dup.length, 0, `${file}: none duplicated (${few(dup)})`);
  for (const [file, ok] of report.ordered) t.ok(ok, `${file}: in read order by offset`);
  t.same(report.unexpected, [], 'nothing unexpected');
  t.equal(report.received, writer.total, `${writer.total} records received, no more`);
}

async function assertReadyThroughout(t: Test, watch: ReadinessWatch): Promise<void> {
  await watch.stop();
  t.ok(watch.polls >= 3, `readiness polled ${watch.polls} times (slowest answer ${watch.maxLatencyMs} ms)`);
  t.same(watch.failures, [], '/readyz answered 200 every time');
}

t.test('collector refuses connections for 10 s mid-stream: none lost, none duplicated, retries counted', async (t) => {
  const { files, collector, ts, watch, writer } = await deliveryWorkspace(t);
  const [a, b] = files as [string, string];
  writer.append(a, 'a', 2_000);
  writer.append(b, 'b', 2_000);
  await waitFor('the first lines to arrive', () => collector.records.length >= 1_000, { timeoutMs: 20_000 });

  // The collector goes away mid-stream while the files keep growing.
  collector.down();
  const downAt = Date.now();
  const writing = setInterval(() => {
    writer.append(a, 'a', 100);
    writer.append(b, 'b', 100);
  }, 250);
  t.teardown(() => clearInterval(writing));

  // While it is down, /status says so: the last error, the streak, the next attempt.
  const status = await waitFor(
    'status to show the outage',
    async () => {
      const s = await ts.status();
      // The first failures may be resets of kept-alive connections; then connects are refused.
      return s.collector.consecutiveFailures >= 3 &&
        s.collector.nextAttemptMs !== undefined &&
        /ECONNREFUSED/.test(s.collector.lastError ?? '')
        ? s
        : undefined;
    },
    { timeoutMs: 8_000 },
  );
  t.match(status.collector.lastError, /ECONNREFUSED/, 'lastError names the refusal');
  t.type(status.collector.lastErrorMs, 'number');
  t.ok(status.collector.failingSinceMs >= downAt - 1_000, 'failingSince is when the outage began');
  t.ok(status.collector.retrying >= 1, 'a retry is waiting');
  t.ok(status.collector.nextAttemptMs > Date.now() - 1_000, 'the next attempt is not in the past');
  t.ok(status.files.some((f: { bytesBehind: number }) => f.bytesBehind > 0), 'bytes behind while the collector is down');
  t.equal(await ts.metric('tailship_collector_up'), 0, 'collector_up 0');
  t.equal((await ts.get('/healthz')).status, 200, 'liveness does not depend on the collector');

  // The scenario is a 10 s outage: wait it out, then stop the writer and bring it back.
  await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - downAt))));
  clearInterval(writing);
  const receivedWhileDown = collector.records.length;
  await collector.up();
  const upAt = Date.now();

  await waitFor(`${writer.total} records`, () => collector.records.length >= writer.total, { timeoutMs: 60_000 }).catch(
    async (error: unknown) => {
      // Say where it stuck: what tailship holds, what the collector saw, what is missing.
      const report = deliveryReport(collector.records, writer.counts);
      t.comment(JSON.stringify(await ts.status().catch(() => 'no status')));
      t.comment(`requests ${collector.requestCount}; missing ${[...report.missing].map(([f, m]) => `${f} ${few(m)}`).join('; ')}`);
      t.comment(JSON.stringify(ts.logs.slice(-30)));
      throw error;
    },
  );
  t.ok(collector.records.length > receivedWhileDown, 'delivery resumed');
  // Let late duplicates, if any, show up: the process has everything acked when idle.
  await waitFor('every byte acked', async () => {
    const s = await ts.status();
    return s.files.every((f: { ackedOffset: number; size: number }) => f.ackedOffset === f.size) && s.batches.pending === 0;
  });
  assertExactlyOnce(t, collector, writer);

  const metrics = (await ts.get('/metrics')).body;
  const retries = metricSum(metrics, 'tailship_retries_total');
  const failures = metricSum(metrics, 'tailship_send_failures_total');
  t.ok(retries >= 5, `retries counted (${retries})`);
  t.ok(failures >= 5, `failed attempts counted (${failures})`);
  t.equal(metricSum(metrics, 'tailship_dead_letter_records_total'), 0, 'nothing dead-lettered');
  const after = await ts.status();
  t.equal(after.collector.consecutiveFailures, 0);
  t.ok(after.collector.lastSuccessMs >= upAt, 'last success after the collector came back');
  t.equal(after.collector.retrying, 0);
  t.equal(await ts.metric('tailship_collector_up'), 1);
  t.notOk(
    ts.logs.some((l) => l['msg']?.startsWith('collector unavailable')),
    'no outage warning for a 10 s outage (warned after a minute)',
  );
  await assertReadyThroughout(t, watch);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('30% of requests 503, some 429 with Retry-After: 1: none lost; no request earlier than Retry-After allows', async (t) => {
  // Batches are told apart by their first record's id (no splitting happens here).
  const tooManyAt = new Map<string, number>();
  const early: string[] = [];
  let answered429 = 0;
  let answered503 = 0;
  const firstId = (body: string) => /"id":"([^"]+)"/.exec(body)?.[1] ?? '';
  const responder: Responder = (req) => {
    const id = firstId(req.body);
    const refusedAt = tooManyAt.get(id);
    if (refusedAt !== undefined) {
      // Retry-After: 1 was answered to this batch: nothing before a second has passed.
      // (Allow the clocks' millisecond rounding.)
      if (req.atMs - refusedAt < 998) early.push(`${id}: ${req.atMs - refusedAt} ms`);
      tooManyAt.delete(id);
    }
    const r = Math.random();
    if (r < 0.3) {
      answered503++;
      return { status: 503, body: 'overloaded' };
    }
    if (r < 0.4) {
      answered429++;
      tooManyAt.set(id, Date.now());
      return { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' };
    }
    return { status: 200 };
  };
  // Retry-After is capped by TAILSHIP_RETRY_MAX: keep the cap above it here.
  const { files, collector, ts, watch, writer } = await deliveryWorkspace(t, responder, { TAILSHIP_RETRY_MAX: '2s', TAILSHIP_BATCH_MAX_EVENTS: '250' });
  const [a, b] = files as [string, string];
  for (let i = 0; i < 10; i++) {
    writer.append(a, 'a', 1_000);
    writer.append(b, 'b', 1_000);
  }
  await waitFor(`${writer.total} records`, () => collector.records.length >= writer.total, { timeoutMs: 60_000 });
  await waitFor('every byte acked', async () => (await ts.status()).batches.pending === 0);
  assertExactlyOnce(t, collector, writer);
  t.ok(answered503 >= 5, `503 answered ${answered503} times`);
  t.ok(answered429 >= 2, `429 answered ${answered429} times`);
  t.same(early, [], 'no batch came back sooner than its Retry-After');
  const metrics = (await ts.get('/metrics')).body;
  t.equal(metricSum(metrics, 'tailship_send_failures_total', /reason="503"/), answered503, 'each 503 counted');
  t.equal(metricSum(metrics, 'tailship_send_failures_total', /reason="429"/), answered429, 'each 429 counted');
  t.equal(metricSum(metrics, 'tailship_dead_letter_records_total'), 0);
  await assertReadyThroughout(t, watch);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('a collector that accepts and never answers: requests time out and are retried; nothing lost', async (t) => {
  // The first three requests hang, then one in four; one in ten drops the connection.
  let hung = 0;
  let dropped = 0;
  const responder: Responder = (_req, n) => {
    if (n < 3 || n % 4 === 0) {
      hung++;
      return 'hang';
    }
    if (n % 10 === 1) {
      dropped++;
      return 'destroy';
    }
    return { status: 200 };
  };
  const { files, collector, ts, watch, writer } = await deliveryWorkspace(t, responder);
  const [a, b] = files as [string, string];
  writer.append(a, 'a', 3_000);
  writer.append(b, 'b', 3_000);
  await waitFor(`${writer.total} records`, () => collector.records.length >= writer.total, { timeoutMs: 60_000 });
  await waitFor('every byte acked', async () => (await ts.status()).batches.pending === 0);
  assertExactlyOnce(t, collector, writer);
  t.ok(hung >= 3, `${hung} requests left hanging`);
  const metrics = (await ts.get('/metrics')).body;
  const timeouts = metricSum(metrics, 'tailship_send_failures_total', /TIMEOUT|ETIMEDOUT/);
  t.equal(timeouts, hung, `every hanging request timed out and counted (${timeouts})`);
  t.ok(dropped >= 1, `${dropped} connections dropped`);
  t.ok(metricSum(metrics, 'tailship_send_failures_total') >= hung + dropped, 'dropped connections counted as failures too');
  const s = await ts.status();
  t.equal(s.collector.consecutiveFailures, 0);
  await assertReadyThroughout(t, watch);
  t.same(await ts.stop(), { code: 0, signal: null });
});
