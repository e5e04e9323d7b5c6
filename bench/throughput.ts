// Throughput, CPU and memory of the built tailship (dist/main.js), as figures.
// A script, not a test. Run: npm run bench   (env: BENCH_MB, BENCH_OUTAGE_MB, BENCH_NODE)
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

const MB = 1024 * 1024;
const backlogMb = Number(process.env['BENCH_MB'] ?? 512);
const outageMb = Number(process.env['BENCH_OUTAGE_MB'] ?? 1024);
const nodeBin = process.env['BENCH_NODE'] ?? process.execPath;
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const ticksPerSecond = 100; // USER_HZ on Linux

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

function procStats(pid: number): { cpuSeconds: number; rssMb: number; hwmMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds: cpu, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

function startTailship(env: Record<string, string>): ChildProcess {
  return spawn(nodeBin, [main], {
    env: {
      PATH: process.env['PATH'] ?? '',
      // The process's own tuning, as the image sets it (docker/Dockerfile); override to compare.
      NODE_OPTIONS: process.env['TAILSHIP_NODE_OPTIONS'] ?? '--max-semi-space-size=4',
      MALLOC_ARENA_MAX: process.env['TAILSHIP_MALLOC_ARENA_MAX'] ?? '2',
      TAILSHIP_HEALTH_PORT: '0',
      TAILSHIP_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
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
  let last = procStats(ts.pid!);
  await until(() => collector.lines() >= lines, 30 * 60_000, () => (last = procStats(ts.pid!)));
  const seconds = (Date.now() - started) / 1000;
  last = procStats(ts.pid!);
  console.log(`backlog: ${backlogMb} MiB, ${lines} lines in ${seconds.toFixed(1)} s`);
  console.log(`  throughput      ${(backlogMb / seconds).toFixed(1)} MiB/s, ${Math.round(lines / seconds)} lines/s`);
  console.log(`  CPU             ${last.cpuSeconds.toFixed(1)} s, ${((last.cpuSeconds / backlogMb) * 1024).toFixed(1)} CPU-s per GiB`);
  console.log(`  peak RSS        ${last.hwmMb.toFixed(0)} MiB`);
  await stop(ts);
  collector.child.kill();
}

async function outage(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-bench-'));
  mkdirSync(join(dir, 'logs'));
  writeFileSync(join(dir, 'logs', 'access.log'), '');
  const collector = await startCollector('fail');
  const budgetMb = 64;
  const ts = startTailship({
    TAILSHIP_COLLECTOR_URL: collector.url,
    TAILSHIP_INCLUDE: `${dir}/logs/*.log`,
    TAILSHIP_STATE_DIR: join(dir, 'state'),
    TAILSHIP_MEMORY_LIMIT: `${budgetMb}MiB`,
    TAILSHIP_RETRY_MAX: '1s',
  });
  let lines = 0;
  for (let i = 0; i < outageMb / 64; i++) {
    lines += writeLines(join(dir, 'logs', 'access.log'), 64);
    procStats(ts.pid!);
  }
  const during = procStats(ts.pid!);
  const started = Date.now();
  collector.child.send('recover');
  await until(() => collector.lines() >= lines, 30 * 60_000);
  const after = procStats(ts.pid!);
  console.log(`outage: collector down while ${outageMb} MiB were written (memory budget ${budgetMb} MiB)`);
  console.log(`  peak RSS while down     ${during.hwmMb.toFixed(0)} MiB (bound: budget + 80 = ${budgetMb + 80} MiB)`);
  console.log(`  backlog delivered in    ${((Date.now() - started) / 1000).toFixed(1)} s after recovery; peak RSS overall ${after.hwmMb.toFixed(0)} MiB`);
  await stop(ts);
  collector.child.kill();
}

async function idle(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-bench-'));
  mkdirSync(join(dir, 'logs'));
  for (let i = 0; i < 1000; i++) writeFileSync(join(dir, 'logs', `f${i}.log`), `line of file ${i}\n`);
  const collector = await startCollector('ok');
  const ts = startTailship({ TAILSHIP_COLLECTOR_URL: collector.url, TAILSHIP_INCLUDE: `${dir}/logs/*.log`, TAILSHIP_STATE_DIR: join(dir, 'state') });
  await until(() => collector.lines() >= 1000, 60_000);
  const before = procStats(ts.pid!);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 10_000));
  const after = procStats(ts.pid!);
  const pct = ((after.cpuSeconds - before.cpuSeconds) / ((Date.now() - t0) / 1000)) * 100;
  console.log(`idle: 1,000 quiet files, default 1 s poll: ${pct.toFixed(1)}% of one core, RSS ${after.rssMb.toFixed(0)} MiB`);
  await stop(ts);
  collector.child.kill();
}

console.log(`tailship benchmark on ${nodeBin} (${process.version} runs the harness)`);
await backlog();
await outage();
await idle();
