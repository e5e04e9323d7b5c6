// Space used on the log volume with TAILSHIP_RECLAIM_ACKED, over time: nginx-like lines
// appended at a steady rate through one kept-open O_APPEND descriptor, on a loop-mounted
// ext4 volume, while the built tailship ships them to a local collector; then a collector
// outage of the same length with writing going on, and the recovery. Prints the space
// the log file uses on disk (st_blocks), sampled every second, as a Markdown table: the
// figures in README "Disk space on the shared volume". Needs root (mount).
//
//   npm run bench:reclaim
//   BENCH_RECLAIM_RATE_MB=4 BENCH_RECLAIM_PHASE_S=30 npm run bench:reclaim
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TestCollector } from '../test/helpers/collector.js';
import { deliveryEnv, MiB } from '../test/helpers/delivery.js';
import { diskBytes, mountScratch, scratchUnavailable } from '../test/helpers/scratch-fs.js';
import { numberedLine } from '../test/helpers/sequences.js';
import { TailshipProcess } from '../test/helpers/tailship-process.js';

const RATE_MB = Number(process.env['BENCH_RECLAIM_RATE_MB'] ?? 4);
const PHASE_S = Number(process.env['BENCH_RECLAIM_PHASE_S'] ?? 30);
const LINE_BYTES = 250; // about an nginx access line
const TICK_MS = 100;

const cleanups: Array<() => unknown> = [];
const teardown = { teardown: (fn: () => unknown) => void cleanups.push(fn) };

async function run(reclaim: boolean): Promise<Array<{ s: number; phase: string; writtenMB: number; diskMiB: number }>> {
  const fs = mountScratch(teardown, 'ext4', 1024);
  const path = join(fs.logs, 'access.log');
  const collector = new TestCollector();
  collector.keep = false;
  await collector.start();
  cleanups.push(() => collector.close());
  const ts = new TailshipProcess(
    deliveryEnv(collector.url, fs.logs, fs.state, {
      TAILSHIP_RECLAIM_ACKED: String(reclaim),
      TAILSHIP_VOLUME_LIMIT: '512Mi',
      TAILSHIP_CHECKPOINT_INTERVAL: '1s', // the default
      TAILSHIP_BATCH_LINGER_MS: '1000',
      TAILSHIP_BATCH_MAX_EVENTS: '10000',
      TAILSHIP_LOG_LEVEL: 'info', // the health port is read from the start-up line
    }),
  );
  cleanups.push(() => ts.kill());
  const fd = openSync(path, 'a');
  await ts.ready(60_000);
  const samples: Array<{ s: number; phase: string; writtenMB: number; diskMiB: number }> = [];
  const perTick = Math.round((RATE_MB * 1e6 * TICK_MS) / 1000 / LINE_BYTES);
  const phases = ['steady', 'collector down', 'collector back'];
  let seq = 0;
  let collectorDown = false;
  const started = Date.now();
  let nextSample = 0;
  for (let tick = 0; tick < (phases.length * PHASE_S * 1000) / TICK_MS; tick++) {
    const phase = phases[Math.floor((tick * TICK_MS) / 1000 / PHASE_S)]!;
    if (phase === 'collector down' && !collectorDown) {
      collector.down();
      collectorDown = true;
    }
    if (phase === 'collector back' && collectorDown) {
      await collector.up();
      collectorDown = false;
    }
    let text = '';
    for (let i = 0; i < perTick; i++) text += `${numberedLine('f', seq++, LINE_BYTES - 1)}\n`;
    writeSync(fd, text);
    const s = (Date.now() - started) / 1000;
    if (s >= nextSample) {
      samples.push({ s: Math.round(s), phase, writtenMB: (seq * LINE_BYTES) / 1e6, diskMiB: diskBytes([path]) / MiB });
      nextSample += 1;
    }
    const due = started + (tick + 1) * TICK_MS;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  }
  closeSync(fd);
  await ts.kill();
  return samples;
}

async function main(): Promise<void> {
  const why = scratchUnavailable('ext4');
  if (why !== undefined) throw new Error(`bench:reclaim: ${why}`);
  console.log(`# reclaim: ${RATE_MB} MB/s of ${LINE_BYTES}-byte lines, ${PHASE_S} s steady, ${PHASE_S} s collector down, ${PHASE_S} s back; ext4`);
  const on = await run(true);
  const off = await run(false);
  console.log('\n| time | phase | written | space used, reclaim on | space used, reclaim off |');
  console.log('| --- | --- | --- | --- | --- |');
  const every = Math.max(1, Math.round(PHASE_S / 6));
  for (let i = 0; i < on.length; i++) {
    const a = on[i]!;
    const b = off[i];
    if (i % every !== 0 && i !== on.length - 1) continue;
    console.log(
      `| ${a.s} s | ${a.phase} | ${a.writtenMB.toFixed(0)} MB | ${a.diskMiB.toFixed(1)} MiB | ${b ? `${b.diskMiB.toFixed(1)} MiB` : '—'} |`,
    );
  }
  const steady = on.filter((x) => x.phase === 'steady' && x.s > 5).map((x) => x.diskMiB);
  const peak = Math.max(...on.map((x) => x.diskMiB));
  console.log(`\nsteady: ${Math.min(...steady).toFixed(1)}-${Math.max(...steady).toFixed(1)} MiB used; peak ${peak.toFixed(1)} MiB; at the end ${on.at(-1)!.diskMiB.toFixed(1)} MiB`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
