// Checkpoints on disk: atomic writes, a corrupt file set aside, an unwritable state dir
// refused at start.
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import type { CheckpointEntry } from '../../src/checkpoint/checkpoint-format.js';
import { CheckpointStore, prepareStateDir } from '../../src/checkpoint/checkpoint-store.js';

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

t.test('a state dir that cannot be used is a clear error saying why', async (t) => {
  const store = new CheckpointStore('/proc/tailship-state', silent);
  // Not even root can create a folder in /proc: mkdir answers ENOENT there.
  await t.rejects(store.prepare(), {
    code: 'ERR_STATE_DIR',
    message: 'state dir /proc/tailship-state cannot be created (ENOENT); set TAILSHIP_STATE_DIR to a writable volume',
  });
  const dir = mkdtempSync(join(tmpdir(), 'tailship-ckpt-'));
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  await t.rejects(prepareStateDir(file), { code: 'ERR_STATE_DIR', message: `state dir ${file} is not a directory (ENOTDIR); set TAILSHIP_STATE_DIR to a writable volume` });
  await t.rejects(prepareStateDir(join(file, 'state')), { code: 'ERR_STATE_DIR', message: new RegExp(`^state dir ${file}/state cannot be created \\(ENOTDIR\\)`) });
  // An existing folder the process cannot write to (root writes anywhere else).
  await t.rejects(prepareStateDir('/proc/self'), { code: 'ERR_STATE_DIR', message: /^state dir \/proc\/self is not writable \(/ });
});

t.test('the state dir is created with its parents; a check removes what it created', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-ckpt-'));
  await prepareStateDir(join(dir, 'a', 'b', 'state'), false);
  t.same(readdirSync(dir), [], 'a check leaves no trace');
  await prepareStateDir(join(dir, 'a', 'b', 'state'));
  t.same(readdirSync(join(dir, 'a', 'b', 'state')), [], 'start-up keeps it, without the probe file');
  await prepareStateDir(join(dir, 'a', 'b', 'state'), false);
  t.ok(existsSync(join(dir, 'a', 'b', 'state')), 'a check never removes a folder it found');
});
