// The sink alone, so the report can show it is not what limits a shipper: a load process
// (sink-load.ts) POSTs prepared 1 MiB NDJSON bodies to it as fast as it takes them.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Input } from './input.js';
import { procStat } from './proc.js';
import type { Sink } from './sink.js';

const LOAD = fileURLToPath(new URL('./sink-load.ts', import.meta.url));

export interface SinkCapacity {
  readonly gzip: boolean;
  readonly recordsPerSecond: number;
  /** Body MB/s after decompression. */
  readonly mbps: number;
  /** Share of one core the sink used. */
  readonly sinkBusy: number;
}

export async function sinkCapacity(sink: Sink, input: Input, gzip: boolean, seconds = 5, concurrency = 4): Promise<SinkCapacity> {
  await sink.reset(true);
  const child = fork(LOAD, [input.path, sink.url, String(seconds), String(concurrency), gzip ? 'gzip' : 'plain'], { stdio: 'inherit' });
  let before = procStat(sink.pid)!;
  let t0 = Date.now();
  child.once('message', () => {
    before = procStat(sink.pid)!;
    t0 = Date.now();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`sink load exited with ${code}`);
  const dt = (Date.now() - t0) / 1000;
  const after = procStat(sink.pid)!;
  return {
    gzip,
    recordsPerSecond: sink.counts.records / dt,
    mbps: sink.counts.bytes / 1e6 / dt,
    sinkBusy: (after.cpuSeconds - before.cpuSeconds) / dt,
  };
}
