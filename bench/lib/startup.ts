// Start-up: spawn to ready (tailship's /readyz) and spawn to the first line of an existing
// file at the collector, with a 100 ms linger (tailship) / flush (Fluent Bit) so that the
// default 1 s wait does not hide the start-up itself.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { procStat } from './proc.js';
import type { Shipper, ShipperName } from './shippers.js';
import type { Sink } from './sink.js';

export interface StartupResult {
  readonly shipper: ShipperName;
  /** Spawn to /readyz 200 (tailship only), ms. */
  readonly readyMs: number | undefined;
  readonly firstRecordMs: number;
  /** RSS when the first record arrived, MiB. */
  readonly rssMiB: number;
}

export async function startupRun(sink: Sink, dir: string, start: (path: string) => Shipper): Promise<StartupResult> {
  const path = join(dir, 'startup.log');
  writeFileSync(path, '10.0.0.1 - - [25/Nov/2026:21:00:00 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8.11.0"\n');
  await sink.reset(true);
  const s = start(path);
  try {
    let readyMs: number | undefined;
    const first = sink.until(1, 30_000, `${s.name} start-up`).then(() => Date.now() - s.startedAt);
    if (s.name === 'tailship') {
      while ((await s.get('/readyz'))?.status !== 200) {
        if (Date.now() - s.startedAt > 30_000) throw new Error(`tailship not ready after 30 s:\n${s.output()}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      readyMs = Date.now() - s.startedAt;
    }
    const firstRecordMs = await first;
    return { shipper: s.name, readyMs, firstRecordMs, rssMiB: procStat(s.pid)?.rssMiB ?? NaN };
  } finally {
    await s.stop();
  }
}
