// Delivery through a collector that refuses data: 413 splits, 4xx dead letters, 401/403
// retried and logged, Retry-After as an HTTP date. The built process, real files, a
// real HTTP collector on 127.0.0.1.
import { existsSync, readFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Responder } from '../helpers/collector.js';
import { deliveryWorkspace, metricSum, ReadinessWatch } from '../helpers/delivery.js';
import { deliveryReport, few } from '../helpers/sequences.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

function deadLetters(state: string): Array<Record<string, any>> {
  const path = join(state, 'dead-letter.ndjson');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function allAcked(ts: TailshipProcess): Promise<boolean> {
  const s = await ts.status();
  return s.batches.pending === 0 && s.files.every((f: { ackedOffset: number; size: number }) => f.ackedOffset === f.size);
}

async function assertReadyThroughout(t: Test, watch: ReadinessWatch): Promise<void> {
  await watch.stop();
  t.ok(watch.polls >= 3, `readiness polled ${watch.polls} times (slowest answer ${watch.maxLatencyMs} ms)`);
  t.same(watch.failures, [], '/readyz answered 200 every time');
}

t.test('413 for any body over 100 KiB: batches split, everything arrives; a record too large alone is dead-lettered', async (t) => {
  const LIMIT = 100 * 1024;
  let refused = 0;
  let largestAccepted = 0;
  const responder: Responder = (req) => {
    const size = Buffer.byteLength(req.body);
    if (size > LIMIT) {
      refused++;
      return { status: 413, body: `body of ${size} bytes is over ${LIMIT}` };
    }
    largestAccepted = Math.max(largestAccepted, size);
    return { status: 200 };
  };
  // Batches of up to 1 MiB / 3000 records: about ten times what the collector takes.
  const { logs, state, files, collector, ts, watch, writer } = await deliveryWorkspace(t, responder, {
    TAILSHIP_BATCH_MAX_EVENTS: '3000',
    TAILSHIP_BATCH_LINGER_MS: '300',
  });
  const [a, b] = files as [string, string];
  writer.append(a, 'a', 6_000);
  writer.append(b, 'b', 6_000);
  // One line of 150 KB: no split makes it fit.
  const huge = join(logs, 'huge.log');
  appendFileSync(huge, `huge seq=0 ${'h'.repeat(150_000)}\n`);
  await waitFor(`${writer.total} records`, () => collector.records.length >= writer.total, { timeoutMs: 60_000 });
  await waitFor('every byte acked', () => allAcked(ts));

  const report = deliveryReport(
    collector.records.filter((r) => r['file'] !== huge),
    writer.counts,
  );
  for (const [file, miss] of report.missing) t.equal(miss.length, 0, `${file}: none lost (${few(miss)})`);
  for (const [file, dup] of report.duplicated) t.equal(dup.length, 0, `${file}: none duplicated (${few(dup)})`);
  t.equal(report.received, writer.total, 'every small record once');
  t.notOk(
    collector.records.some((r) => r['file'] === huge),
    'the huge record was never accepted',
  );
  t.ok(refused >= 5, `${refused} bodies refused with 413`);
  t.ok(largestAccepted <= LIMIT, `accepted bodies are all under the limit (largest ${largestAccepted})`);
  const dl = deadLetters(state);
  t.equal(dl.length, 1, 'one dead letter: the huge record');
  t.equal(dl[0]?.['status'], 413);
  t.match(dl[0]?.['reason'], /^HTTP 413: body of \d+ bytes is over 102400/);
  t.match(dl[0]?.['request'], /"message":"huge seq=0 hhhh/);
  const metrics = (await ts.get('/metrics')).body;
  t.ok(metricSum(metrics, 'tailship_batch_splits_total') >= 5, 'splits counted');
  t.equal(metricSum(metrics, 'tailship_dead_letter_records_total'), 1);
  t.equal((await ts.status()).deadLetter.records, 1, '/status counts the dead letter');
  await assertReadyThroughout(t, watch);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('400 for one batch: it lands in the dead-letter file with the status; later batches flow; metrics show it', async (t) => {
  // The collector's answer is long: the dead letter keeps its first KiB.
  const answer = JSON.stringify({ error: 'mapper_parsing_exception', detail: 'd'.repeat(3_000) });
  let rejectedBatch: string[] = [];
  const responder: Responder = (req) => {
    if (req.body.includes('POISON')) {
      rejectedBatch = req.body
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).message);
      return { status: 400, body: answer };
    }
    return { status: 200 };
  };
  const { files, state, collector, ts, watch, writer } = await deliveryWorkspace(t, responder);
  const [a, b] = files as [string, string];
  writer.append(a, 'a', 2_000);
  await waitFor('the first lines', () => collector.records.length >= 2_000);
  // A line the collector refuses, then more lines after it.
  appendFileSync(a, 'POISON line\n');
  await waitFor('the rejection', () => rejectedBatch.length > 0);
  const before = Date.now();
  writer.append(b, 'b', 2_000);
  const poisonedA = 2_000;
  await waitFor('the later lines', () => collector.records.filter((r) => r['file'] === b).length >= 2_000);
  await waitFor('every byte acked', () => allAcked(ts));

  // Everything arrived but the refused batch; it is in the dead-letter file instead.
  const dl = deadLetters(state);
  const dlMessages = dl.map((d) => JSON.parse(d['request']).message as string);
  t.same(dlMessages, rejectedBatch, 'exactly the refused batch is dead-lettered, in order');
  t.ok(dlMessages.includes('POISON line'));
  for (const d of dl) {
    t.equal(d['status'], 400);
    t.equal(d['reason'], `HTTP 400: ${answer.slice(0, 1024)}`, 'reason: the status and the first KiB of the response');
    t.ok(Math.abs(Date.parse(d['time']) - before) < 30_000, 'time of the rejection');
  }
  const delivered = collector.records.map((r) => String(r['message']));
  t.equal(new Set([...delivered, ...dlMessages]).size, delivered.length + dlMessages.length, 'no line both delivered and dead-lettered');
  const counts = new Map([
    [a, poisonedA],
    [b, 2_000],
  ]);
  const report = deliveryReport(
    collector.records.filter((r) => r['message'] !== 'POISON line'),
    counts,
  );
  t.same(report.missing.get(b), [], 'every later line arrived');
  t.same(report.duplicated.get(a), []);
  t.same(report.duplicated.get(b), []);
  t.same(
    report.missing.get(a)!.map((seq) => `a seq=${seq} `),
    rejectedBatch.filter((m) => m !== 'POISON line').map((m) => m.slice(0, m.indexOf(' ', m.indexOf('seq=')) + 1)),
    'the only lines missing are the refused ones',
  );

  const metrics = (await ts.get('/metrics')).body;
  t.equal(metricSum(metrics, 'tailship_dead_letter_records_total'), rejectedBatch.length, 'dead-letter metric');
  t.equal(metricSum(metrics, 'tailship_send_failures_total', /reason="400"/), 1, 'one failed request, not retried');
  const status = await ts.status();
  t.same(status.deadLetter, { records: rejectedBatch.length, dropped: 0, file: join(state, 'dead-letter.ndjson') }, '/status');
  t.ok(
    ts.logs.some((l) => l['msg'] === 'records rejected; written to the dead-letter file' && l['status'] === 400 && l['level'] === 'error'),
    'logged as an error',
  );
  await assertReadyThroughout(t, watch);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('401 and 403 are retried, not dead-lettered, and warned about once without the token', async (t) => {
  const TOKEN = 'tk-3f9a7c1e-secret';
  let refused = 0;
  const responder: Responder = (req, n) => {
    if (req.headers['authorization'] !== `Bearer ${TOKEN}`) return { status: 500, body: 'no token sent' };
    if (n < 6) {
      refused++;
      return n % 2 === 0 ? { status: 401, body: 'invalid token' } : { status: 403, body: 'forbidden' };
    }
    return { status: 200 };
  };
  const { files, state, collector, ts, watch, writer } = await deliveryWorkspace(t, responder, { TAILSHIP_AUTH_BEARER_TOKEN: TOKEN });
  const [a] = files as [string];
  writer.append(a, 'a', 1_000);
  await waitFor(`${writer.total} records`, () => collector.records.length >= writer.total, { timeoutMs: 30_000 });
  await waitFor('every byte acked', () => allAcked(ts));
  t.equal(refused, 6);
  const report = deliveryReport(collector.records, writer.counts);
  t.same(report.missing.get(a), [], 'none lost');
  t.same(report.duplicated.get(a), [], 'none duplicated');
  t.same(deadLetters(state), [], 'nothing dead-lettered');
  const warnings = ts.logs.filter((l) => l['msg']?.startsWith('collector refused the credentials'));
  t.equal(warnings.length, 1, 'one warning, not one per attempt');
  t.equal(warnings[0]?.['level'], 'warn', 'at warn');
  t.equal(warnings[0]?.['status'], 401);
  t.notMatch(ts.stdout + ts.stderr, TOKEN, 'the token appears in no log line');
  t.notMatch(JSON.stringify(await ts.status()), TOKEN, 'nor in /status');
  await assertReadyThroughout(t, watch);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('Retry-After as an HTTP date is honoured', async (t) => {
  let firstAt = 0;
  let until = 0;
  let secondAt = 0;
  const responder: Responder = (req, n) => {
    if (n === 0) {
      firstAt = req.atMs;
      // HTTP dates have whole seconds: two seconds ahead, rounded down, is 1-2 s away.
      until = Math.floor((Date.now() + 2_000) / 1000) * 1000;
      return { status: 503, headers: { 'retry-after': new Date(until).toUTCString() } };
    }
    if (n === 1) secondAt = req.atMs;
    return { status: 200 };
  };
  const { files, collector, ts, watch, writer } = await deliveryWorkspace(t, responder, { TAILSHIP_RETRY_MAX: '5s', TAILSHIP_RETRY_INITIAL: '10ms' });
  const [a] = files as [string];
  writer.append(a, 'a', 10);
  await waitFor('delivery', () => collector.records.length >= 10, { timeoutMs: 20_000 });
  t.ok(firstAt > 0 && secondAt > 0);
  t.ok(secondAt >= until - 2, `second attempt ${secondAt - firstAt} ms after the first, not before the date (${until - firstAt} ms)`);
  t.ok(secondAt - firstAt < 4_000, 'and not much later');
  await assertReadyThroughout(t, watch);
  t.same(await ts.stop(), { code: 0, signal: null });
});
