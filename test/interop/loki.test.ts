// tailship against Grafana Loki 2.7.5 (single binary, filesystem storage). What Loki
// stored is read back with LogQL, as a user would: counts with count_over_time, entries
// with query_range, fields with `| json`.
import { appendFileSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { accessLine, errorLine, onceEach, seqOf, writeAccess, type AccessLine } from '../helpers/nginx-traffic.js';
import { expectedRecord, interopWorkspace, LokiPeer, PEERS_DIR, PEERS_SKIP_REASON, POD } from '../helpers/peers.js';
import type { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

const LINES = 20_000;
const ERROR_LINES = 200;
const PHASE = LINES / 4;

/** From an hour ago to a minute ahead, in nanoseconds: every line of a test is in it. */
function window(): [bigint, bigint] {
  const now = BigInt(Date.now()) * 1_000_000n;
  return [now - 3_600_000_000_000n, now + 60_000_000_000n];
}

/** Waits until a LogQL count reaches `n`; on timeout says what Loki counted and what tailship saw. */
async function waitForCount(loki: LokiPeer, logql: string, n: number, ts: TailshipProcess, timeoutMs: number): Promise<void> {
  let last = -1;
  try {
    await waitFor(`${n} entries in Loki`, async () => (last = await loki.count(logql)) >= n, { timeoutMs, intervalMs: 250 });
  } catch (error) {
    const status = await ts.status().catch((e: Error) => e.message);
    throw new Error(`${(error as Error).message}: Loki counts ${last}; tailship: ${JSON.stringify(status).slice(0, 1500)}`);
  }
}

/** SIGTERM: tailship exits 0 with everything it read acknowledged by Loki. */
async function stopDrained(t: Test, ts: TailshipProcess): Promise<void> {
  t.same(await ts.stop(60_000), { code: 0, signal: null }, 'tailship exited 0');
  t.ok(ts.logs.some((l) => l['msg'] === 'stopped' && l['drained'] === true), 'with everything it read acknowledged');
}

async function main(): Promise<void> {
  const loki = await LokiPeer.start(t);

  await t.test(`${LINES} lines once each through a tailship restart and a Loki restart`, async (t) => {
    const started = Date.now();
    const ws = interopWorkspace(t, loki.url, { TAILSHIP_SINK: 'loki' });
    const stream = `{job="tailship", filename="${ws.access}"}`;
    const count = `sum(count_over_time(${stream}[1h]))`;
    const access: AccessLine[] = [];

    access.push(...writeAccess(ws.access, 0, PHASE));
    appendFileSync(ws.error, Array.from({ length: ERROR_LINES }, (_, i) => `${errorLine(i, Date.now()).line}\n`).join(''));
    const first = await ws.start();
    await waitFor('the first lines delivered', async () => (await first.metric('tailship_records_sent_total')) >= PHASE / 2, {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    await stopDrained(t, first);
    access.push(...writeAccess(ws.access, PHASE, PHASE));
    const second = await ws.start();
    await waitForCount(loki, count, 2 * PHASE, second, 90_000);

    await loki.stop();
    access.push(...writeAccess(ws.access, 2 * PHASE, PHASE));
    await waitFor('tailship to find Loki down', async () => (await second.metric('tailship_collector_consecutive_failures')) > 0, {
      timeoutMs: 30_000,
    });
    await loki.restart();
    access.push(...writeAccess(ws.access, 3 * PHASE, PHASE));
    await waitForCount(loki, count, LINES, second, 120_000);
    await stopDrained(t, second);
    t.equal(await loki.count(count), LINES, `${LINES} entries, counted with LogQL`);

    const [from, to] = window();
    const streams = await loki.entries(stream, from, to);
    t.equal(streams.length, 1, 'one stream for access.log');
    t.same(
      streams[0]!.stream,
      { job: 'tailship', namespace: POD.namespace, pod: POD.name, container: POD.container, filename: ws.access },
      'its labels: job, namespace, pod, container, filename',
    );
    const values = streams[0]!.values;
    t.same(onceEach(values.map(([, line]) => seqOf(line)), LINES), { missing: [], duplicated: [], stray: 0 }, 'every line once');
    const bySeq = new Map(access.map((a) => [a.seq, a]));
    const wrong: string[] = [];
    for (const [ns, line] of values) {
      const a = bySeq.get(seqOf(line)!)!;
      if (line !== a.line) wrong.push(`line ${a.seq}: ${line}`);
      // The entry's second is nginx's; the nanoseconds within it carry the line's offset.
      if (BigInt(ns) / 1_000_000_000n !== BigInt(a.timeMs / 1000) || BigInt(ns) % 2n !== 1n) wrong.push(`${a.seq}: time ${ns}, line time ${a.timeMs}`);
      if (wrong.length >= 5) break;
    }
    t.same(wrong, [], "every entry: the line as written, at nginx's second (an odd nanosecond within it)");
    // Counted once it is there or 30 s have passed: after its restart Loki may answer a
    // query before the entries it replayed are all searchable (CI once counted 116 of 200).
    const errorCount = `sum(count_over_time({job="tailship", filename="${ws.error}"}[1h]))`;
    await waitFor('error.log in Loki', async () => (await loki.count(errorCount)) >= ERROR_LINES, { timeoutMs: 30_000, intervalMs: 250 }).catch(
      () => undefined,
    );
    t.equal(
      await loki.count(errorCount),
      ERROR_LINES,
      'error.log: its own stream, every line',
    );
    t.comment(`loki: ${LINES + ERROR_LINES} lines through a tailship restart and a Loki restart in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.comment(`stored: ${JSON.stringify(streams[0]!.stream)} ${JSON.stringify(values[3])}`);
  });

  await t.test('a tailship crash (SIGKILL): the re-sent lines carry the same times, and Loki shows each line once', async (t) => {
    const n = 10_000;
    // No checkpoint before the crash: everything the first process delivered is sent again.
    const ws = interopWorkspace(t, loki.url, { TAILSHIP_SINK: 'loki', TAILSHIP_CHECKPOINT_INTERVAL: '10m', TAILSHIP_LOKI_LABELS: 'job=crash,filename=$file' });
    const stream = `{job="crash", filename="${ws.access}"}`;
    writeAccess(ws.access, 0, n / 2);
    const first = await ws.start();
    await waitFor('the first lines delivered', async () => (await first.metric('tailship_records_sent_total')) >= n / 4, { timeoutMs: 60_000, intervalMs: 20 });
    await first.kill();
    writeAccess(ws.access, n / 2, n / 2);
    const second = await ws.start();
    await waitFor(`${n} lines sent`, async () => (await second.metric('tailship_records_sent_total')) >= n, { timeoutMs: 60_000, intervalMs: 100 });
    const sent = await second.metric('tailship_records_sent_total');
    await stopDrained(t, second);
    const [from, to] = window();
    const [stored] = await loki.entries(stream, from, to);
    t.same(onceEach(stored!.values.map(([, line]) => seqOf(line)), n), { missing: [], duplicated: [], stray: 0 }, `${n} lines, each once in a log query`);
    // Loki drops a duplicate (same stream, time and line) at ingestion while the first copy
    // is in its head block, and in log queries always; a metric query counts a copy that
    // reached a sealed block. Either way a re-send never shows as a second log line.
    const counted = await loki.count(`sum(count_over_time(${stream}[1h]))`);
    t.ok(counted >= n, 'count_over_time sees every line');
    t.comment(`crash: the second process sent ${sent} records for ${n} lines (${sent - n / 2} re-sent); count_over_time counts ${counted}`);
  });

  await t.test('identical lines 1,000,000 bytes apart with one parsed second stay separate entries', async (t) => {
    const ws = interopWorkspace(t, loki.url, { TAILSHIP_SINK: 'loki', TAILSHIP_LOKI_LABELS: 'job=twins,filename=$file' });
    const twin = accessLine(999_999, Date.now()).line;
    const copies = 3;
    // The twin at offsets 0, 1,000,000 and 2,000,000, distinct lines in between.
    const parts: string[] = [];
    let size = 0;
    const add = (line: string) => {
      parts.push(`${line}\n`);
      size += Buffer.byteLength(line) + 1;
    };
    for (let copy = 0; copy < copies; copy++) {
      const at = copy * 1_000_000;
      for (let i = 0; size + 200 < at; i++) add(`filler line ${copy}-${i} ${'x'.repeat(120)}`);
      if (copy > 0) add('y'.repeat(at - size - 1));
      if (size !== at) throw new Error(`the twin is at ${size}, not ${at}`);
      add(twin);
    }
    const text = parts.join('');
    writeFileSync(ws.access, text);
    const ts = await ws.start();
    const query = `sum(count_over_time({job="twins", filename="${ws.access}"} |= ${JSON.stringify(twin.slice(0, 60))} [1h]))`;
    await waitFor('the twins in Loki', async () => (await loki.count(query)) >= copies, { timeoutMs: 60_000, intervalMs: 500 });
    await stopDrained(t, ts);
    t.equal(await loki.count(query), copies, `all ${copies} copies stored (offsets ${Array.from({ length: copies }, (_, i) => i * 1_000_000).join(', ')})`);
  });

  await t.test('TAILSHIP_LOKI_LINE=json: the parsed fields, queried with `| json`', async (t) => {
    const n = 2_000;
    const ws = interopWorkspace(t, loki.url, { TAILSHIP_SINK: 'loki', TAILSHIP_LOKI_LINE: 'json', TAILSHIP_LOKI_LABELS: 'job=json-lines,filename=$file' });
    const access = writeAccess(ws.access, 0, n);
    const ts = await ws.start();
    const selector = `{job="json-lines", filename="${ws.access}"}`;
    await waitFor(`${n} lines in Loki`, async () => (await loki.count(`sum(count_over_time(${selector}[1h]))`)) >= n, { timeoutMs: 60_000, intervalMs: 500 });
    await stopDrained(t, ts);
    for (const status of [404, 503]) {
      t.equal(
        await loki.count(`sum(count_over_time(${selector} | json | status="${status}" [1h]))`),
        access.filter((a) => a.status === status).length,
        `| json | status="${status}" counts the ${status}s`,
      );
    }
    t.equal(
      await loki.count(`sum(count_over_time(${selector} | json | kubernetes_pod="${POD.name}" | method="DELETE" [1h]))`),
      access.filter((a) => a.method === 'DELETE').length,
      '| json flattens kubernetes.pod to kubernetes_pod',
    );
    const [from, to] = window();
    const [stream] = await loki.entries(selector, from, to, 10);
    const record = JSON.parse(stream!.values[0]![1]);
    const a = access[seqOf(record.message)!]!;
    t.match(record, expectedRecord(a, ws.access), 'an entry: the whole record as its line');
    t.notOk('time' in record, 'no epoch `time` key (that is for json and ndjson)');
  });
}

if (PEERS_DIR === undefined) t.plan(0, PEERS_SKIP_REASON);
else await main();
