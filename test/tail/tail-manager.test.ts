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
