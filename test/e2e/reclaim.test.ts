// TAILSHIP_RECLAIM_ACKED on real file systems: lines written through a kept-open
// O_APPEND descriptor (as nginx writes) while tailship ships them; the space the file
// uses on disk (st_blocks) stays about what is not yet acknowledged, every line arrives
// once and no record holds a NUL from a hole. Also: SIGKILL and restart (nothing lost,
// nothing read again from the holes), a collector outage (space grows by what is
// written, falls once acknowledged), ramfs (no hole punching: warned once, counted,
// shipping goes on), and the start-up refusal on a read-only volume.
// Loop-mounted ext4 (and xfs where mkfs.xfs is installed), tmpfs and ramfs: needs root.
// TAILSHIP_TEST_RECLAIM_MB sets the volume of the big run (default 300).
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CHECKPOINT_FILE } from '../../src/checkpoint/checkpoint-store.js';
import { TestCollector } from '../helpers/collector.js';
import { deliveryEnv, metricSum, MiB } from '../helpers/delivery.js';
import { diskBytes, mountScratch, scratchUnavailable, type ScratchKind } from '../helpers/scratch-fs.js';
import { few, numberedLine, SequenceTally } from '../helpers/sequences.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

const TOTAL_MB = Number(process.env['TAILSHIP_TEST_RECLAIM_MB'] ?? 300);
const LINE_BYTES = 1000; // with its newline: line n starts at n × LINE_BYTES
const LINES_PER_CHUNK = 1000; // 1 MB per write(2), as a busy nginx's buffered writes
const MEMORY_LIMIT_MIB = 32;
/** The writer stays at most this far ahead of what is acknowledged: a rate tailship keeps up with. */
const WINDOW = 8 * MiB;
/** Space used beyond the unacknowledged bytes: the kept head block, the last partial block, a checkpoint's lag. */
const SLACK = 8 * MiB;

/** A collector that counts numbered lines as they arrive and notes any record with a NUL byte. */
async function countingCollector(t: Test, lines: number) {
  const tally = new SequenceTally(new Map([['f', lines]]));
  let withNul = 0;
  const collector = new TestCollector();
  collector.keep = false;
  collector.onAccepted = (records) => {
    for (const text of records) {
      if (text.includes('\\u0000')) withNul++;
      const r = JSON.parse(text) as { message: string };
      tally.add(r.message);
    }
  };
  await collector.start();
  t.teardown(() => collector.close());
  return { collector, tally, nul: () => withNul };
}

/** Appends numbered lines through one descriptor opened O_APPEND and kept open, as nginx does. */
class AppendWriter {
  readonly path: string;
  readonly #fd: number;
  written = 0;

  constructor(path: string) {
    this.path = path;
    this.#fd = openSync(path, 'a');
  }

  get bytes(): number {
    return this.written * LINE_BYTES;
  }

