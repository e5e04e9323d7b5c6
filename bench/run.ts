// tailship's benchmark: tailship beside Fluent Bit on the same file and the same sink,
// interleaved, medians of several runs; prints the figures and ratios, writes them as
// JSON and Markdown, and draws a chart. A script, never a test. Run: npm run bench
//
// Environment (all optional):
//   FLUENT_BIT        a fluent-bit binary; without it tailship runs alone and the comparison is skipped
//   BENCH_MB          input size, MB (500)                 BENCH_RUNS     runs per shipper (3)
//   (12 minutes with the defaults on the shared 2-core development machine)
//   BENCH_ONLY        scenarios, comma-separated (default all but outage and stages):
//                     sink,plain,gzip,parser,latency,idle,startup,outage,stages
//   BENCH_OUT         where results.json, results.md and chart.svg go (bench/results)
//   BENCH_INPUT_DIR   where the generated input is cached (<tmpdir>/tailship-bench)
//   BENCH_NODE        node binary for tailship (this one)   BENCH_NODE_ARGS  flags before dist/main.js
//   BENCH_ENV         extra environment for tailship, 'K=V K=V' (e.g. MALLOC_ARENA_MAX=2)
//   BENCH_CPU_PROF    a folder: every tailship run writes a CPU profile there (node --cpu-prof;
//                     stopped with SIGTERM, so its drain adds a few idle seconds; read the
//                     profiles with bench/profile-window.ts)
//   BENCH_LATENCY_RATE (5000 lines/s), BENCH_LATENCY_SECONDS (20), BENCH_IDLE_FILES (1000),
//   BENCH_IDLE_SECONDS (30), BENCH_OUTAGE_MB (500)
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backlogRun, type BacklogRun } from './lib/backlog.js';
import { chartSvg, type ChartRow } from './lib/chart.js';
import { idleRun } from './lib/idle.js';
import { nginxLog } from './lib/input.js';
import { latencyRun } from './lib/latency.js';
import { outageRun } from './lib/outage.js';
import { markdown, summarize, type BacklogScenario, type Results } from './lib/report.js';
import { startFluentBit, startRawBaseline, startTailship, type Shipper, type ShipperName, type TailshipRuntime } from './lib/shippers.js';
import { Sink } from './lib/sink.js';
import { sinkCapacity } from './lib/sink-capacity.js';
import { startupRun } from './lib/startup.js';

