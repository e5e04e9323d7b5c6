// One timed run: a shipper started on the whole input (a backlog in the page cache),
// stopped once the sink has counted every line.
import type { Input } from './input.js';
import { procStat, Sampler } from './proc.js';
import type { Shipper, ShipperName } from './shippers.js';
import type { Sink } from './sink.js';
import { crossing } from './stats.js';

/** tailship's own view of its memory at the highest RSS seen (MiB), from /status. */
export interface MemoryAtPeak {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
}

export interface BacklogRun {
  readonly shipper: ShipperName;
  /** Spawn to the last line counted by the sink, s. */
  readonly seconds: number;
  /** Input MB (10^6 bytes) over `seconds`. */
  readonly mbps: number;
  /** Input MB/s between 10 % and 90 % of the lines delivered: without start-up and the last linger. */
  readonly steadyMBps: number;
  readonly cpuSeconds: number;
  /** CPU seconds (user + system, all threads) per GB (10^9 bytes) of input. */
  readonly cpuPerGB: number;
  /** VmHWM, MiB. */
  readonly peakRssMiB: number;
  /** Share of one core the sink used meanwhile (near 1 would make it the bottleneck). */
  readonly sinkBusy: number;
  /** Records the sink counted: more than the input's lines means duplicates. */
  readonly records: number;
  readonly atPeak: MemoryAtPeak | undefined;
  readonly series: ReadonlyArray<{ t: number; mbps: number; rssMiB: number }>;
}

export interface BacklogOptions {
  /** The sink checks that records are JSON (not for the raw baseline). */
  readonly json: boolean;
  readonly timeoutMs: number;
}

export async function backlogRun(sink: Sink, input: Input, start: () => Shipper, o: BacklogOptions): Promise<BacklogRun> {
  await sink.reset(o.json);
  const sinkBefore = procStat(sink.pid)!;
  const s = start();
  const sampler = new Sampler(s.pid, s.startedAt, () => sink.counts.records);
  let atPeak: MemoryAtPeak | undefined;
  let polling = true;
  const statusPoll = (async () => {
    while (polling) {
      const res = await s.get('/status');
      if (res?.ok) {
        const p = ((await res.json()) as { memory: { process: NodeJS.MemoryUsage } }).memory.process;
        const mib = (n: number) => n / 2 ** 20;
        if (atPeak === undefined || mib(p.rss) > atPeak.rss) atPeak = { rss: mib(p.rss), heapTotal: mib(p.heapTotal), heapUsed: mib(p.heapUsed), external: mib(p.external) };
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const exited = new Promise<never>((_, reject) =>
    s.child.on('exit', () => {
      if (s.name !== 'node-raw') reject(new Error(`${s.name} exited during the run:\n${s.output()}`));
    }),
  );
  try {
    await Promise.race([sink.until(input.lines, o.timeoutMs, s.name), exited]);
  } catch (error) {
    await s.stop();
    throw new Error(`${(error as Error).message}\n${s.output()}`);
  } finally {
    polling = false;
    sampler.stop();
  }
  const end = s.selfReport?.() ?? procStat(s.pid);
  const doneAt = Date.now();
  await s.stop();
  await statusPoll;
  if (!end) throw new Error(`${s.name}: no CPU figures (exited before they were read)`);
  const sinkAfter = procStat(sink.pid)!;
  if (sink.counts.malformed > 0) throw new Error(`${s.name}: ${sink.counts.malformed} request bodies did not start with a JSON record`);

  const seconds = (doneAt - s.startedAt) / 1000;
  const points = sink.history.map(([t, n]) => [(t - s.startedAt) / 1000, n] as const);
  const t10 = crossing(points, input.lines * 0.1)!;
  const t90 = crossing(points, input.lines * 0.9)!;
  const bytesPerRecord = input.bytes / input.lines;
  const samples = [...sampler.samples, { t: seconds, cpuSeconds: end.cpuSeconds, rssMiB: sampler.samples.at(-1)?.rssMiB ?? 0, records: input.lines }];
  // Throughput over a trailing second, at every sample.
  const series = samples.map((p, i) => {
    let j = i;
    while (j > 0 && samples[j]!.t > p.t - 1) j--;
    const dt = p.t - samples[j]!.t;
    const mbps = dt > 0 ? (((p.records - samples[j]!.records) * bytesPerRecord) / dt) / 1e6 : 0;
    return { t: +p.t.toFixed(2), mbps: +mbps.toFixed(2), rssMiB: +p.rssMiB.toFixed(1) };
  });
  return {
    shipper: s.name,
    seconds,
    mbps: input.bytes / 1e6 / seconds,
    steadyMBps: (0.8 * input.bytes) / 1e6 / (t90 - t10),
    cpuSeconds: end.cpuSeconds,
    cpuPerGB: end.cpuSeconds / (input.bytes / 1e9),
    peakRssMiB: end.peakRssMiB,
    sinkBusy: (sinkAfter.cpuSeconds - sinkBefore.cpuSeconds) / seconds,
    records: sink.counts.records,
    atPeak,
    series,
  };
}
