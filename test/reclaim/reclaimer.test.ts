// The reclaimer on real files (the temp dir's file system must punch holes: ext4, xfs,
// tmpfs): it frees only whole blocks below a checkpointed offset, keeps the head block,
// and frees nothing of a file that is not the checkpoint's any more.
import { closeSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { CheckpointEntry } from '../../src/checkpoint/checkpoint-format.js';
import { Reclaimer, type ReclaimObserver } from '../../src/reclaim/reclaimer.js';
import { fingerprintHash } from '../../src/tail/fingerprint.js';

const SIZE = 200_000;
const content = () => Buffer.from('0123456789abcdef\n'.repeat(Math.ceil(SIZE / 17)).slice(0, SIZE));

function setup(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-reclaimer-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'access.log');
  writeFileSync(path, content());
  const st = statSync(path);
  const head = readFileSync(path).subarray(0, 1024);
  const entry = (offset: number, over: Partial<CheckpointEntry> = {}): CheckpointEntry => ({
    key: 'k1',
    dev: st.dev,
    ino: st.ino,
    fpLen: head.length,
    fpHash: fingerprintHash(head, head.length),
    offset,
    path,
    seenMs: 0,
    ...over,
  });
  const events: string[] = [];
  const observer: ReclaimObserver = {
    reclaimed: (p, bytes) => events.push(`reclaimed ${bytes}`),
    refused: (p, code, fileSystem) => events.push(`refused ${code} ${fileSystem}`),
    volumeLimit: (near, used, limit) => events.push(`near ${near}`),
  };
  return { dir, path, entry, events, observer, block: st.blksize };
}

/** Bytes of the file that read as zeros now, and whether the rest is as written. */
function zeros(path: string): { from: number; to: number; restIntact: boolean } {
  const now = readFileSync(path);
  const original = content();
  let from = -1;
  let to = -1;
  let restIntact = now.length === original.length;
  for (let i = 0; i < now.length; i++) {
    if (now[i] === 0 && original[i] !== 0) {
      if (from < 0) from = i;
      to = i + 1;
    } else if (now[i] !== original[i]) restIntact = false;
  }
  return { from, to, restIntact };
}

t.test('frees whole blocks from after the head block up to the checkpointed offset', async (t) => {
  const { path, entry, events, observer, block } = setup(t);
  const r = new Reclaimer({ enabled: true, volumeLimitBytes: undefined }, () => undefined, observer);
  const before = statSync(path).blocks;
  await r.written([entry(100_000)]);
  const end = Math.floor(100_000 / block) * block;
  t.same(zeros(path), { from: block, to: end, restIntact: true }, 'zeros exactly there; the rest, and the size, as written');
  t.ok(statSync(path).blocks < before, 'the blocks are freed');
  t.same(events, [`reclaimed ${end - block}`]);
  t.equal(r.annotate([entry(100_000)])[0]!.reclaimed, end, 'the checkpoint records what was freed');
  t.equal(r.status.reclaimedBytes, end - block);
  t.equal(r.status.filesDiskBytes, statSync(path).blocks * 512, 'the file is measured');

  await r.written([entry(100_000)]);
  t.equal(events.length, 1, 'nothing more to free');
  await r.written([entry(150_000)]);
  t.same(zeros(path).to, Math.floor(150_000 / block) * block, 'then on from there as acknowledgements advance');
});

t.test('frees nothing of a file that is not what the checkpoint says', async (t) => {
  const { dir, path, entry, events, observer } = setup(t);
  const r = new Reclaimer({ enabled: true, volumeLimitBytes: undefined }, () => undefined, observer);
  await r.written([entry(100_000, { fpHash: 'ffffffffffffffff' })]);
  t.same(zeros(path).from, -1, 'another fingerprint: untouched');
  renameSync(path, join(dir, 'access.log.1'));
  writeFileSync(path, content());
  await r.written([entry(100_000)]);
  t.same(zeros(path).from, -1, 'another inode at the path: untouched');
  t.same(zeros(join(dir, 'access.log.1')).from, -1, 'and the renamed file, not found by path, too');
  t.same(events, []);
});

t.test("through the tail's descriptor: the same inode whatever its name, only under the same key", async (t) => {
  const { dir, path, entry, observer, block } = setup(t);
  const fd = openSync(path, 'r');
  t.teardown(() => closeSync(fd));
  let key = 'k1';
  const r = new Reclaimer({ enabled: true, volumeLimitBytes: undefined }, (_id, k) => (k === key ? fd : undefined), observer);
  const rotated = join(dir, 'access.log.1');
  renameSync(path, rotated);
  key = 'k2'; // truncated since: its acknowledgements are of old content
  await r.written([entry(100_000, { path })]);
  t.same(zeros(rotated).from, -1, 'a key the tail no longer reads under: nothing');
  key = 'k1';
  await r.written([entry(100_000, { path })]);
  t.same(zeros(rotated).from, block, 'renamed away, freed through the descriptor');
});

