// The tail side in-process, on real files: what reaches the sink, rotation, and what the
// checkpoint says before and after acknowledgements. (The built process is driven by
// test/e2e/tailing.test.ts; here the state in between is visible.)
import { appendFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { MemoryBudget } from '../../src/ack/memory-budget.js';
import type { FileTailer } from '../../src/tail/file-tailer.js';
import { globSet } from '../../src/tail/glob-set.js';
import type { TailOptions } from '../../src/tail/tail-interfaces.js';
import { TailManager } from '../../src/tail/tail-manager.js';
import { waitFor } from '../helpers/wait-for.js';

interface Line {
  tailer: FileTailer;
  text: string;
  start: number;
  end: number;
}

function setup(dir: string, over: Partial<TailOptions> = {}) {
  const lines: Line[] = [];
  const events: string[] = [];
  const tail = new TailManager(
    globSet([`${dir}/*.log`], []),
    {
      host: 'test',
      startAt: 'beginning',
      firstRun: true,
      maxLineBytes: 1024,
      readChunkBytes: 4096,
      pollIntervalMs: 50,
      pollOnly: true,
      rotateWaitMs: 100,
      checkpointTtlMs: 60_000,
      ...over,
    },
    {
      line: (tailer, line, start, end) => lines.push({ tailer, text: line.toString(), start, end }),
      end: () => {},
    },
    new MemoryBudget(1 << 20),
    {
      fileOpened: (path, offset) => events.push(`opened ${path.slice(dir.length + 1)}@${offset}`),
      fileClosed: (path) => events.push(`closed ${path.slice(dir.length + 1)}`),
      truncated: () => events.push('truncated'),
      rotated: (path) => events.push(`rotated ${path.slice(dir.length + 1)}`),
      openFailed: (path, code) => events.push(`failed ${path} ${code}`),
      bytesRead: () => {},
      failed: (error) => events.push(`error ${String(error)}`),
    },
    [],
  );
  /** Acknowledges everything read so far, as delivered batches would. */
  const ackAll = () => {
    const last = new Map<FileTailer, number>();
    for (const l of lines) last.set(l.tailer, l.end);
    for (const [tailer, end] of last) tailer.ackQueue.ack(tailer.ackQueue.add(end));
  };
  return { tail, lines, events, ackAll };
}

t.test('rotation: the old file is drained, closed after the wait, and keeps its checkpoint', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-tm-'));
  const path = join(dir, 'app.log');
  writeFileSync(path, 'one\ntwo\n');
  const { tail, lines, events, ackAll } = setup(dir);
  t.teardown(() => tail.close());
  await tail.start();
  await waitFor('two lines', () => lines.length === 2);
  t.same(
    lines.map((l) => [l.text, l.start, l.end]),
    [
      ['one', 0, 4],
      ['two', 4, 8],
    ],
  );
  t.same(tail.checkpoints(0).map((c) => c.offset), [0], 'nothing acknowledged: the checkpoint stays at 0');

  renameSync(path, `${path}.1`);
  appendFileSync(`${path}.1`, 'three (written before the writer reopened)\n');
  writeFileSync(path, 'four\n');
  await tail.pollNow();
  await waitFor('four lines', () => lines.length === 4);
  t.same(lines.map((l) => l.text).slice(2).sort(), ['four', 'three (written before the writer reopened)']);
  t.same(
    tail.files().map((f) => f.state).sort(),
    ['open', 'rotated'],
  );
  // Closed once quiet for the rotate wait; kept until its lines are acknowledged.
  await waitFor('the rotated file closed', async () => {
    await tail.pollNow();
    return events.some((e) => e === 'closed app.log');
  });
  t.ok(tail.files().some((f) => f.state === 'closed'), 'closed, but not retired: its lines are not acknowledged');
  ackAll();
  await tail.pollNow();
  t.same(tail.files().map((f) => f.state), ['open'], 'retired once acknowledged');
  const offsets = tail.checkpoints(0).map((c) => c.offset).sort((a, b) => a - b);
  t.same(offsets, [5, 51], 'both files checkpointed at their acknowledged ends');
  t.same(
    events.filter((e) => !e.startsWith('opened')),
    ['rotated app.log', 'closed app.log'],
  );
});