const env = process.env;
const num = (name: string, fallback: number) => {
  const v = Number(env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}=${env[name]} is not a positive number`);
  return v;
};
const ALL = ['sink', 'plain', 'gzip', 'parser', 'latency', 'idle', 'startup', 'outage', 'stages'];
const only = new Set((env['BENCH_ONLY'] ?? 'sink,plain,gzip,parser,latency,idle,startup').split(',').filter(Boolean));
for (const s of only) if (!ALL.includes(s)) throw new Error(`BENCH_ONLY: unknown scenario ${s} (known: ${ALL.join(', ')})`);
const MB = num('BENCH_MB', 500);
const RUNS = num('BENCH_RUNS', 3);
const OUT = env['BENCH_OUT'] ?? fileURLToPath(new URL('./results', import.meta.url));
const fluentBit = env['FLUENT_BIT'] || undefined;
const runtime: TailshipRuntime = {
  node: env['BENCH_NODE'] ?? process.execPath,
  nodeArgs: (env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
  env: Object.fromEntries((env['BENCH_ENV'] ?? '').split(' ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
  cpuProfileDir: env['BENCH_CPU_PROF'] || undefined,
};
/** tailship's default TAILSHIP_BATCH_LINGER_MS: the latency target is this + 50 ms. */
const LINGER_MS = 1000;

const work = mkdtempSync(join(tmpdir(), 'tailship-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const scratch = (name: string) => mkdtempSync(join(work, `${name}-`));

const loadStart = loadavg();
const version = (bin: string, arg: string) => execFileSync(bin, [arg], { encoding: 'utf8' }).split('\n')[0]!.trim();
const fbVersion = fluentBit ? version(fluentBit, '--version') : undefined;
console.log(`tailship benchmark: node ${version(runtime.node, '--version')} ${runtime.nodeArgs.join(' ')} ${Object.entries(runtime.env).map(([k, v]) => `${k}=${v}`).join(' ')}`.trimEnd());
console.log(`  ${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores; load average ${loadStart.map((x) => x.toFixed(2)).join(' ')}`);
console.log(fluentBit ? `  beside ${fbVersion} (${fluentBit})` : '  Fluent Bit: comparison skipped (set FLUENT_BIT to a fluent-bit binary to run it)');

const input = nginxLog(env['BENCH_INPUT_DIR'] ?? join(tmpdir(), 'tailship-bench'), MB);
console.log(`  input: ${input.path}, ${(input.bytes / 1e6).toFixed(0)} MB, ${input.lines.toLocaleString('en')} lines (cached; read once into the page cache)`);
const sink = await Sink.start();

const results: Results = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
  load: { start: loadStart, end: [] },
  tailship: { node: version(runtime.node, '--version'), nodeArgs: runtime.nodeArgs, env: runtime.env },
  fluentBit: fbVersion,
  input: { bytes: input.bytes, lines: input.lines },
  runs: RUNS,
  lingerMs: LINGER_MS,
  backlog: {},
};

const tailship = (env: Record<string, string>) => () => startTailship(runtime, { TAILSHIP_STATE_DIR: scratch('state'), ...env });
const timeoutMs = Math.max(120_000, (MB / 2) * 1000); // at 2 MB/s something is wrong

if (only.has('sink')) {
  results.sink = [await sinkCapacity(sink, input, false), await sinkCapacity(sink, input, true)];
  for (const s of results.sink) {
    console.log(`sink alone, ${s.gzip ? 'gzip ' : 'plain'}: ${Math.round(s.recordsPerSecond).toLocaleString('en')} records/s, ${s.mbps.toFixed(0)} MB/s of body, the sink at ${(s.sinkBusy * 100).toFixed(0)} % of a core`);
  }
}

/** Runs the shippers of a scenario in turn (A B A B …), RUNS times each. */
async function interleaved(scenario: BacklogScenario, starts: Array<[ShipperName, () => Shipper, boolean]>): Promise<void> {
  const runs: Partial<Record<ShipperName, BacklogRun[]>> = {};
  results.backlog[scenario] = runs;
  for (let i = 0; i < RUNS; i++) {
    for (const [name, start, json] of starts) {
      const r = await backlogRun(sink, input, start, { json, timeoutMs });
      (runs[name] ??= []).push(r);
      const peak = r.atPeak ? ` (at the highest sample: V8 heap ${r.atPeak.heapTotal.toFixed(0)} MiB, ${r.atPeak.heapUsed.toFixed(0)} used; buffers ${r.atPeak.external.toFixed(0)} MiB)` : '';
      console.log(
        `${scenario.padEnd(6)} ${name.padEnd(10)} run ${i + 1}/${RUNS}: ${r.steadyMBps.toFixed(1)} MB/s (${r.seconds.toFixed(1)} s in all), ` +
          `${r.cpuPerGB.toFixed(1)} CPU-s per GB, peak RSS ${r.peakRssMiB.toFixed(0)} MiB${peak}, sink ${(r.sinkBusy * 100).toFixed(0)} % busy` +
          (r.records !== input.lines ? `, ${r.records - input.lines} DUPLICATES` : ''),
      );
    }
  }
  const t = summarize(runs.tailship);
  const f = summarize(runs['fluent-bit']);
  if (t && f) {
    console.log(`${scenario.padEnd(6)} medians: tailship ${t.steadyMBps.toFixed(1)} MB/s, ${t.cpuPerGB.toFixed(1)} CPU-s/GB, ${t.peakRssMiB.toFixed(0)} MiB; ` +
      `Fluent Bit ${f.steadyMBps.toFixed(1)} MB/s, ${f.cpuPerGB.toFixed(1)} CPU-s/GB, ${f.peakRssMiB.toFixed(0)} MiB; ` +
      `ratios ${(t.steadyMBps / f.steadyMBps).toFixed(2)}× throughput, ${(t.cpuPerGB / f.cpuPerGB).toFixed(2)}× CPU per GB, ${(t.peakRssMiB / f.peakRssMiB).toFixed(2)}× RSS`);
  }
}

const fb = (o: { gzip?: boolean; nginxParser?: boolean; flushSeconds?: number }, path = input.path) => () => startFluentBit({ bin: fluentBit!, path, url: sink.url, ...o });
const withFluentBit = <T>(entry: T): T[] => (fluentBit ? [entry] : []);

if (only.has('plain')) {
  await interleaved('plain', [
    ['tailship', tailship({ TAILSHIP_COLLECTOR_URL: sink.url, TAILSHIP_INCLUDE: input.path, TAILSHIP_COMPRESSION: 'none' }), true],
    ...withFluentBit<[ShipperName, () => Shipper, boolean]>(['fluent-bit', fb({}), true]),
    ['node-raw', () => startRawBaseline(runtime.node, input.path, sink.url), false],
  ]);
}
if (only.has('gzip')) {
  await interleaved('gzip', [
    ['tailship', tailship({ TAILSHIP_COLLECTOR_URL: sink.url, TAILSHIP_INCLUDE: input.path, TAILSHIP_COMPRESSION: 'gzip' }), true],
    ...withFluentBit<[ShipperName, () => Shipper, boolean]>(['fluent-bit', fb({ gzip: true }), true]),
  ]);
}
if (only.has('parser')) {
  await interleaved('parser', [
    ['tailship', tailship({ TAILSHIP_COLLECTOR_URL: sink.url, TAILSHIP_INCLUDE: input.path, TAILSHIP_COMPRESSION: 'none', TAILSHIP_PARSER: 'nginx' }), true],
    ...withFluentBit<[ShipperName, () => Shipper, boolean]>(['fluent-bit', fb({ nginxParser: true }), true]),
  ]);
}

if (only.has('latency')) {
  const o = { rate: num('BENCH_LATENCY_RATE', 5000), seconds: num('BENCH_LATENCY_SECONDS', 20), warmupSeconds: 2 };
  results.latency = [];
  const starts: Array<(path: string) => Shipper> = [
    (path) => tailship({ TAILSHIP_COLLECTOR_URL: sink.url, TAILSHIP_INCLUDE: path })(),
    ...withFluentBit((path: string) => fb({}, path)()),
  ];
  for (const start of starts) {
    const r = await latencyRun(sink, scratch('latency'), start, o);
    results.latency.push(r);
    console.log(`latency ${r.shipper.padEnd(10)} ${r.rate} lines/s for ${o.seconds} s (default linger/flush): p50 ${r.p50Ms} ms, p90 ${r.p90Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms over ${r.lines.toLocaleString('en')} lines`);
  }
}

if (only.has('idle')) {
  const files = num('BENCH_IDLE_FILES', 1000);
  // CPU time comes in clock ticks of 10 ms: near 1 % of a core, 10 s hold about ten of
  // them, so one tick more or less moved the figure by 0.1 point (0.80-1.30 % seen). 30 s.
  const seconds = num('BENCH_IDLE_SECONDS', 30);
  results.idle = [];
  const starts: Array<(glob: string) => Shipper> = [
    (glob) => tailship({ TAILSHIP_COLLECTOR_URL: sink.url, TAILSHIP_INCLUDE: glob })(),
    ...withFluentBit((glob: string) => fb({}, glob)()),
  ];
  for (const start of starts) {
    const r = await idleRun(sink, scratch('idle'), start, files, seconds);
    results.idle.push(r);
    console.log(`idle    ${r.shipper.padEnd(10)} ${files} quiet files, ${seconds} s: ${r.cpuPercent.toFixed(2)} % of a core, RSS ${r.rssMiB.toFixed(0)} MiB`);
  }
}

if (only.has('startup')) {
  results.startup = [];
  for (let i = 0; i < RUNS; i++) {
    const starts: Array<(path: string) => Shipper> = [
      (path) => tailship({ TAILSHIP_COLLECTOR_URL: sink.url, TAILSHIP_INCLUDE: path, TAILSHIP_BATCH_LINGER_MS: '100' })(),
      ...withFluentBit((path: string) => fb({ flushSeconds: 0.1 }, path)()),
    ];
    for (const start of starts) {
      const r = await startupRun(sink, scratch('startup'), start);
      results.startup.push(r);
      console.log(`startup ${r.shipper.padEnd(10)} run ${i + 1}/${RUNS}: first line delivered ${r.firstRecordMs} ms after spawn${r.readyMs !== undefined ? `, ready at ${r.readyMs} ms` : ''}, RSS ${r.rssMiB.toFixed(0)} MiB`);
    }
  }
}

if (only.has('outage')) {
  const mb = num('BENCH_OUTAGE_MB', Math.min(500, MB));
  results.outage = await outageRun(sink, scratch('outage'), input, (path) => tailship({ TAILSHIP_COLLECTOR_URL: sink.url, TAILSHIP_INCLUDE: path, TAILSHIP_RETRY_MAX: '1s' })(), mb);
  const o = results.outage;
  console.log(`outage  tailship   collector down while ${mb} MB were written: peak RSS ${o.peakWhileDownMiB.toFixed(0)} MiB while down; delivered in ${o.deliverSeconds.toFixed(1)} s once back; peak overall ${o.peakOverallMiB.toFixed(0)} MiB`);
}

sink.close();

if (only.has('stages')) {
  // The pure stages on their own, in-process (per-line costs); each prints its own table.
  for (const script of ['micro/parse.ts', 'micro/encoders.ts']) {
    console.log(`\n${script}:`);
    const child = fork(fileURLToPath(new URL(script, import.meta.url)), { stdio: 'inherit' });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`${script} exited with ${code}`);
  }
}

results.load.end = loadavg();
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
const md = markdown(results);
writeFileSync(join(OUT, 'results.md'), md);

/** The run with the median throughput of each shipper, for the chart. */
const COLORS: Record<ShipperName, string> = { tailship: '#1f77b4', 'fluent-bit': '#ff7f0e', 'node-raw': '#8c8c8c' };
const LABELS: Record<ShipperName, string> = { tailship: 'tailship', 'fluent-bit': 'Fluent Bit', 'node-raw': 'Node, raw 4 MiB POSTs' };
const rows: ChartRow[] = (
  [
    ['plain', 'NDJSON, no compression'],
    ['gzip', 'NDJSON, gzip'],
  ] as const
).flatMap(([scenario, title]) => {
  const byShipper = results.backlog[scenario];
  if (!byShipper) return [];
  return [{
    title,
    series: Object.entries(byShipper).map(([name, runs]) => {
      const mid = [...runs].sort((a, b) => a.steadyMBps - b.steadyMBps)[runs.length >> 1]!;
      return { name: LABELS[name as ShipperName], color: COLORS[name as ShipperName], points: mid.series };
    }),
  }];
});
if (rows.length) {
  const sub = `${(input.bytes / 1e6).toFixed(0)} MB nginx log from the page cache to a counting HTTP sink; median run of ${RUNS}; ${results.machine.cpu}, ${results.machine.cores} cores; ${results.date.slice(0, 10)}`;
  writeFileSync(join(OUT, 'chart.svg'), chartSvg(`tailship${fluentBit ? ' and Fluent Bit' : ''}: throughput and memory while shipping a backlog`, sub, rows));
}
console.log(`\n${md}`);
console.log(`load average at the end ${results.load.end.map((x) => x.toFixed(2)).join(' ')}; written: ${join(OUT, 'results.json')}, results.md${rows.length ? ', chart.svg' : ''}`);
process.exit(0);
