// The rotation rules, in-process on a fake file system (test/helpers/fake-fs.ts): what is
// read, once, with which record key, when files are copied and truncated, rotated faster
// than discovery looks, compressed, rewritten in place, or rotated while tailship is down
// — and that the reading may be stopped by the memory budget meanwhile.
import t, { type Test } from 'tap';
import { gzipSync } from 'node:zlib';
import { MemoryBudget } from '../../src/ack/memory-budget.js';
import type { CheckpointEntry } from '../../src/checkpoint/checkpoint-format.js';
import type { FileTailer } from '../../src/tail/file-tailer.js';
import { globSet } from '../../src/tail/glob-set.js';
import type { TailOptions } from '../../src/tail/tail-interfaces.js';
import { TailManager } from '../../src/tail/tail-manager.js';
import { FakeFs } from '../helpers/fake-fs.js';
import { waitFor } from '../helpers/wait-for.js';

const LOG = '/logs/app.log';

interface Line {
  readonly tailer: FileTailer;
  readonly key: string;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** `n` lines `<tag> <i>` (fixed width), from `from`. */
function lines(tag: string, n: number, from = 0): string {
  let s = '';
  for (let i = from; i < from + n; i++) s += `${tag} ${String(i).padStart(4, '0')}\n`;
  return s;
}

interface Harness {
  readonly fs: FakeFs;
  readonly tail: TailManager;
  readonly got: Line[];
  readonly events: string[];
  readonly budget: MemoryBudget;
  /** Acknowledges what was read and frees its budget, as delivered batches do. */
  ackAll(): void;
  /** Acks until every line in `expected` arrived (the budget may stop reading between). */
  receive(expected: number): Promise<void>;
}

function harness(
  t: Test,
  fs: FakeFs,
  opts: Partial<TailOptions> & { budgetBytes?: number; globs?: string[] } = {},
  checkpoints: readonly CheckpointEntry[] = [],
): Harness {
  const budget = new MemoryBudget(opts.budgetBytes ?? 1 << 20);
  const got: Line[] = [];
  const events: string[] = [];
  const unacked = new Map<FileTailer, { end: number; bytes: number }>();
  const short = (p: string) => p.replace('/logs/', '');
  const tail = new TailManager(
    globSet(opts.globs ?? ['/logs/*.log'], []),
    {
      host: 'test',
      startAt: 'beginning',
      firstRun: true,
      maxLineBytes: 1024,
      readChunkBytes: 64,
      pollIntervalMs: 3_600_000,
      pollOnly: true,
      rotateWaitMs: 0,
      checkpointTtlMs: 3_600_000,
      ...opts,
    },
    {
      line(tailer, line, start, end) {
        got.push({ tailer, key: tailer.key, text: line.toString(), start, end });
        budget.reserve(end - start);
        const u = unacked.get(tailer) ?? { end, bytes: 0 };
        unacked.set(tailer, { end, bytes: u.bytes + end - start });
      },
      end: () => {},
    },
    budget,
    {
      fileOpened: (path, offset) => events.push(`opened ${short(path)}@${offset}`),
      fileClosed: (path) => events.push(`closed ${short(path)}`),
      truncated: (path, offset) => events.push(`truncated ${short(path)}@${offset}`),
      rotated: (path) => events.push(`rotated ${short(path)}`),
      generationFound: (path, found) => events.push(`generation ${short(found)} of ${short(path)}`),
      copyFound: (path, copy, offset) => events.push(`copy ${short(copy)} of ${short(path)}@${offset}`),
      lost: (path, bytes) => events.push(`lost ${short(path)} ${bytes}`),
      openFailed: (path, code) => events.push(`failed ${path} ${code}`),
      bytesRead: () => {},
      failed: (error) => events.push(`error ${String(error)}`),
    },
    checkpoints,
    fs,
  );
  t.teardown(() => tail.close());
  const ackAll = () => {
    for (const [tailer, u] of unacked) {
      tailer.ackQueue.ack(tailer.ackQueue.add(u.end));
      budget.release(u.bytes);
    }
    unacked.clear();
  };
  const receive = async (expected: number) => {
    await waitFor(`${expected} lines (have ${got.length})`, async () => {
      ackAll();
      await tail.pollNow();
      return got.length >= expected && tail.caughtUp;
    });
    ackAll();
    await tail.pollNow();
  };
  return { fs, tail, got, events, budget, ackAll, receive };
}

/** Each text once, in the order given. */
function once(t: Test, got: readonly Line[], expected: string): void {
  const want = expected.split('\n').filter(Boolean);
  const texts = got.map((l) => l.text);
  t.same([...texts].sort(), [...want].sort(), `${want.length} lines, each once`);
}

/**
 * Was `copy` opened to be read on from the read position: at or past the end of the last
 * line read, within one read chunk (the rest of a line is held, not lost)?
 */
function copiedFrom(events: readonly string[], copy: string, lastLineEnd: number): boolean {
  return events.some((e) => {
    const m = new RegExp(`^copy ${copy.replace(/\./g, '\\.')} of app\\.log@(\\d+)$`).exec(e);
    return m !== null && Number(m[1]) >= lastLineEnd && Number(m[1]) < lastLineEnd + 64;
  });
}

function newFs(): FakeFs {
  const fs = new FakeFs();
  fs.mkdir('/logs');
  return fs;
}

t.test('copytruncate while the memory budget has stopped reading: the copy is read from where reading stopped, with the same ids', async (t) => {
  const fs = newFs();
  const first = lines('a', 100);
  fs.write(LOG, first);
  const h = harness(t, fs, { budgetBytes: 200 });
  await h.tail.start();
  await waitFor('reading stopped by the budget', () => h.budget.exhausted && h.got.length > 0);
  const stoppedAt = h.got.at(-1)!.end;
  const keyA = h.got[0]!.key;
  t.ok(stoppedAt < first.length, `stopped at ${stoppedAt} of ${first.length}`);

  fs.copy(LOG, `${LOG}.1`);
  fs.truncate(LOG);
  fs.append(LOG, lines('b', 20));
  await h.tail.pollNow();
  t.ok(copiedFrom(h.events, 'app.log.1', stoppedAt), 'the copy is found and opened while reading is stopped');
  // The rotator moves the copy on and deletes it: the open descriptor still reads it.
  fs.rename(`${LOG}.1`, `${LOG}.2`);
  fs.unlink(`${LOG}.2`);

  await h.receive(120);
  once(t, h.got, first + lines('b', 20));
  const a = h.got.filter((l) => l.text.startsWith('a '));
  t.ok(a.every((l) => l.key === keyA), 'lines of the copy keep the key (so the ids) they had in the original');
  t.same(a.map((l) => l.start), [...Array(100).keys()].map((i) => i * 7), 'and their offsets');
  t.ok(h.got.filter((l) => l.text.startsWith('b ')).every((l) => l.key !== keyA), 'the truncated file has a new key');
  await waitFor('the copy closed', async () => {
    await h.tail.pollNow();
    return h.events.includes('closed app.log');
  });
  t.equal(fs.openDescriptors, 1, 'only the watched file stays open');
});

t.test('copytruncate with no copy: exactly the bytes known and unread are reported lost', async (t) => {
  const fs = newFs();
  fs.write(LOG, lines('a', 100));
  const h = harness(t, fs, { budgetBytes: 200, copyWaitMs: 0 });
  await h.tail.start();
  await waitFor('reading stopped by the budget', () => h.budget.exhausted && h.got.length > 0);
  const shipped = h.got.at(-1)!.end;
  fs.truncate(LOG);
  fs.append(LOG, lines('b', 3));
  await h.tail.pollNow();
  await h.tail.pollNow();
  t.ok(h.events.includes(`lost app.log ${700 - shipped}`), `${700 - shipped} bytes reported lost: ${h.events.filter((e) => e.startsWith('lost'))}`);
  await h.receive(h.got.length + 3);
  t.same(h.got.slice(-3).map((l) => l.text), ['b 0000', 'b 0001', 'b 0002'], 'the file is read on from 0');
});

t.test('copytruncate with compress: the gzip copy is read through gunzip from the same offset', async (t) => {
  const fs = newFs();
  const first = lines('a', 100);
  fs.write(LOG, first);
  const h = harness(t, fs, { budgetBytes: 200 });
  await h.tail.start();
  await waitFor('reading stopped by the budget', () => h.budget.exhausted && h.got.length > 0);
  const stoppedAt = h.got.at(-1)!.end;
  fs.copy(LOG, `${LOG}.1`);
  fs.truncate(LOG);
  fs.gzip(`${LOG}.1`, `${LOG}.1.gz`);
  await h.tail.pollNow();
  t.ok(copiedFrom(h.events, 'app.log.1.gz', stoppedAt), 'the gzip file is recognised by its inflated head');
  await h.receive(100);
  once(t, h.got, first);
});

t.test('a compressed copy that appears after the truncation is still found (a compressor was writing it)', async (t) => {
  const fs = newFs();
  const first = lines('a', 100);
  fs.write(LOG, first);
  const h = harness(t, fs, { budgetBytes: 200, copyWaitMs: 60_000 });
  await h.tail.start();
  await waitFor('reading stopped by the budget', () => h.budget.exhausted && h.got.length > 0);
  fs.truncate(LOG);
  await h.tail.pollNow();
  t.notOk(h.events.some((e) => e.startsWith('copy') || e.startsWith('lost')), 'no copy yet, nothing reported lost yet');
  fs.write(`${LOG}.1.gz`, gzipSync(first));
  await h.receive(100);
  once(t, h.got, first);
  t.notOk(h.events.some((e) => e.startsWith('lost')), 'nothing lost');
});

t.test('rename rotation faster than discovery: generations never seen at the path are read, once, oldest first', async (t) => {
  const fs = newFs();
  fs.write(LOG, lines('g0', 5));
  const h = harness(t, fs);
  await h.tail.start();
  await h.receive(5);
  // logrotate's numbering, five kept, four rotations before tailship looks again.
  const rotate = () => {
    for (let k = 5; k >= 1; k--) {
      try {
        if (k === 5) fs.unlink(`${LOG}.5`);
        else fs.rename(`${LOG}.${k}`, `${LOG}.${k + 1}`);
      } catch {
        // not there yet
      }
    }
    fs.rename(LOG, `${LOG}.1`);
  };
  let all = lines('g0', 5);
  for (let g = 1; g <= 4; g++) {
    rotate();
    fs.write(LOG, lines(`g${g}`, 5));
    all += lines(`g${g}`, 5);
  }
  await h.receive(25);
  once(t, h.got, all);
  t.same(
    h.events.filter((e) => e.startsWith('generation')),
    ['generation app.log.3 of app.log', 'generation app.log.2 of app.log', 'generation app.log.1 of app.log'],
    'the three generations that came and went are found, oldest first',
  );
  const order = h.got.map((l) => l.text.split(' ')[0]);
  t.same([...new Set(order)], ['g0', 'g1', 'g2', 'g3', 'g4'], 'and read in the order they were written');
  t.ok(h.got.filter((l) => l.text.startsWith('g1')).every((l) => l.tailer.path === LOG), 'their records carry the watched path');
});

t.test('rotated files there before tailship are history; one rotated while it was down is read', async (t) => {
  const fs = newFs();
  fs.write(`${LOG}.1`, lines('old', 5));
  fs.write(LOG, lines('g0', 5));
  const h = harness(t, fs, { knownSinceMs: fs.now() });
  await h.tail.start();
  await h.receive(5);
  once(t, h.got, lines('g0', 5));
  fs.append(LOG, lines('g0', 2, 5));
  await h.receive(7);
  const saved = h.tail.checkpoints(fs.now());
  const savedAt = fs.now();
  t.ok(saved.some((e) => e.path === LOG && e.offset === 5 * 9), 'the rotated file found there is known, at its size, in the checkpoint');
  await h.tail.close();

  // While tailship is down: more lines, then two rotations.
  fs.append(LOG, lines('g0', 3, 7));
  fs.rename(`${LOG}.1`, `${LOG}.2`);
  fs.rename(LOG, `${LOG}.1`);
  fs.write(LOG, lines('g1', 4));
  fs.rename(`${LOG}.2`, `${LOG}.3`);
  fs.rename(`${LOG}.1`, `${LOG}.2`);
  fs.rename(LOG, `${LOG}.1`);
  fs.write(LOG, lines('g2', 4));

  const again = harness(t, fs, { firstRun: false, knownSinceMs: savedAt }, saved);
  await again.tail.start();
  await again.receive(11);
  once(t, again.got, lines('g0', 3, 7) + lines('g1', 4) + lines('g2', 4));
  t.ok(again.events.includes('generation app.log.1 of app.log'), 'the generation born and rotated while down is found');
});

t.test('delaycompress: the gzip of a rotated file already read is known, not read again', async (t) => {
  const fs = newFs();
  fs.write(LOG, lines('g0', 5));
  const h = harness(t, fs);
  await h.tail.start();
  await h.receive(5);
  fs.rename(LOG, `${LOG}.1`);
  fs.write(LOG, lines('g1', 5));
  await h.receive(10);
  await waitFor('the rotated file closed and retired', async () => {
    h.ackAll();
    await h.tail.pollNow();
    return h.tail.files().length === 1;
  });
  fs.rename(`${LOG}.1`, `${LOG}.2`);
  fs.gzip(`${LOG}.2`, `${LOG}.2.gz`);
  fs.rename(LOG, `${LOG}.1`);
  fs.write(LOG, lines('g2', 5));
  await h.receive(15);
  once(t, h.got, lines('g0', 5) + lines('g1', 5) + lines('g2', 5));
  t.equal(h.tail.checkpoints(0).length, 4, 'g0 as a gzip copy, g0, g1 and g2 are all known');
});

t.test('rewrites in place are read whole, each time, the second one too', async (t) => {
  const fs = newFs();
  fs.write(LOG, 'zero line\n');
  const h = harness(t, fs);
  await h.tail.start();
  await h.receive(1);
  fs.write(LOG, 'one  line\n'); // same length
  await h.receive(2);
  fs.write(LOG, 'two  line\n'); // same length again, soon after
  await h.receive(3);
  fs.write(LOG, 'a longer third rewrite\n');
  await h.receive(4);
  t.same(h.got.map((l) => `${l.text}@${l.start}`), ['zero line@0', 'one  line@0', 'two  line@0', 'a longer third rewrite@0']);
  t.equal(new Set(h.got.map((l) => l.key)).size, 4, 'each rewrite has its own key');
});

t.test('when the globs match the copies, a copy is read only from where the truncated file stopped', async (t) => {
  const fs = newFs();
  const first = lines('a', 100);
  fs.write(LOG, first);
  const h = harness(t, fs, { budgetBytes: 200, globs: ['/logs/*'] });
  await h.tail.start();
  await waitFor('reading stopped by the budget', () => h.budget.exhausted && h.got.length > 0);
  fs.copy(LOG, `${LOG}.1`);
  await h.tail.pollNow(); // the copy is seen before the truncation: not read from 0
  fs.truncate(LOG);
  fs.append(LOG, lines('b', 10));
  await h.receive(110);
  once(t, h.got, first + lines('b', 10));
});

t.test('a rotated file written after it was closed is read on from its checkpoint', async (t) => {
  const fs = newFs();
  fs.write(LOG, lines('g0', 5));
  const h = harness(t, fs);
  await h.tail.start();
  await h.receive(5);
  fs.rename(LOG, `${LOG}.1`);
  fs.write(LOG, lines('g1', 5));
  await h.receive(10);
  await waitFor('the rotated file retired', async () => {
    h.ackAll();
    await h.tail.pollNow();
    return h.tail.files().length === 1;
  });
  fs.append(`${LOG}.1`, lines('g0', 2, 5)); // a writer that never reopened
  fs.rename(`${LOG}.1`, `${LOG}.2`);
  fs.rename(LOG, `${LOG}.1`);
  fs.write(LOG, lines('g2', 1));
  await h.receive(13);
  once(t, h.got, lines('g0', 7) + lines('g1', 5) + lines('g2', 1));
});
