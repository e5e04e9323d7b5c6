// The memory bound: with the collector down and hundreds of MB written, tailship stops
// reading and its RSS (sampled from /proc) stays under the memory budget
// (TAILSHIP_MEMORY_LIMIT, default 64 MiB) + 80 MiB, while down and while the backlog
// drains; the outage is warned about once, not per retry; when the collector is back,
// every line arrives exactly once. With the default batches, reading stops at the
// read-ahead (a batch per request slot and as many waiting, see readAheadLimit), below
// the budget; the budget itself stopping reading is tested in tailing.test.ts.
// tailship runs as the image runs it (node flags and malloc ENV from docker/Dockerfile).
// Sized for the suite (a 2 GB run belongs in the benchmark script):
// TAILSHIP_TEST_MEMORY_MB overrides the volume.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { TestCollector } from '../helpers/collector.js';
import { deliveryEnv, metricSum, MiB, RssSampler } from '../helpers/delivery.js';
import { imageRuntime } from '../helpers/image-runtime.js';
import { few, SequenceTally } from '../helpers/sequences.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

const TOTAL_MB = Number(process.env['TAILSHIP_TEST_MEMORY_MB'] ?? 1000);
const LIMIT_MIB = 64; // the default
const BOUND_MIB = LIMIT_MIB + 80;
/** (4 requests in flight + 4 batches waiting + 1 being filled) × 1 MiB batches: the defaults. */
const READ_AHEAD = 9 * MiB;
const LINE_BYTES = 1_000; // with its newline
const FILES = 4;

