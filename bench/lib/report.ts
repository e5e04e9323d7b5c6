// The benchmark's results as data (written as JSON) and as the Markdown summary: the
// issue's target table, tailship beside Fluent Bit, medians of interleaved runs.
import type { BacklogRun } from './backlog.js';
import type { IdleResult } from './idle.js';
import type { LatencyResult } from './latency.js';
import type { OutageResult } from './outage.js';
import type { ShipperName } from './shippers.js';
import type { SinkCapacity } from './sink-capacity.js';
import type { StartupResult } from './startup.js';
import { median } from './stats.js';

export type BacklogScenario = 'plain' | 'gzip' | 'parser';
export type BacklogRuns = Partial<Record<ShipperName, BacklogRun[]>>;

export interface Results {
  readonly date: string;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly memoryGiB: number };
  /** loadavg (1, 5, 15 min) when the benchmark started and ended. */
  readonly load: { start: number[]; end: number[] };
  readonly tailship: { readonly node: string; readonly nodeArgs: readonly string[]; readonly env: Readonly<Record<string, string>> };
  readonly fluentBit: string | undefined;
  readonly input: { readonly bytes: number; readonly lines: number };
  readonly runs: number;
  readonly lingerMs: number;
  sink?: SinkCapacity[];
  backlog: Partial<Record<BacklogScenario, BacklogRuns>>;
  latency?: LatencyResult[];
  idle?: IdleResult[];
  startup?: StartupResult[];
  outage?: OutageResult;
}

export interface Summary {
  readonly mbps: number;
  readonly steadyMBps: number;
  readonly cpuPerGB: number;
  readonly peakRssMiB: number;
  readonly sinkBusy: number;
}

/** Medians over the runs of one shipper, each figure on its own. */
export function summarize(runs: readonly BacklogRun[] | undefined): Summary | undefined {
  if (!runs?.length) return undefined;
  const m = (f: (r: BacklogRun) => number) => median(runs.map(f));
  return { mbps: m((r) => r.mbps), steadyMBps: m((r) => r.steadyMBps), cpuPerGB: m((r) => r.cpuPerGB), peakRssMiB: m((r) => r.peakRssMiB), sinkBusy: Math.max(...runs.map((r) => r.sinkBusy)) };
}

const f1 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(1));
const f0 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en'));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) || b === 0 ? '—' : `${(a / b).toFixed(2)}×`);
const verdict = (ok: boolean | undefined) => (ok === undefined ? '—' : ok ? 'met' : '**not met**');

