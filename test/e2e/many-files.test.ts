// Many files (issue 17): tailship holds at most TAILSHIP_MAX_OPEN_FILES descriptors for
// tailed files — capped at the `nofile` soft limit minus 64 — whatever the number of files;
// quiet files are parked (closed) and opened again by identity when they grow; files that
// need reading take turns. Run under a lowered `nofile` (prlimit), every line is shipped
// exactly once, the descriptors counted in /proc/PID/fd stay within the limit, peak RSS
// within the documented bound, and a parked file that grows ships only its new lines —
// after a restart too. Bounded: 20,000 files of 3 lines, deadlines on every wait.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { TestCollector } from '../helpers/collector.js';
import { deliveryEnv, metricSum, MiB } from '../helpers/delivery.js';
import { tempDirs } from '../helpers/setup.js';
import { few, numberedLine, SequenceTally } from '../helpers/sequences.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

const LINES_PER_FILE = 3;
/** Descriptors besides tailed files: sockets, the state dir, chokidar, stdio, node's own. */
const OTHER_FDS = 40;
/** The README's bound (Memory): 144 MiB + 5 KiB per file being tailed. */
const boundBytes = (files: number) => 144 * MiB + files * 5 * 1024;

/** Descriptors the process holds now, from /proc/PID/fd (undefined once it is gone). */
function fdCount(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** Peak RSS so far, from /proc/PID/status (VmHWM). */
function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Samples a process's descriptor count; keeps the peak. */
class FdSampler {
  peak = 0;
  readonly #timer: NodeJS.Timeout;
  constructor(pid: number) {
    this.#timer = setInterval(() => (this.peak = Math.max(this.peak, fdCount(pid) ?? 0)), 100);
  }
  stop(): void {
    clearInterval(this.#timer);
  }
}

/** `n` files of LINES_PER_FILE numbered lines each; the name in each line is the file's. */
function writeFiles(logs: string, n: number): string[] {
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const path = join(logs, `f${i}.log`);
    let text = '';
    for (let s = 0; s < LINES_PER_FILE; s++) text += `${numberedLine(`f${i}`, s)}\n`;
    writeFileSync(path, text);
    files.push(path);
  }
  return files;
}

/** A collector that tallies lines per file as they arrive (nothing kept). */
async function tallyingCollector(t: Test, expected: Map<string, number>) {
  const collector = new TestCollector();
  collector.keep = false;
  const box = { tally: new SequenceTally(expected) };
  collector.onAccepted = (lines) => {
    for (const line of lines) {
      const r = JSON.parse(line) as { file: string; message: string };
      box.tally.add(r.message, r.file);
    }
  };
  await collector.start();
  t.teardown(() => collector.close());
  return { collector, box };
}

function start(t: Test, env: Record<string, string>, nofile: number): TailshipProcess {
  const ts = new TailshipProcess(env, [], undefined, [], ['prlimit', `--nofile=${nofile}:${nofile}`, '--']);
  t.teardown(() => ts.kill());
  return ts;
}

function checkReport(t: Test, tally: SequenceTally, total: number): void {
  const report = tally.report();
  let missing = 0;
  let duplicated = 0;
  for (const [file, miss] of report.missing) if (miss.length > 0 && missing++ < 5) t.fail(`${file}: lost ${few(miss)}`);
  for (const [file, dup] of report.duplicated) if (dup.length > 0 && duplicated++ < 5) t.fail(`${file}: duplicated ${few(dup)}`);
  t.equal(missing, 0, 'no file lost a line');
  t.equal(duplicated, 0, 'no line duplicated');
  t.same(report.unexpected, [], 'nothing unexpected');
  t.equal(report.received, total, `${total} lines received`);
}

t.test('2,000 files under nofile 1024: the limit is capped below nofile, everything ships once', async (t) => {
  const { logs, state } = tempDirs();
  const files = writeFiles(logs, 2_000);
  const { collector, box } = await tallyingCollector(t, new Map(files.map((f) => [f, LINES_PER_FILE])));
  // Asked for more than nofile allows: tailship lowers it to 1024 - 64.
  const startedAt = Date.now();
  const ts = start(t, deliveryEnv(collector.url, logs, state, { TAILSHIP_MAX_OPEN_FILES: '5000', TAILSHIP_LOG_LEVEL: 'info' }), 1024);
  await ts.ready(60_000);
  const readyMs = Date.now() - startedAt;
  const fds = new FdSampler(ts.child.pid!);
  t.teardown(() => fds.stop());
  const total = files.length * LINES_PER_FILE;
  await waitFor(`${total} lines`, () => box.tally.received >= total || box.tally.duplicates > 0, { timeoutMs: 90_000, intervalMs: 200 });
  fds.stop();
  t.comment(`ready in ${readyMs} ms, all shipped in ${Date.now() - startedAt} ms`);
  checkReport(t, box.tally, total);
  const limit = ts.logs.find((l) => l['msg'] === 'open file limit');
  t.equal(limit?.['maxOpenFiles'], 1024 - 64, 'the effective limit is logged: nofile - 64');
  t.equal(limit?.['nofileSoftLimit'], 1024);
  t.ok(fds.peak <= 960 + OTHER_FDS, `peak descriptors ${fds.peak} <= ${960 + OTHER_FDS}`);
  t.notOk(ts.logs.some((l) => l['code'] === 'EMFILE'), 'never out of descriptors');
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('20,000 files under nofile 4096: bounded descriptors and memory; parked files grow; restart', async (t) => {
  const N = Number(process.env['TAILSHIP_TEST_MANY_FILES'] ?? 20_000);
  const MAX_OPEN = 512; // the default
  const { logs, state } = tempDirs();
  const files = writeFiles(logs, N);
  const expected = new Map(files.map((f) => [f, LINES_PER_FILE]));
  const { collector, box } = await tallyingCollector(t, expected);
  const env = deliveryEnv(collector.url, logs, state, {
    TAILSHIP_LOG_LEVEL: 'info', // the health port is read from an info line
    TAILSHIP_POLL_INTERVAL: '1s',
    TAILSHIP_CHECKPOINT_INTERVAL: '1s',
    TAILSHIP_BATCH_MAX_EVENTS: '5000',
    TAILSHIP_CLOSE_INACTIVE: '2s',
  });
  const startedAt = Date.now();
  let ts = start(t, env, 4096);
  await ts.ready(60_000);
  let fds = new FdSampler(ts.child.pid!);
  t.teardown(() => fds.stop());
  let total = N * LINES_PER_FILE;
  await waitFor(`${total} lines`, () => box.tally.received >= total || box.tally.duplicates > 0, { timeoutMs: 120_000, intervalMs: 250 });
  const shippedMs = Date.now() - startedAt;
  checkReport(t, box.tally, total);
  t.ok(fds.peak <= MAX_OPEN + OTHER_FDS, `peak descriptors ${fds.peak} <= ${MAX_OPEN} + ${OTHER_FDS}`);

  // Quiet for TAILSHIP_CLOSE_INACTIVE: every file parked, none forgotten.
  await waitFor('every file parked', async () => (await ts.metric('tailship_open_files')) === 0, { timeoutMs: 30_000, intervalMs: 250 });
  t.equal(await ts.metric('tailship_files_watched'), N, 'every file still tailed (parked)');
  const peak = peakRss(ts.child.pid!);
  t.ok(peak < boundBytes(N), `peak RSS ${(peak / MiB).toFixed(1)} MiB < ${(boundBytes(N) / MiB).toFixed(1)} MiB`);
  const metrics = (await ts.get('/metrics')).body;
  const series = metrics.split('\n').filter((l) => l.startsWith('tailship_file_bytes_behind{')).length;
  t.equal(series, 50, `file_bytes_behind: 50 series for ${N} files`);
  t.equal(metricSum(metrics, 'tailship_bytes_behind'), 0, 'bytes_behind: nothing behind');

  // Parked files grow: only the new lines, opened again by identity.
  const grown = [0, 1, Math.floor(N / 2), N - 1].map((i) => files[i]!);
  const appendLines = (from: number) => {
    for (const f of grown) {
      const name = f.slice(f.lastIndexOf('/') + 1, -'.log'.length);
      writeFileSync(f, `${numberedLine(name, from)}\n${numberedLine(name, from + 1)}\n`, { flag: 'a' });
      expected.set(f, from + 2);
    }
  };
  appendLines(LINES_PER_FILE);
  total += grown.length * 2;
  await waitFor('the new lines', () => box.tally.received >= total || box.tally.duplicates > 0, { timeoutMs: 30_000, intervalMs: 100 });
  // The tally was made for LINES_PER_FILE lines a file: the new ones are "unexpected" there.
  t.equal(box.tally.duplicates, 0, 'no line sent again');
  t.equal(box.tally.received, total, `${total} lines: only the new ones`);
  t.equal(box.tally.unexpectedCount, grown.length * 2, 'the new lines, and nothing else, arrived');
  fds.stop();
  t.same(await ts.stop(), { code: 0, signal: null });

  // A restart: the checkpoints hold; only what is written now is sent.
  box.tally = new SequenceTally(new Map(grown.map((f) => [f, expected.get(f)! + 2])));
  for (const f of grown) for (let s = 0; s < expected.get(f)!; s++) box.tally.add(numberedLine(f.slice(f.lastIndexOf('/') + 1, -4), s), f);
  const before = box.tally.received;
  ts = start(t, env, 4096);
  await ts.ready(60_000);
  fds = new FdSampler(ts.child.pid!);
  appendLines(LINES_PER_FILE + 2);
  await waitFor('the lines written after the restart', () => box.tally.received >= before + grown.length * 2, { timeoutMs: 60_000, intervalMs: 100 });
  // Every file opened again and everything read acknowledged: a file wrongly read from
  // its start would have sent its old lines by now.
  await waitFor(
    'every file resumed, nothing behind',
    async () => (await ts.metric('tailship_files_watched')) === N && (await ts.metric('tailship_bytes_behind')) === 0,
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const report = box.tally.report();
  for (const f of grown) {
    t.same(report.missing.get(f), [], `${f}: nothing missing`);
    t.same(report.duplicated.get(f), [], `${f}: nothing sent twice across the restart`);
  }
  t.equal(box.tally.unexpectedCount, 0, 'no line of the other files sent again after the restart');
  t.ok(fds.peak <= MAX_OPEN + OTHER_FDS, `after the restart: peak descriptors ${fds.peak}`);
  fds.stop();
  t.same(await ts.stop(), { code: 0, signal: null });
  t.comment(`${N} files: all shipped in ${(shippedMs / 1000).toFixed(1)} s, peak RSS ${(peak / MiB).toFixed(1)} MiB, peak fds ${fds.peak}`);
});