t.test(`collector down, ${TOTAL_MB} MB written: RSS bounded; one outage warning; all arrives`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-memory-'));
  // Hundreds of MB: removed after the run (teardowns run last-registered first, so this
  // runs after tailship is gone).
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const files = Array.from({ length: FILES }, (_, i) => join(logs, `f${i}.log`));
  for (const f of files) writeFileSync(f, '');
  const linesPerFile = Math.floor((TOTAL_MB * 1e6) / LINE_BYTES / FILES);

  // The collector counts as it goes instead of keeping hundreds of MB of records.
  const tally = new SequenceTally(new Map(files.map((f) => [f, linesPerFile])));
  const collector = new TestCollector();
  collector.keep = false;
  collector.onAccepted = (lines) => {
    for (const line of lines) {
      const r = JSON.parse(line) as { file: string; message: string };
      tally.add(r.message, r.file);
    }
  };
  await collector.start();
  t.teardown(() => collector.close());
  collector.down();

  const runtime = imageRuntime();
  const ts = new TailshipProcess(
    deliveryEnv(collector.url, logs, join(dir, 'state'), {
      TAILSHIP_MEMORY_LIMIT: `${LIMIT_MIB}MiB`,
      TAILSHIP_BATCH_MAX_EVENTS: '10000',
      TAILSHIP_BATCH_LINGER_MS: '200',
      TAILSHIP_RETRY_INITIAL: '50ms',
      TAILSHIP_RETRY_MAX: '500ms',
      TAILSHIP_CHECKPOINT_INTERVAL: '1s',
      TAILSHIP_LOG_LEVEL: 'info',
      ...runtime.env,
    }),
    [],
    undefined,
    runtime.nodeArgs,
  );
  t.teardown(() => ts.kill());
  await ts.ready();
  const rss = new RssSampler(ts.child.pid!, 100);
  t.teardown(() => rss.stop());
  const startedAt = Date.now();

  // Write in 1 MB appends, round-robin, yielding between them so sampling goes on.
  const pad = 'x'.repeat(LINE_BYTES);
  const perAppend = Math.floor(1e6 / LINE_BYTES);
  const next = files.map(() => 0);
  for (let round = 0; next.some((n) => n < linesPerFile); round++) {
    const i = round % FILES;
    const from = next[i]!;
    if (from >= linesPerFile) continue;
    const to = Math.min(linesPerFile, from + perAppend);
    let chunk = '';
    for (let seq = from; seq < to; seq++) {
      const head = `f${i} seq=${seq} `;
      chunk += `${head}${pad.slice(0, LINE_BYTES - 1 - head.length)}\n`;
    }
    appendFileSync(files[i]!, chunk);
    next[i] = to;
    await new Promise((r) => setImmediate(r));
  }
  const writtenAt = Date.now();
  t.comment(`wrote ${TOTAL_MB} MB (${linesPerFile * FILES} lines) in ${writtenAt - startedAt} ms`);

  // It reads ahead as far as the requests can use and stops there: the files are the buffer.
  const full = await waitFor('the read-ahead to fill', async () => {
    const s = await ts.status();
    return s.memory.usedBytes >= s.memory.limitBytes ? s : undefined;
  });
  t.equal(full.memory.limitBytes, READ_AHEAD, `reading stops at the read-ahead, ${READ_AHEAD / MiB} MiB`);
  t.ok(full.memory.usedBytes <= READ_AHEAD + MiB, `${(full.memory.usedBytes / MiB).toFixed(1)} MiB read and not acked`);
  const behind = full.files.reduce((n: number, f: { bytesBehind: number }) => n + f.bytesBehind, 0);
  t.ok(behind > TOTAL_MB * 1e6 * 0.8, `${(behind / MiB).toFixed(0)} MiB behind, waiting in the files`);

  // A collector down for over a minute is warned about once, not once per retry.
  await waitFor('the outage warning', () => ts.logs.some((l) => l['msg']?.startsWith('collector unavailable')), {
    timeoutMs: 90_000,
    intervalMs: 250,
  });
  const downMetrics = (await ts.get('/metrics')).body;
  const readWhileDown = metricSum(downMetrics, 'tailship_bytes_read_total');
  const retriesWhileDown = metricSum(downMetrics, 'tailship_retries_total');
  t.ok(readWhileDown < 2 * READ_AHEAD, `stopped reading: ${(readWhileDown / MiB).toFixed(1)} MiB read of ${TOTAL_MB} MB`);
  t.ok(retriesWhileDown > 50, `${retriesWhileDown} retries while down`);
  const warnings = ts.logs.filter((l) => l['msg']?.startsWith('collector unavailable'));
  t.equal(warnings.length, 1, 'one outage warning');
  t.equal(warnings[0]?.['level'], 'warn');
  t.ok(warnings[0]?.['downSeconds'] >= 60, `after ${warnings[0]?.['downSeconds']} s down`);
  t.equal((await ts.get('/readyz')).status, 200, 'still ready');
  t.equal((await ts.get('/healthz')).status, 200, 'still live: a retry is always scheduled');
  const peakWhileDown = rss.peak;

  // The collector is back: everything arrives, once.
  await collector.up();
  const upAt = Date.now();
  const total = linesPerFile * FILES;
  await waitFor(`${total} lines`, () => tally.received >= total || tally.duplicates > 0 || tally.unexpectedCount > 0, {
    timeoutMs: 240_000,
    intervalMs: 250,
  });
  const deliveredMs = Date.now() - upAt;
  rss.stop();
  const report = tally.report();
  for (const [file, miss] of report.missing) t.equal(miss.length, 0, `${file}: none lost (${few(miss)})`);
  for (const [file, dup] of report.duplicated) t.equal(dup.length, 0, `${file}: none duplicated (${few(dup)})`);
  t.same(report.unexpected, [], 'nothing unexpected');
  t.equal(report.received, total, `${total} lines received`);

  t.ok(peakWhileDown < BOUND_MIB * MiB, `while down: peak RSS ${(peakWhileDown / MiB).toFixed(1)} MiB < ${LIMIT_MIB} + 80 MiB`);
  t.ok(rss.peak < BOUND_MIB * MiB, `while draining: peak RSS ${(rss.peak / MiB).toFixed(1)} MiB < ${LIMIT_MIB} + 80 MiB`);
  t.comment(
    `peak RSS ${(rss.peak / MiB).toFixed(1)} MiB (${(peakWhileDown / MiB).toFixed(1)} MiB while down, ${rss.samples} samples); ` +
      `budget ${LIMIT_MIB} MiB; ${retriesWhileDown} retries while down; ` +
      `${TOTAL_MB} MB delivered in ${(deliveredMs / 1000).toFixed(1)} s after the collector came back ` +
      `(${((TOTAL_MB * 1e6) / MiB / (deliveredMs / 1000)).toFixed(0)} MiB/s)`,
  );
  t.ok(
    ts.logs.some((l) => l['msg'] === 'collector accepting again'),
    'the recovery is logged',
  );
  t.same(await ts.stop(), { code: 0, signal: null });
});