/** The Markdown report: the target table, then what each figure rests on. */
export function markdown(r: Results): string {
  const fb = r.fluentBit !== undefined;
  const plain = r.backlog.plain;
  const gzip = r.backlog.gzip;
  const parser = r.backlog.parser;
  const tp = summarize(plain?.tailship);
  const fp = summarize(plain?.['fluent-bit']);
  const raw = summarize(plain?.['node-raw']);
  const tg = summarize(gzip?.tailship);
  const fg = summarize(gzip?.['fluent-bit']);
  const tn = summarize(parser?.tailship);
  const fn = summarize(parser?.['fluent-bit']);
  const lat = (s: ShipperName) => r.latency?.find((l) => l.shipper === s);
  const idle = (s: ShipperName) => r.idle?.find((l) => l.shipper === s);
  const start = (s: ShipperName) => {
    const runs = r.startup?.filter((l) => l.shipper === s) ?? [];
    return runs.length ? { ready: median(runs.flatMap((x) => (x.readyMs === undefined ? [] : [x.readyMs]))), first: median(runs.map((x) => x.firstRecordMs)), rss: median(runs.map((x) => x.rssMiB)) } : undefined;
  };
  const under = (a: number | undefined, b: number | undefined, k: number) => (a === undefined || b === undefined ? undefined : a <= k * b);
  const over = (a: number | undefined, b: number | undefined, k: number) => (a === undefined || b === undefined ? undefined : a >= k * b);
  const peakMax = Math.max(tp?.peakRssMiB ?? 0, tg?.peakRssMiB ?? 0);
  const ts = start('tailship');
  const fs = start('fluent-bit');
  const lines: string[] = [];
  lines.push(
    `Input: ${(r.input.bytes / 1e6).toFixed(0)} MB nginx \`combined\` log (${r.input.lines.toLocaleString('en')} lines) from the page cache, to a counting sink in another process. ` +
      `Medians of ${r.runs} interleaved runs. Throughput is MB (10^6 bytes) of log per second between 10 % and 90 % delivered; CPU is user + system of the process, all threads, from /proc.`,
    '',
    '| figure | tailship | Fluent Bit | tailship ÷ Fluent Bit | target | |',
    '|---|---|---|---|---|---|',
    `| throughput, NDJSON, no compression | ${f1(tp?.steadyMBps)} MB/s | ${f1(fp?.steadyMBps)} MB/s | ${ratio(tp?.steadyMBps, fp?.steadyMBps)} | ≥ 1.5× | ${verdict(over(tp?.steadyMBps, fp?.steadyMBps, 1.5))} |`,
    `| CPU seconds per GB, same | ${f1(tp?.cpuPerGB)} | ${f1(fp?.cpuPerGB)} | ${ratio(tp?.cpuPerGB, fp?.cpuPerGB)} | ≤ 0.75× | ${verdict(under(tp?.cpuPerGB, fp?.cpuPerGB, 0.75))} |`,
    `| throughput, gzip on both sides | ${f1(tg?.steadyMBps)} MB/s | ${f1(fg?.steadyMBps)} MB/s | ${ratio(tg?.steadyMBps, fg?.steadyMBps)} | ≥ 1.2× | ${verdict(over(tg?.steadyMBps, fg?.steadyMBps, 1.2))} |`,
    `| CPU seconds per GB, gzip | ${f1(tg?.cpuPerGB)} | ${f1(fg?.cpuPerGB)} | ${ratio(tg?.cpuPerGB, fg?.cpuPerGB)} | | |`,
    `| peak RSS at full speed, no compression / gzip (default memory limit) | ${f0(tp?.peakRssMiB)} / ${f0(tg?.peakRssMiB)} MiB | ${f0(fp?.peakRssMiB)} / ${f0(fg?.peakRssMiB)} MiB | ${ratio(tp?.peakRssMiB, fp?.peakRssMiB)} / ${ratio(tg?.peakRssMiB, fg?.peakRssMiB)} | ≤ 120 MiB | ${verdict(tp || tg ? peakMax <= 120 : undefined)} |`,
    `| with the nginx parser (no compression): throughput, CPU-s per GB, peak RSS | ${f1(tn?.steadyMBps)} MB/s, ${f1(tn?.cpuPerGB)}, ${f0(tn?.peakRssMiB)} MiB | ${f1(fn?.steadyMBps)} MB/s, ${f1(fn?.cpuPerGB)}, ${f0(fn?.peakRssMiB)} MiB | ${ratio(tn?.steadyMBps, fn?.steadyMBps)}, ${ratio(tn?.cpuPerGB, fn?.cpuPerGB)}, ${ratio(tn?.peakRssMiB, fn?.peakRssMiB)} | reported beside the plain figure | |`,
    `| p99 delay write → collector at ${f0(lat('tailship')?.rate ?? lat('fluent-bit')?.rate)} lines/s (p50) | ${f0(lat('tailship')?.p99Ms)} ms (${f0(lat('tailship')?.p50Ms)}) | ${f0(lat('fluent-bit')?.p99Ms)} ms (${f0(lat('fluent-bit')?.p50Ms)}) | ${ratio(lat('tailship')?.p99Ms, lat('fluent-bit')?.p99Ms)} | ≤ linger + 50 ms = ${r.lingerMs + 50} ms | ${verdict(lat('tailship') ? lat('tailship')!.p99Ms <= r.lingerMs + 50 : undefined)} |`,
    `| idle CPU, ${f0(idle('tailship')?.files ?? idle('fluent-bit')?.files)} quiet files (RSS) | ${idle('tailship')?.cpuPercent.toFixed(2) ?? '—'} % (${f0(idle('tailship')?.rssMiB)} MiB) | ${idle('fluent-bit')?.cpuPercent.toFixed(2) ?? '—'} % (${f0(idle('fluent-bit')?.rssMiB)} MiB) | ${ratio(idle('tailship')?.cpuPercent, idle('fluent-bit')?.cpuPercent)} | < 1 % of a core | ${verdict(idle('tailship') ? idle('tailship')!.cpuPercent < 1 : undefined)} |`,
    `| start-up: spawn → first line delivered, 100 ms linger/flush (tailship: → ready) | ${f0(ts?.first)} ms (${f0(ts?.ready)} ms) | ${f0(fs?.first)} ms | ${ratio(ts?.first, fs?.first)} | | |`,
    `| RSS just after start-up | ${f0(ts?.rss)} MiB | ${f0(fs?.rss)} MiB | ${ratio(ts?.rss, fs?.rss)} | | |`,
    `| a minimal Node script POSTing the file in 4 MiB bodies (no per-line work) | ${f1(raw?.steadyMBps)} MB/s, ${f1(raw?.cpuPerGB)} CPU-s per GB, ${f0(raw?.peakRssMiB)} MiB | | | the ceiling for Node on this machine | |`,
  );
  if (!fb) lines.push('', 'Fluent Bit: **comparison skipped** (set `FLUENT_BIT` to a fluent-bit binary).');
  lines.push(
    '',
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB; load average ${r.load.start.map((x) => x.toFixed(2)).join(' ')} at the start, ${r.load.end.map((x) => x.toFixed(2)).join(' ')} at the end. ` +
      `tailship on node ${r.tailship.node}${r.tailship.nodeArgs.length ? ` ${r.tailship.nodeArgs.join(' ')}` : ''}${Object.keys(r.tailship.env).length ? `, ${Object.entries(r.tailship.env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}, started as \`node dist/main.js\` with default settings (\`TAILSHIP_COMPRESSION=none\` where there is no compression).` +
      (fb ? ` ${r.fluentBit}: tail → http \`format json_lines\`, defaults but \`read_from_head on\` (the file exists when it starts), \`compress gzip\` for the gzip pair, a regex nginx parser for the parser pair.` : ''),
  );
  if (r.sink?.length) {
    const runs = Object.values(r.backlog).flatMap((b) => Object.values(b ?? {}).flat());
    const busiest = runs.reduce<BacklogRun | undefined>((a, x) => (a === undefined || x.sinkBusy > a.sinkBusy ? x : a), undefined);
    const shippers = runs.filter((x) => x.shipper !== 'node-raw').map((x) => x.records / x.seconds);
    lines.push(
      '',
      `The sink alone (1 MiB NDJSON bodies, 4 at a time): ${r.sink.map((s) => `${f0(s.recordsPerSecond)} records/s ${s.gzip ? 'gzip' : 'plain'} (${f0(s.mbps)} MB/s of body, the sink at ${(s.sinkBusy * 100).toFixed(0)} % of a core)`).join('; ')}; ` +
        'below 100 % of a core, the load process was the limit, not the sink.' +
        (busiest ? ` In the runs above the sink was at most ${(busiest.sinkBusy * 100).toFixed(0)} % busy (${busiest.shipper}, ${f0(busiest.records / busiest.seconds)} records/s)${shippers.length ? `; tailship and Fluent Bit delivered at most ${f0(Math.max(...shippers))} records/s` : ''}.` : ''),
    );
  }
  if (r.outage) {
    const o = r.outage;
    lines.push('', `Collector down while ${o.writtenMB} MB were written (tailship): peak RSS ${f0(o.peakWhileDownMiB)} MiB while down, backlog delivered in ${f1(o.deliverSeconds)} s once it was back, peak RSS overall ${f0(o.peakOverallMiB)} MiB.`);
  }
  lines.push('', '### Every run', '', '| scenario | shipper | MB/s (10–90 %) | MB/s (spawn → last line) | CPU-s per GB | peak RSS MiB | sink busy |', '|---|---|---|---|---|---|---|');
  for (const [scenario, byShipper] of Object.entries(r.backlog)) {
    for (const [name, runs] of Object.entries(byShipper ?? {})) {
      for (const x of runs) lines.push(`| ${scenario} | ${name} | ${f1(x.steadyMBps)} | ${f1(x.mbps)} | ${f1(x.cpuPerGB)} | ${f0(x.peakRssMiB)} | ${(x.sinkBusy * 100).toFixed(0)} % |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
