// The cost of waiting: `files` quiet files, each with one line already shipped, and the
// CPU the shipper spends over `seconds` with nothing to do.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { procStat } from './proc.js';
import type { Shipper, ShipperName } from './shippers.js';
import type { Sink } from './sink.js';

export interface IdleResult {
  readonly shipper: ShipperName;
  readonly files: number;
  /** Share of one core, %. */
  readonly cpuPercent: number;
  readonly rssMiB: number;
}

/** `start(glob)` starts the shipper on the files matching `glob`. */
export async function idleRun(sink: Sink, dir: string, start: (glob: string) => Shipper, files: number, seconds: number): Promise<IdleResult> {
  const logs = join(dir, 'idle');
  mkdirSync(logs, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(logs, `f${i}.log`), `line of file ${i}\n`);
  await sink.reset(true);
  const s = start(join(logs, '*.log'));
  try {
    await sink.until(files, 120_000, `${s.name} idle: the first line of every file`);
    // Let start-up work settle before measuring: checkpoint writes, timers armed, and for
    // tailship V8's memory reducer, which runs its full collections once, 30-45 s after
    // start-up (seen with --trace-gc: 3 compacting GCs, about 160 ms of CPU, at 32 s).
    await new Promise((r) => setTimeout(r, 45_000));
    const before = procStat(s.pid)!;
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = procStat(s.pid)!;
    return {
      shipper: s.name,
      files,
      cpuPercent: ((after.cpuSeconds - before.cpuSeconds) / ((Date.now() - t0) / 1000)) * 100,
      rssMiB: after.rssMiB,
    };
  } finally {
    await s.stop();
  }
}
