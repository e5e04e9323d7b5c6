// The memory bound while the collector is down: `mb` MB are appended while the sink
// answers 503, then it recovers and the backlog drains. tailship only (Fluent Bit's
// defaults keep reading into memory and give a batch up after one retry).
import { closeSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Input } from './input.js';
import { procStat } from './proc.js';
import type { Shipper } from './shippers.js';
import type { Sink } from './sink.js';

export interface OutageResult {
  readonly writtenMB: number;
  readonly peakWhileDownMiB: number;
  /** Collector back to the last line delivered, s. */
  readonly deliverSeconds: number;
  readonly peakOverallMiB: number;
}

/** Appends the first `mb` MB of whole lines of `input` to `path`; returns the lines appended. */
function appendFrom(input: Input, path: string, mb: number): number {
  const src = openSync(input.path, 'r');
  const dst = openSync(path, 'a');
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  let copied = 0;
  let lines = 0;
  while (copied < mb * 1e6) {
    const n = readSync(src, buf, 0, buf.length, copied);
    if (n === 0) break;
    const end = buf.lastIndexOf(10, n - 1) + 1;
    for (let i = buf.indexOf(10); i !== -1 && i < end; i = buf.indexOf(10, i + 1)) lines++;
    writeSync(dst, buf, 0, end);
    copied += end;
  }
  closeSync(src);
  closeSync(dst);
  return lines;
}

export async function outageRun(sink: Sink, dir: string, input: Input, start: (path: string) => Shipper, mb: number): Promise<OutageResult> {
  const path = join(dir, 'outage.log');
  writeFileSync(path, '');
  await sink.reset(true);
  sink.failing(true);
  const s = start(path);
  try {
    let lines = 0;
    // In 64 MB appends, as a busy writer would, while tailship reads up to its limit.
    for (let done = 0; done < mb; done += 64) {
      lines += appendFrom(input, path, Math.min(64, mb - done));
      await new Promise((r) => setTimeout(r, 100));
    }
    if (lines > input.lines) throw new Error('outage: BENCH_OUTAGE_MB is larger than the input');
    // Down a few seconds more: the reads, retries and garbage of a full budget settle.
    await new Promise((r) => setTimeout(r, 5_000));
    const down = procStat(s.pid)!;
    sink.failing(false);
    const upAt = Date.now();
    await sink.until(lines, 30 * 60_000, 'tailship outage: the backlog after recovery');
    const deliverSeconds = (Date.now() - upAt) / 1000;
    return { writtenMB: mb, peakWhileDownMiB: down.peakRssMiB, deliverSeconds, peakOverallMiB: procStat(s.pid)!.peakRssMiB };
  } finally {
    sink.failing(false);
    await s.stop();
  }
}
