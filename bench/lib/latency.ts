// Delay from write to collector at a steady rate: lines are appended to a watched file at
// `rate` lines/s, each carrying its write time, and the sink takes the difference when the
// request that carries it ends.
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { nginxLine } from '../../src/demo/nginx-lines.js';
import { seeded } from './input.js';
import type { Shipper, ShipperName } from './shippers.js';
import type { Sink } from './sink.js';
import { percentile } from './stats.js';

export interface LatencyResult {
  readonly shipper: ShipperName;
  readonly rate: number;
  /** Lines measured (those written after the warm-up). */
  readonly lines: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface LatencyOptions {
  readonly rate: number;
  readonly seconds: number;
  /** Lines written in the first seconds are not measured: the shipper may still be starting. */
  readonly warmupSeconds: number;
}

/** `start(path)` starts the shipper on the file at `path` (empty when it starts). */
export async function latencyRun(sink: Sink, dir: string, start: (path: string) => Shipper, o: LatencyOptions): Promise<LatencyResult> {
  const path = join(dir, 'access.log');
  writeFileSync(path, '');
  await sink.reset(true);
  const s = start(path);
  try {
    const fd = openSync(path, 'a');
    const r = seeded(7);
    const t0 = Date.now();
    sink.measureLatencySince(t0 + o.warmupSeconds * 1000);
    let written = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = Date.now();
        const due = Math.min(o.rate * o.seconds, Math.floor(((now - t0) / 1000) * o.rate));
        let text = '';
        for (; written < due; written++) text += `${nginxLine(new Date(now), r).replace(' HTTP/1.1"', `#lat=${now} HTTP/1.1"`)}\n`;
        if (text) writeSync(fd, text);
        if (written >= o.rate * o.seconds) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    closeSync(fd);
    await sink.until(written, 60_000, `${s.name} latency`);
    const delays = await sink.latency();
    return {
      shipper: s.name,
      rate: o.rate,
      lines: delays.length,
      p50Ms: percentile(delays, 50),
      p90Ms: percentile(delays, 90),
      p99Ms: percentile(delays, 99),
      maxMs: delays.at(-1) ?? NaN,
    };
  } finally {
    await s.stop();
  }
}