t.test('a checkpointed file resumes at its offset with its key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-tm-'));
  const path = join(dir, 'app.log');
  writeFileSync(path, 'one\ntwo\n');
  const first = setup(dir);
  await first.tail.start();
  await waitFor('two lines', () => first.lines.length === 2);
  first.ackAll();
  const saved = first.tail.checkpoints(Date.now());
  await first.tail.close();
  appendFileSync(path, 'three\n');

  const lines: string[] = [];
  const second = new TailManager(
    globSet([`${dir}/*.log`], []),
    { host: 'test', startAt: 'beginning', firstRun: false, maxLineBytes: 1024, readChunkBytes: 4096, pollIntervalMs: 50, pollOnly: true, rotateWaitMs: 100, checkpointTtlMs: 60_000 },
    { line: (tailer, line) => lines.push(`${tailer.key}:${line}`), end: () => {} },
    new MemoryBudget(1 << 20),
    { fileOpened() {}, fileClosed() {}, truncated() {}, rotated() {}, openFailed() {}, bytesRead() {}, failed() {} },
    saved,
  );
  t.teardown(() => second.close());
  await second.start();
  await waitFor('the new line', () => lines.length === 1);
  t.same(lines, [`${saved[0]!.key}:three`]);
});

// --- many files: descriptor slots and parked files (docs/architecture.md, Tail side) ---

const texts = (lines: Line[], file: string) => lines.filter((l) => l.tailer.path.endsWith(file)).map((l) => l.text);

t.test('more files than slots: every line read once, never more descriptors than the limit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-tm-'));
  const names = Array.from({ length: 7 }, (_, i) => `f${i}.log`);
  for (const n of names) writeFileSync(join(dir, n), `${n} 1\n${n} 2\n`);
  const { tail, lines, ackAll } = setup(dir, { maxOpenFiles: 2, nofileSoftLimit: null });
  t.teardown(() => tail.close());
  let peak = 0;
  await tail.start();
  await waitFor('every line', () => {
    peak = Math.max(peak, tail.openFiles);
    return lines.length >= 14;
  });
  for (const n of names) t.same(texts(lines, n), [`${n} 1`, `${n} 2`], `${n}: each line once, in order`);
  t.ok(peak <= 2, `at most 2 descriptors held (peak ${peak})`);
  t.equal(tail.watchedFiles, 7, 'every file still tailed');
  t.ok(tail.files().some((f) => f.state === 'parked'), 'some parked');
  ackAll();
  const sizes = names.map((n) => 2 * (n.length + 3));
  t.same(tail.checkpoints(Date.now()).map((c) => c.offset).sort(), sizes.sort(), 'every file checkpointed at its end');
});

t.test('a parked file that grows is opened again by identity and read on from where it stopped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-tm-'));
  const path = join(dir, 'app.log');
  writeFileSync(path, 'one\n');
  const { tail, lines, ackAll } = setup(dir, { closeInactiveMs: 50 });
  t.teardown(() => tail.close());
  await tail.start();
  await waitFor('one line', () => lines.length === 1);
  const tailer = lines[0]!.tailer;
  await waitFor('parked after being quiet', () => tail.openFiles === 0);
  t.ok(tailer.parked);
  t.equal(tail.files()[0]?.state, 'parked');
  ackAll();
  const before = tail.checkpoints(Date.now());
  appendFileSync(path, 'two\n');
  await waitFor('the new line', () => lines.length === 2);
  t.same(lines.map((l) => [l.text, l.start, l.end]), [['one', 0, 4], ['two', 4, 8]], 'only the new line, at its offset');
  t.equal(lines[1]!.tailer, tailer, 'the same tailer: same key, same record ids');
  t.notOk(tailer.parked, 'open again');
  t.same(before.map((c) => [c.key, c.offset]), [[tailer.key, 4]], 'the checkpoint was unchanged by parking');
});

t.test('a parked file rotated away and written to: its new lines read once, the new file from 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-tm-'));
  const path = join(dir, 'app.log');
  writeFileSync(path, 'one\n');
  const { tail, lines, ackAll } = setup(dir, { closeInactiveMs: 50 });
  t.teardown(() => tail.close());
  await tail.start();
  await waitFor('one line', () => lines.length === 1);
  await waitFor('parked', () => tail.openFiles === 0);
  ackAll();
  renameSync(path, `${path}.1`);
  appendFileSync(`${path}.1`, 'late\n'); // nginx writes on until it reopens
  writeFileSync(path, 'new\n');
  await waitFor('the late line and the new file', () => lines.length === 3, { timeoutMs: 15_000 });
  t.same(lines.map((l) => l.text).sort(), ['late', 'new', 'one']);
  t.equal(lines.find((l) => l.text === 'late')?.start, 4, 'the rotated file read on from its offset');
});
