// Checkpoints on disk: atomic writes, a corrupt file set aside, an unwritable state dir
// refused at start.
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import type { CheckpointEntry } from '../../src/checkpoint/checkpoint-format.js';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.js';

const silent = pino({ level: 'silent' });
const entry = (offset: number, seenMs: number): CheckpointEntry => ({
  key: '0123456789abcdef',
  dev: 1,
  ino: 2,
  fpLen: 3,
  fpHash: 'abc',
  offset,
  path: '/pod-data/a.log',
  seenMs,
});

t.test('writes atomically, reads back, and skips a write when only times changed', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'tailship-ckpt-')), 'state', 'nested');
  const store = new CheckpointStore(dir, silent);
  await store.prepare();
  t.same(await store.load(), []);
  t.notOk(store.existed, 'no file yet: a first run');
  await store.write([entry(10, 1)], 1000);
  const first = statSync(store.path);
  await store.write([entry(10, 2)], 2000);
  t.equal(statSync(store.path).mtimeMs, first.mtimeMs, 'unchanged but for seenMs: not rewritten');
  await store.write([entry(20, 3)], 3000);
  t.same(readdirSync(dir).sort(), ['checkpoints.json'], 'no temp file left behind');
  const again = new CheckpointStore(dir, silent);
  t.same(await again.load(), [entry(20, 3)]);
  t.ok(again.existed);
});

t.test('a corrupt file is moved aside and loading starts empty', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-ckpt-'));
  writeFileSync(join(dir, 'checkpoints.json'), '{"version":1,"files":[{"key":');
  const store = new CheckpointStore(dir, silent);
  t.same(await store.load(), []);
  t.ok(store.existed, 'a corrupt file still means this is not a first run');
  t.ok(readdirSync(dir).some((f) => f.startsWith('checkpoints.json.corrupt-')));
});

t.test('an unwritable state dir is a clear error', async (t) => {
  const store = new CheckpointStore('/proc/tailship-state', silent);
  await t.rejects(store.prepare(), { code: 'ERR_STATE_DIR', message: /state dir \/proc\/tailship-state is not writable .*TAILSHIP_STATE_DIR/ });
});