  chunk(n = LINES_PER_CHUNK): void {
    let text = '';
    for (let i = 0; i < n; i++) text += `${numberedLine('f', this.written + i, LINE_BYTES - 1)}\n`;
    writeSync(this.#fd, text);
    this.written += n;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

function start(t: Test, url: string, logs: string, state: string, over: Record<string, string> = {}) {
  const ts = new TailshipProcess(
    deliveryEnv(url, logs, state, {
      TAILSHIP_RECLAIM_ACKED: 'true',
      TAILSHIP_MEMORY_LIMIT: `${MEMORY_LIMIT_MIB}MiB`,
      TAILSHIP_BATCH_MAX_EVENTS: '10000',
      TAILSHIP_CHECKPOINT_INTERVAL: '200ms',
      TAILSHIP_LOG_LEVEL: 'info',
      ...over,
    }),
  );
  t.teardown(() => ts.kill());
  return ts;
}

const ackedOffset = async (ts: TailshipProcess, path: string): Promise<number> =>
  ((await ts.status()).files as Array<{ path: string; ackedOffset: number }>).find((f) => f.path === path)?.ackedOffset ?? 0;

/** Writes `mb` MB in chunks, never more than WINDOW ahead of the acknowledged offset; samples the space used. */
async function writeSteadily(ts: TailshipProcess, writer: AppendWriter, mb: number, onSample: (bytes: number) => void) {
  const target = writer.written + Math.floor((mb * 1e6) / LINE_BYTES);
  const sampler = setInterval(() => onSample(diskBytes([writer.path])), 20);
  try {
    while (writer.written < target) {
      await waitFor(
        'the acknowledged offset to come within the window',
        async () => writer.bytes - (await ackedOffset(ts, writer.path)) <= WINDOW,
        { timeoutMs: 60_000, intervalMs: 5 },
      );
      writer.chunk(Math.min(LINES_PER_CHUNK, target - writer.written));
      onSample(diskBytes([writer.path]));
    }
  } finally {
    clearInterval(sampler);
  }
}

function checkDelivery(t: Test, tally: SequenceTally, nul: number, duplicatesAllowed = false) {
  const r = tally.report();
  t.equal(few(r.missing.get('f') ?? []), 'none', 'no line missing');
  if (!duplicatesAllowed) t.equal(few(r.duplicated.get('f') ?? []), 'none', 'no line twice');
  t.strictSame(r.unexpected, [], 'no line that was not written (nothing read from a hole)');
  t.equal(nul, 0, 'no record holds a NUL byte');
}

async function steadyRun(t: Test, kind: ScratchKind, mb: number) {
  const fs = mountScratch(t, kind, Math.max(64, Math.ceil(mb / 4)));
  const path = join(fs.logs, 'access.log');
  const lines = Math.floor((mb * 1e6) / LINE_BYTES);
  const { collector, tally, nul } = await countingCollector(t, lines);
  const writer = new AppendWriter(path);
  t.teardown(() => writer.close());
  const ts = start(t, collector.url, fs.logs, fs.state);
  await ts.ready();
  let peak = 0;
  const started = Date.now();
  await writeSteadily(ts, writer, mb, (b) => (peak = Math.max(peak, b)));
  await waitFor(`${lines} lines at the collector`, () => tally.received >= lines, { timeoutMs: 90_000, intervalMs: 50 });
  const seconds = (Date.now() - started) / 1000;
  checkDelivery(t, tally, nul());
  const settled = await waitFor('the acknowledged bytes freed', () => (diskBytes([path]) < 2 * MiB ? diskBytes([path]) + 1 : 0), {
    timeoutMs: 30_000,
    intervalMs: 50,
  });
  const size = readFileSync(path).length;
  t.equal(size, lines * LINE_BYTES, 'the file keeps its size (holes, not truncation)');
  t.ok(peak < MEMORY_LIMIT_MIB * MiB + SLACK, `space used peaked at ${(peak / MiB).toFixed(1)} MiB for ${mb} MB written`);
  const metrics = (await ts.get('/metrics')).body;
  const reclaimed = metricSum(metrics, 'tailship_reclaimed_bytes_total');
  t.ok(reclaimed > mb * 1e6 - 4 * MiB, `tailship_reclaimed_bytes_total ${(reclaimed / MiB).toFixed(0)} MiB`);
  t.ok(metricSum(metrics, 'tailship_files_disk_bytes') < 2 * MiB, 'tailship_files_disk_bytes is small again');
  const status = await ts.status();
  t.match(status.disk, { reclaim: true, reclaimedBytes: Number }, '/status shows the disk');
  t.comment(
    `${kind}: ${mb} MB in ${seconds.toFixed(1)} s (${(mb / seconds).toFixed(0)} MB/s), peak ${(peak / MiB).toFixed(1)} MiB on disk, ` +
      `${((settled - 1) / 1024).toFixed(0)} KiB at the end`,
  );
  t.equal((await ts.stop()).code, 0, 'tailship exits 0');
}

const skipUnless = (kind: ScratchKind) => {
  const why = scratchUnavailable(kind);
  return why === undefined ? {} : { skip: why };
};

t.test(`ext4: ${TOTAL_MB} MB through an O_APPEND descriptor, space bounded, every line once`, skipUnless('ext4'), (t) =>
  steadyRun(t, 'ext4', TOTAL_MB),
);

t.test('xfs (allocsize=64k): the same, 64 MB', skipUnless('xfs'), (t) => steadyRun(t, 'xfs', 64));

t.test('tmpfs (emptyDir medium: Memory): the same, 64 MB', skipUnless('tmpfs'), (t) => steadyRun(t, 'tmpfs', 64));

t.test('ext4: SIGKILL midway and restart: nothing lost, nothing read again from the holes', skipUnless('ext4'), async (t) => {
  const fs = mountScratch(t, 'ext4', 128);
  const path = join(fs.logs, 'access.log');
  const lines = 40_000; // 40 MB
  const { collector, tally, nul } = await countingCollector(t, lines);
  const writer = new AppendWriter(path);
  t.teardown(() => writer.close());
  const first = start(t, collector.url, fs.logs, fs.state);
  await first.ready();
  await writeSteadily(first, writer, 20, () => undefined);
  await waitFor('blocks freed', async () => metricSum((await first.get('/metrics')).body, 'tailship_reclaimed_bytes_total') > 4 * MiB, {
    timeoutMs: 30_000,
  });
  await first.kill();
  const saved = JSON.parse(readFileSync(join(fs.state, CHECKPOINT_FILE), 'utf8')).files[0];
  t.ok(saved.reclaimed > 0 && saved.reclaimed <= saved.offset, `the checkpoint records what was freed (${saved.reclaimed} of ${saved.offset})`);
  // nginx goes on writing while tailship is down.
  while (writer.written < 30_000) writer.chunk();

  const second = start(t, collector.url, fs.logs, fs.state);
  await second.ready();
  const opened = await waitFor('the file opened', () => second.logs.find((l) => l['msg'] === 'file opened' && l['path'] === path));
  t.equal(opened['resumed'], true, 'the file is recognised after the restart (its head block is kept)');
  t.equal(opened['offset'], saved.offset, 'and read on from its checkpoint, past every hole');
  await writeSteadily(second, writer, 10, () => undefined);
  await waitFor(`${lines} lines at the collector`, () => tally.report().missing.get('f')!.length === 0, { timeoutMs: 60_000, intervalMs: 100 });
  checkDelivery(t, tally, nul(), true);
  const resentBefore = tally.report().duplicated.get('f')!.filter((seq) => seq * LINE_BYTES < saved.offset);
  t.equal(few(resentBefore), 'none', 'nothing below the checkpoint was sent again (duplicates only after it, at-least-once)');
  await waitFor('the acknowledged bytes freed', () => diskBytes([path]) < 2 * MiB, { timeoutMs: 30_000 });
});

t.test('ext4: a collector outage: space grows by what is written, falls once acknowledged', skipUnless('ext4'), async (t) => {
  const fs = mountScratch(t, 'ext4', 128);
  const path = join(fs.logs, 'access.log');
  const lines = 30_000;
  const { collector, tally, nul } = await countingCollector(t, lines);
  const writer = new AppendWriter(path);
  t.teardown(() => writer.close());
  // 80 % of it is 19.2 MiB: passed while the 25 MB written during the outage wait.
  const ts = start(t, collector.url, fs.logs, fs.state, { TAILSHIP_VOLUME_LIMIT: '24MiB' });
  await ts.ready();
  await writeSteadily(ts, writer, 5, () => undefined);
  await waitFor('the first 5 MB freed', () => diskBytes([path]) < 2 * MiB, { timeoutMs: 30_000 });
  const before = diskBytes([path]);
  collector.down();
  while (writer.written < lines) writer.chunk();
  const grown = diskBytes([path]);
  // Acknowledgements of requests answered just before the outage may still free a little.
  t.ok(grown >= 25e6 - MiB, `space grew by what was written while down (${(before / MiB).toFixed(1)} → ${(grown / MiB).toFixed(1)} MiB)`);
  await waitFor('the volume limit warning', () => ts.hasLog('the watched files use more than 80% of TAILSHIP_VOLUME_LIMIT; the Pod may be evicted when the volume is full'), {
    timeoutMs: 30_000,
  });
  t.equal(await ts.metric('tailship_volume_near_limit'), 1, 'tailship_volume_near_limit is 1');
  t.equal(await ts.metric('tailship_volume_limit_bytes'), 24 * MiB, 'tailship_volume_limit_bytes');
  await collector.up();
  await waitFor(`${lines} lines at the collector`, () => tally.received >= lines, { timeoutMs: 60_000, intervalMs: 50 });
  checkDelivery(t, tally, nul());
  await waitFor('the space freed after the outage', () => diskBytes([path]) < 2 * MiB, { timeoutMs: 30_000 });
  t.pass(`space fell back to ${(diskBytes([path]) / 1024).toFixed(0)} KiB once acknowledged`);
  await waitFor('tailship_volume_near_limit back to 0', async () => (await ts.metric('tailship_volume_near_limit')) === 0, { timeoutMs: 10_000 });
  t.ok(ts.hasLog('the watched files are back under 80% of TAILSHIP_VOLUME_LIMIT'), 'and says so');
});

t.test('ramfs cannot punch holes: warned once, counted, shipping goes on', skipUnless('ramfs'), async (t) => {
  const fs = mountScratch(t, 'ramfs', 64);
  const path = join(fs.logs, 'access.log');
  const lines = 4000;
  const { collector, tally, nul } = await countingCollector(t, lines);
  const writer = new AppendWriter(path);
  t.teardown(() => writer.close());
  const ts = start(t, collector.url, fs.logs, fs.state);
  await ts.ready();
  writer.chunk(2000);
  await waitFor('the refusal', () => ts.logs.some((l) => l['code'] === 'EOPNOTSUPP'), { timeoutMs: 30_000 });
  writer.chunk(2000);
  await waitFor(`${lines} lines at the collector`, () => tally.received >= lines, { timeoutMs: 30_000 });
  checkDelivery(t, tally, nul());
  const metrics = (await ts.get('/metrics')).body;
  t.equal(metricSum(metrics, 'tailship_reclaim_refused_total', /code="EOPNOTSUPP"/), 1, 'counted once for the file system');
  t.equal(ts.logs.filter((l) => l['code'] === 'EOPNOTSUPP').length, 1, 'warned once');
  t.equal(metricSum(metrics, 'tailship_reclaimed_bytes_total'), 0, 'nothing freed');
});

t.test('a read-only log volume with reclaim on: refused at start, exit 78, one line', skipUnless('tmpfs'), async (t) => {
  const fs = mountScratch(t, 'tmpfs', 8);
  writeFileSync(join(fs.logs, 'access.log'), 'a line\n');
  execFileSync('mount', ['-o', 'remount,ro', fs.mount]);
  const ts = start(t, 'http://127.0.0.1:9/', fs.logs, fs.state);
  const { code } = await ts.exited;
  t.equal(code, 78, 'exit 78');
  const lines = ts.stderr.trim().split('\n');
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0], /TAILSHIP_RECLAIM_ACKED is on but .*access\.log cannot be opened for writing \(EROFS\)/, 'naming the file and why');
  const without = start(t, 'http://127.0.0.1:9/', fs.logs, fs.state, { TAILSHIP_RECLAIM_ACKED: 'false' });
  await without.ready();
  t.pass('with reclaim off, a read-only volume is fine');
});
