// Helpers for the delivery end-to-end tests: numbered lines, a check that each arrived
// exactly once, a readiness watch, and an RSS sampler.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Responder } from './collector.js';
import { startCollector, tempDirs } from './setup.js';
import { TailshipProcess } from './tailship-process.js';

/** A test line: the file's short name and a sequence number, padded to `width` chars. */
export function numberedLine(name: string, seq: number, width = 0): string {
  const head = `${name} seq=${seq} `;
  return width > head.length ? head + 'x'.repeat(width - head.length) : head;
}

const LINE = /^(\S+) seq=(\d+) /;

/**
 * Appends numbered lines to files and remembers how many each has, and the byte offset
 * each line starts at (for checking checkpoints).
 */
export class NumberedWriter {
  readonly counts = new Map<string, number>();
  readonly starts = new Map<string, number[]>();
  readonly #sizes = new Map<string, number>();
  readonly #width: number;

  constructor(width = 0) {
    this.#width = width;
  }

  /** Appends `n` lines to `path` (named `name` in the lines). */
  append(path: string, name: string, n: number): void {
    const from = this.counts.get(path) ?? 0;
    const starts = this.starts.get(path) ?? [];
    let size = this.#sizes.get(path) ?? 0;
    let text = '';
    for (let i = from; i < from + n; i++) {
      const line = `${numberedLine(name, i, this.#width)}\n`;
      starts.push(size);
      size += Buffer.byteLength(line);
      text += line;
    }
    appendFileSync(path, text);
    this.counts.set(path, from + n);
    this.starts.set(path, starts);
    this.#sizes.set(path, size);
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }
}

export interface DeliveryReport {
  /** Per file: sequence numbers never received. */
  missing: Map<string, number[]>;
  /** Per file: sequence numbers received more than once. */
  duplicated: Map<string, number[]>;
  /** Records from files not written, or messages not in the test's form. */
  unexpected: number;
  /** Per file: true when sorting by offset gives the sequence numbers in order. */
  ordered: Map<string, boolean>;
  received: number;
}

/**
 * Compares what the collector accepted with what was written: by message content, per
 * file (lines carry their sequence number), and in offset order.
 */
export function deliveryReport(records: ReadonlyArray<Record<string, any>>, counts: ReadonlyMap<string, number>): DeliveryReport {
  const seen = new Map<string, Uint32Array>();
  for (const [file, n] of counts) seen.set(file, new Uint32Array(n));
  const byFile = new Map<string, Array<[number, number]>>();
  let unexpected = 0;
  for (const r of records) {
    const m = LINE.exec(String(r['message']));
    const tally = seen.get(r['file']);
    if (!m || !tally) {
      unexpected++;
      continue;
    }
    const seq = Number(m[2]);
    if (seq >= tally.length) {
      unexpected++;
      continue;
    }
    tally[seq]!++;
    const list = byFile.get(r['file']) ?? [];
    list.push([r['offset'], seq]);
    byFile.set(r['file'], list);
  }
  const missing = new Map<string, number[]>();
  const duplicated = new Map<string, number[]>();
  const ordered = new Map<string, boolean>();
  for (const [file, tally] of seen) {
    const miss: number[] = [];
    const dup: number[] = [];
    tally.forEach((n, seq) => {
      if (n === 0) miss.push(seq);
      if (n > 1) dup.push(seq);
    });
    missing.set(file, miss);
    duplicated.set(file, dup);
    const list = (byFile.get(file) ?? []).sort((a, b) => a[0] - b[0]);
    ordered.set(
      file,
      list.every(([, seq], i) => i === 0 || seq >= list[i - 1]![1]),
    );
  }
  return { missing, duplicated, unexpected, ordered, received: records.length };
}

/** Short text for a list of numbers (first few). */
export function few(xs: readonly number[]): string {
  return xs.length === 0 ? 'none' : `${xs.length}: ${xs.slice(0, 10).join(',')}${xs.length > 10 ? ',…' : ''}`;
}

/**
 * Polls /readyz every `intervalMs` until stopped; keeps every answer that was not 200.
 * Readiness must never depend on the collector.
 */
export class ReadinessWatch {
  polls = 0;
  /** The slowest answer seen, in ms (the health server shares the event loop). */
  maxLatencyMs = 0;
  readonly failures: string[] = [];
  #running = true;
  readonly #done: Promise<void>;

  constructor(ts: TailshipProcess, intervalMs = 50) {
    this.#done = (async () => {
      while (this.#running) {
        const started = Date.now();
        try {
          const res = await ts.get('/readyz');
          this.maxLatencyMs = Math.max(this.maxLatencyMs, Date.now() - started);
          if (res.status !== 200) this.failures.push(`${res.status} ${res.body.trim()}`);
        } catch (error) {
          this.failures.push(`error: ${(error as Error).message}`);
        }
        this.polls++;
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }
}

/** Resident set size of a process, in bytes, from /proc/<pid>/status (VmRSS). */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `intervalMs`; keeps the peak. */
export class RssSampler {
  peak = 0;
  samples = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(pid: number, intervalMs = 100) {
    const sample = () => {
      const rss = rssBytes(pid);
      if (rss !== undefined) {
        this.samples++;
        if (rss > this.peak) this.peak = rss;
      }
    };
    sample();
    this.#timer = setInterval(sample, intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

export const MiB = 1024 * 1024;

/** Environment for a delivery test: quick retries and timeouts, small batches. */
export function deliveryEnv(collectorUrl: string, logsDir: string, stateDir: string, over: Record<string, string> = {}) {
  return {
    TAILSHIP_COLLECTOR_URL: collectorUrl,
    TAILSHIP_INCLUDE: `${logsDir}/*.log`,
    TAILSHIP_STATE_DIR: stateDir,
    TAILSHIP_BATCH_LINGER_MS: '50',
    TAILSHIP_BATCH_MAX_EVENTS: '500',
    TAILSHIP_POLL_INTERVAL: '100ms',
    TAILSHIP_CHECKPOINT_INTERVAL: '100ms',
    TAILSHIP_RETRY_INITIAL: '50ms',
    TAILSHIP_RETRY_MAX: '1s',
    TAILSHIP_REQUEST_TIMEOUT: '1s',
    TAILSHIP_DRAIN_QUIET: '300ms',
    TAILSHIP_LOG_LEVEL: 'debug',
    ...over,
  };
}

/** The sum of a metric over all its label sets (NaN-free: 0 when absent). */
export function metricSum(metricsText: string, name: string, labelFilter?: RegExp): number {
  let sum = 0;
  for (const line of metricsText.split('\n')) {
    if (!(line.startsWith(`${name} `) || line.startsWith(`${name}{`))) continue;
    if (labelFilter && !labelFilter.test(line)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * A collector, two empty log files (a.log, b.log) and a ready tailship reading them with
 * the delivery tests' settings; readiness is watched for the whole test.
 */
export async function deliveryWorkspace(
  t: { teardown(fn: () => unknown): void },
  responder?: Responder,
  env: Record<string, string> = {},
) {
  const { dir, logs, state } = tempDirs();
  const collector = await startCollector(t, responder);
  const files = ['a.log', 'b.log'].map((f) => join(logs, f));
  for (const f of files) writeFileSync(f, '');
  const ts = new TailshipProcess(deliveryEnv(collector.url, logs, state, env));
  t.teardown(() => ts.kill());
  await ts.ready();
  const watch = new ReadinessWatch(ts);
  t.teardown(() => watch.stop());
  return { dir, logs, state, files, collector, ts, watch, writer: new NumberedWriter(120) };
}
