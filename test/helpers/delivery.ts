// Helpers for the delivery end-to-end tests: a workspace with a collector and a running
// tailship, a readiness watch, an RSS sampler and metric sums.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Responder } from './collector.js';
import { NumberedWriter } from './sequences.js';
import { FAST_SETTINGS, startCollector, tempDirs } from './setup.js';
import { TailshipProcess } from './tailship-process.js';

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

/** Environment for a delivery test: the fast settings, quick request timeouts, small batches. */
export function deliveryEnv(collectorUrl: string, logsDir: string, stateDir: string, over: Record<string, string> = {}) {
  return {
    ...FAST_SETTINGS,
    TAILSHIP_COLLECTOR_URL: collectorUrl,
    TAILSHIP_INCLUDE: `${logsDir}/*.log`,
    TAILSHIP_STATE_DIR: stateDir,
    TAILSHIP_BATCH_MAX_EVENTS: '500',
    TAILSHIP_REQUEST_TIMEOUT: '1s',
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
