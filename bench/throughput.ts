// Throughput, CPU and memory of the built tailship (dist/main.js), as figures.
// A script, not a test. Run: npm run bench
// (env: BENCH_MB, BENCH_OUTAGE_MB, BENCH_BUDGET_MB, BENCH_NODE, BENCH_NODE_ARGS, BENCH_ENV,
// BENCH_ONLY)
//
// 1. Backlog: BENCH_MB of nginx access lines already on disk, shipped as NDJSON+gzip to a
//    collector in another process. Reports MB/s, CPU seconds per GB, peak RSS.
// 2. Outage: the collector answers 503 while BENCH_OUTAGE_MB are written, then recovers.
//    Reports peak RSS against the memory budget and the time to deliver the backlog.
// 3. Idle: 1,000 quiet files for 10 s. Reports CPU used (the cost of polling).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nginxLine } from '../src/demo/nginx-lines.js';
import { imageRuntime } from '../test/helpers/image-runtime.js';

const MB = 1024 * 1024;
const backlogMb = Number(process.env['BENCH_MB'] ?? 512);
const outageMb = Number(process.env['BENCH_OUTAGE_MB'] ?? 1024);
const nodeBin = process.env['BENCH_NODE'] ?? process.execPath;
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const ticksPerSecond = 100; // USER_HZ on Linux
// tailship runs as the image runs it: its node flags and malloc ENV, read from
// docker/Dockerfile. BENCH_NODE_ARGS replaces the flags and BENCH_ENV ('K=V K=V') the
// ENV, to compare.
const image = imageRuntime();
const runtime = {
  env:
    process.env['BENCH_ENV'] !== undefined
      ? Object.fromEntries(process.env['BENCH_ENV'].split(' ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
      : image.env,
};
const nodeArgs = process.env['BENCH_NODE_ARGS'] !== undefined ? process.env['BENCH_NODE_ARGS'].split(' ').filter(Boolean) : image.nodeArgs;

/** A collector in its own process (its CPU is not tailship's): counts lines, 503 while told. */
const COLLECTOR = `
const http = require('node:http'); const zlib = require('node:zlib');
let lines = 0, failing = process.argv[1] === 'fail';
process.on('message', (m) => { if (m === 'recover') failing = false; });
http.createServer((req, res) => {
  const chunks = []; req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (failing) { res.writeHead(503).end(); return; }
    let b = Buffer.concat(chunks); if (req.headers['content-encoding'] === 'gzip') b = zlib.gunzipSync(b);
    let n = 0; for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
    lines += n; process.send({ lines }); res.writeHead(200).end();
  });
}).listen(0, '127.0.0.1', function () { process.send({ port: this.address().port }); });
`;

function startCollector(mode: 'ok' | 'fail'): Promise<{ child: ChildProcess; url: string; lines: () => number }> {
  const child = spawn(process.execPath, ['-e', COLLECTOR, mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  process.on('exit', () => child.kill());
  let lines = 0;
  return new Promise((resolve) => {
    child.on('message', (m: { port?: number; lines?: number }) => {
      if (m.port) resolve({ child, url: `http://127.0.0.1:${m.port}/`, lines: () => lines });
      if (m.lines) lines = m.lines;
    });
  });
}

function writeLines(path: string, mb: number): number {
  const fd = openSync(path, 'a');
  let bytes = 0;
  let lines = 0;
  const now = new Date();
  while (bytes < mb * MB) {
    let chunk = '';
    for (let i = 0; i < 2000; i++) chunk += `${nginxLine(now)}\n`;
    bytes += writeSync(fd, chunk);
    lines += 2000;
  }
  closeSync(fd);
  return lines;
}

function procStats(pid: number): { cpuSeconds: number; rssMb: number; hwmMb: number; fileMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds: cpu, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024, fileMb: kb('RssFile') / 1024 };
}

interface Tailship {
  child: ChildProcess;
  /** The process's own view at the highest RSS seen by `sampleMemory` (MiB). */
  atPeak: { rss: number; heap: number; heapUsed: number; external: number } | undefined;
  sampleMemory(): Promise<void>;
}

/** Starts tailship (log level info on a pipe: the health port is read from it). */
function startTailship(env: Record<string, string>): Tailship {
  const child = spawn(nodeBin, [...nodeArgs, main], {
    env: {
      PATH: process.env['PATH'] ?? '',
      ...runtime.env,
      TAILSHIP_HEALTH_PORT: '0',
      TAILSHIP_HEALTH_HOST: '127.0.0.1',
      TAILSHIP_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A tailship that exits early fails the benchmark instead of leaving it waiting.
  const exitedEarly = (code: number | null) => {
    console.error(`tailship exited (${code}) before the benchmark stopped it`);
    process.exit(1);
  };
  child.on('exit', exitedEarly);
  let port: number | undefined;
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const entry = JSON.parse(out.slice(0, nl)) as { msg?: string; level?: number; port?: number };
      out = out.slice(nl + 1);
      if (entry.msg === 'health server listening') port = entry.port;
      else if ((entry.level ?? 0) >= 40) console.log(`  tailship: ${entry.msg}`);
    }
  });
  const ts: Tailship = {
    child,
    atPeak: undefined,
    async sampleMemory() {
      if (port === undefined) return;
      const res = await fetch(`http://127.0.0.1:${port}/status`).catch(() => undefined);
      if (!res?.ok) return;
      const p = ((await res.json()) as { memory: { process: NodeJS.MemoryUsage } }).memory.process;
      const mb = (n: number) => n / MB;
      if (ts.atPeak === undefined || mb(p.rss) > ts.atPeak.rss) {
        ts.atPeak = { rss: mb(p.rss), heap: mb(p.heapTotal), heapUsed: mb(p.heapUsed), external: mb(p.external) };
      }
    },
  };
  return ts;
}

function peakBreakdown(ts: Tailship): string {
  const p = ts.atPeak;
  if (!p) return '';
  return `at the highest sample (${p.rss.toFixed(0)} MiB): V8 heap ${p.heap.toFixed(0)} MiB (${p.heapUsed.toFixed(0)} used), buffers ${p.external.toFixed(0)} MiB, the rest (code, node itself) ${(p.rss - p.heap - p.external).toFixed(0)} MiB`;
}

/** Samples /status every 200 ms until `done` resolves. */
async function sampling(ts: Tailship, done: Promise<unknown>): Promise<void> {
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    await ts.sampleMemory();
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function until(cond: () => boolean, timeoutMs: number, onTick?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('benchmark timed out');
    onTick?.();
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function backlog(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-bench-'));
  mkdirSync(join(dir, 'logs'));
  const lines = writeLines(join(dir, 'logs', 'access.log'), backlogMb);
  const collector = await startCollector('ok');
  const started = Date.now();
  const ts = startTailship({ TAILSHIP_COLLECTOR_URL: collector.url, TAILSHIP_INCLUDE: `${dir}/logs/*.log`, TAILSHIP_STATE_DIR: join(dir, 'state') });
  const pid = ts.child.pid!;
  let last = procStats(pid);
  const done = until(() => collector.lines() >= lines, 30 * 60_000, () => (last = procStats(pid)));
  await Promise.all([done, sampling(ts, done)]);
  const seconds = (Date.now() - started) / 1000;
  last = procStats(pid);
  console.log(`backlog: ${backlogMb} MiB, ${lines} lines in ${seconds.toFixed(1)} s`);
  console.log(`  throughput      ${(backlogMb / seconds).toFixed(1)} MiB/s, ${Math.round(lines / seconds)} lines/s`);
  console.log(`  CPU             ${last.cpuSeconds.toFixed(1)} s, ${((last.cpuSeconds / backlogMb) * 1024).toFixed(1)} CPU-s per GiB`);
  console.log(`  peak RSS        ${last.hwmMb.toFixed(0)} MiB; ${peakBreakdown(ts)}; file-backed at the end ${last.fileMb.toFixed(0)} MiB`);
  await stop(ts.child);
  collector.child.kill();
}

async function outage(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-bench-'));
  mkdirSync(join(dir, 'logs'));
  writeFileSync(join(dir, 'logs', 'access.log'), '');
  const collector = await startCollector('fail');
  const budgetMb = Number(process.env['BENCH_BUDGET_MB'] ?? 64);
  const ts = startTailship({
    TAILSHIP_COLLECTOR_URL: collector.url,
    TAILSHIP_INCLUDE: `${dir}/logs/*.log`,
    TAILSHIP_STATE_DIR: join(dir, 'state'),
    TAILSHIP_MEMORY_LIMIT: `${budgetMb}MiB`,
    TAILSHIP_RETRY_MAX: '1s',
  });
  const pid = ts.child.pid!;
  let lines = 0;
  for (let i = 0; i < outageMb / 64; i++) {
    lines += writeLines(join(dir, 'logs', 'access.log'), 64);
    await ts.sampleMemory();
  }
  // Down a few seconds more: the reads, retries and garbage of a full budget settle.
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
    await ts.sampleMemory();
    await new Promise((r) => setTimeout(r, 200));
  }
  const during = procStats(pid);
  const downBreakdown = peakBreakdown(ts);
  const started = Date.now();
  collector.child.send('recover');
  const done = until(() => collector.lines() >= lines, 30 * 60_000);
  await Promise.all([done, sampling(ts, done)]);
  const after = procStats(pid);
  console.log(`outage: collector down while ${outageMb} MiB were written (memory budget ${budgetMb} MiB)`);
  console.log(`  peak RSS while down     ${during.hwmMb.toFixed(0)} MiB (issue 4's bound at the default budget: 64 + 80 = 144 MiB); ${downBreakdown}`);
  console.log(`  backlog delivered in    ${((Date.now() - started) / 1000).toFixed(1)} s after recovery`);
  console.log(`  peak RSS overall        ${after.hwmMb.toFixed(0)} MiB; ${peakBreakdown(ts)}`);
  await stop(ts.child);
  collector.child.kill();
}

async function idle(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-bench-'));
  mkdirSync(join(dir, 'logs'));
  for (let i = 0; i < 1000; i++) writeFileSync(join(dir, 'logs', `f${i}.log`), `line of file ${i}\n`);
  const collector = await startCollector('ok');
  const ts = startTailship({ TAILSHIP_COLLECTOR_URL: collector.url, TAILSHIP_INCLUDE: `${dir}/logs/*.log`, TAILSHIP_STATE_DIR: join(dir, 'state') });
  const pid = ts.child.pid!;
  await until(() => collector.lines() >= 1000, 60_000);
  const before = procStats(pid);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 10_000));
  const after = procStats(pid);
  const pct = ((after.cpuSeconds - before.cpuSeconds) / ((Date.now() - t0) / 1000)) * 100;
  console.log(`idle: 1,000 quiet files, default 1 s poll: ${pct.toFixed(1)}% of one core, RSS ${after.rssMb.toFixed(0)} MiB`);
  await stop(ts.child);
  collector.child.kill();
}

/** BENCH_ONLY=outage (or backlog, idle; comma-separated) runs just those scenarios. */
const only = new Set((process.env['BENCH_ONLY'] ?? 'backlog,outage,idle').split(','));
console.log(`tailship benchmark on ${nodeBin} ${nodeArgs.join(' ')}, ${JSON.stringify(runtime.env)} (${process.version} runs the harness)`);
if (only.has('backlog')) await backlog();
if (only.has('outage')) await outage();
if (only.has('idle')) await idle();