t.test('resumes from what the last run freed; reclaim off only measures', async (t) => {
  const { path, entry, events, observer, block } = setup(t);
  const r = new Reclaimer({ enabled: true, volumeLimitBytes: undefined }, () => undefined, observer);
  r.resume([entry(100_000, { reclaimed: 16 * block })]);
  await r.written([entry(100_000)]);
  t.same(zeros(path).from, 16 * block, 'from the recorded offset on');
  t.same(events, [`reclaimed ${Math.floor(100_000 / block) * block - 16 * block}`]);

  const other = setup(t);
  const off = new Reclaimer({ enabled: false, volumeLimitBytes: 1000 }, () => undefined, other.observer);
  await off.written([other.entry(100_000)]);
  t.same(zeros(other.path).from, -1, 'off: untouched');
  t.equal(off.status.filesDiskBytes, statSync(other.path).blocks * 512, 'measured');
  t.same(other.events, ['near true'], 'above 80 % of the limit: said once');
  await off.written([other.entry(100_000)]);
  t.same(other.events, ['near true'], 'not again while it stays there');
  await off.written([]);
  t.same(other.events, ['near true', 'near false'], 'and when it is back under');
});

t.test('a file whose checkpoint did not move is measured again only after 30 s', async (t) => {
  // With 10,000 quiet files a stat of each at every checkpoint interval was most of the idle CPU.
  const { path, entry, observer } = setup(t);
  const r = new Reclaimer({ enabled: false, volumeLimitBytes: undefined }, () => undefined, observer);
  const e = entry(100_000);
  await r.written([e], 1_000_000);
  const before = r.status.filesDiskBytes;
  writeFileSync(path, Buffer.alloc(1 << 20, 0x61), { flag: 'a' });
  const grown = statSync(path).blocks * 512;
  t.ok(grown > before, 'the file now uses more blocks');
  await r.written([e], 1_010_000);
  t.equal(r.status.filesDiskBytes, before, 'unchanged checkpoint, 10 s later: the last figure');
  await r.written([entry(150_000)], 1_011_000);
  t.equal(r.status.filesDiskBytes, grown, 'a checkpoint that moved: measured at once');
  writeFileSync(path, Buffer.alloc(1 << 20, 0x62), { flag: 'a' });
  const moved = [entry(150_000)];
  await r.written(moved, 1_042_000);
  t.equal(r.status.filesDiskBytes, statSync(path).blocks * 512, '30 s on: measured again');
  writeFileSync(path, Buffer.alloc(1 << 20, 0x63), { flag: 'a' });
  await r.written(moved, 1_050_000);
  t.not(r.status.filesDiskBytes, statSync(path).blocks * 512, 'the same entries again, nobody due: not even walked');
  await r.written(moved, 1_072_000);
  t.equal(r.status.filesDiskBytes, statSync(path).blocks * 512, 'the same entries, 30 s after the last measure: measured');
});

t.test('a quiet file the tail saw at the size it was measured at is not measured again', async (t) => {
  const { path, entry, observer } = setup(t);
  let tailSays: number | undefined = statSync(path).size;
  const r = new Reclaimer({ enabled: false, volumeLimitBytes: undefined }, () => undefined, observer, () => tailSays);
  const entries = [entry(100_000)];
  await r.written(entries, 1_000_000);
  const before = r.status.filesDiskBytes;
  t.equal(before, statSync(path).blocks * 512, 'measured');
  // The tail has not seen it grow (yet): 30 s on, the figure stands without a stat.
  writeFileSync(path, Buffer.alloc(1 << 20, 0x61), { flag: 'a' });
  await r.written(entries, 1_031_000);
  t.equal(r.status.filesDiskBytes, before, 'the size the tail knows is the measured one: the last figure');
  // The tail sees the growth: measured at the next due pass.
  tailSays = statSync(path).size;
  await r.written(entries, 1_062_000);
  t.equal(r.status.filesDiskBytes, statSync(path).blocks * 512, 'the tail saw another size: measured again');
  tailSays = undefined;
  writeFileSync(path, Buffer.alloc(1 << 20, 0x62), { flag: 'a' });
  await r.written(entries, 1_093_000);
  t.equal(r.status.filesDiskBytes, statSync(path).blocks * 512, 'not tailed any more: measured every 30 s as before');
});
