// The dead-letter file: one line per refused record, capped by rolling over at half the
// cap, with what falls off counted, across restarts too.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DEAD_LETTER_FILE, DeadLetterFile } from '../../src/ship/dead-letter.js';

const T0 = Date.parse('2026-11-25T21:00:00.000Z');

function lines(path: string): Array<Record<string, unknown>> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Entries of `size` bytes of request text, numbered from `from`. */
function entries(from: number, count: number, size = 100) {
  return Array.from({ length: count }, (_, i) => ({
    reason: 'HTTP 400: bad',
    status: 400,
    request: `#${from + i} `.padEnd(size, 'x'),
  }));
}

t.test('one JSON line per record: time, status, reason, request', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-dl-'));
  const dl = new DeadLetterFile(dir, 1 << 20);
  t.equal(dl.path, join(dir, DEAD_LETTER_FILE));
  const dropped = await dl.write(
    [
      { reason: 'HTTP 400: {"error":"mapping"}', status: 400, request: '{"message":"a \\"quoted\\" line"}\n' },
      { reason: 'bulk item 400', request: '{"message":"b"}\n' },
    ],
    T0,
  );
  t.equal(dropped, 0);
  t.same(lines(dl.path), [
    { time: '2026-11-25T21:00:00.000Z', status: 400, reason: 'HTTP 400: {"error":"mapping"}', request: '{"message":"a \\"quoted\\" line"}\n' },
    { time: '2026-11-25T21:00:00.000Z', status: null, reason: 'bulk item 400', request: '{"message":"b"}\n' },
  ]);
});

t.test('concurrent writes never interleave and all land', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-dl-'));
  const dl = new DeadLetterFile(dir, 1 << 30);
  await Promise.all(Array.from({ length: 20 }, (_, i) => dl.write(entries(i * 50, 50), T0)));
  const got = lines(dl.path).map((l) => Number(/^#(\d+)/.exec(l['request'] as string)![1]));
  t.equal(got.length, 1000);
  t.same([...got].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i), 'each once');
  // Each write's 50 lines are contiguous, in order.
  for (let i = 0; i < got.length; i += 50) {
    const block = got.slice(i, i + 50);
    if (!block.every((v, j) => v === block[0]! + j)) t.fail(`block at ${i} interleaved`);
  }
});

t.test('capped: the pair of files stays within the cap; the oldest go first and are counted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-dl-'));
  const cap = 64 * 1024;
  const dl = new DeadLetterFile(dir, cap);
  let dropped = 0;
  let written = 0;
  // 300 writes of 5 entries of ~200 bytes of line each: ~300 KB through a 64 KiB cap.
  for (let i = 0; i < 300; i++) {
    dropped += await dl.write(entries(written, 5), T0);
    written += 5;
    const size = statSync(dl.path).size + (existsSync(`${dl.path}.1`) ? statSync(`${dl.path}.1`).size : 0);
    if (size > cap) t.fail(`after write ${i}: ${size} bytes > cap ${cap}`);
  }
  const kept = [...lines(`${dl.path}.1`), ...lines(dl.path)].map((l) => Number(/^#(\d+)/.exec(l['request'] as string)![1]));
  t.ok(kept.length > 0 && kept.length < written, `kept ${kept.length} of ${written}`);
  t.same(kept, Array.from({ length: kept.length }, (_, i) => written - kept.length + i), 'the newest are kept, in order');
  t.equal(dropped, written - kept.length, 'every dropped record is counted, no more');
});

t.test('one write larger than the cap does not break the bound', async (t) => {
  // A rejected batch of 10,000 records with a 1 KiB reason each is far more than a
  // small cap; the files must still stay within it.
  const dir = mkdtempSync(join(tmpdir(), 'tailship-dl-'));
  const cap = 16 * 1024;
  const dl = new DeadLetterFile(dir, cap);
  let dropped = await dl.write(entries(0, 10), T0);
  dropped += await dl.write(entries(10, 500), T0);
  const size = statSync(dl.path).size + (existsSync(`${dl.path}.1`) ? statSync(`${dl.path}.1`).size : 0);
  t.ok(size <= cap, `${size} bytes on disk within the cap of ${cap}`);
  const kept = [...lines(`${dl.path}.1`), ...lines(dl.path)].map((l) => Number(/^#(\d+)/.exec(l['request'] as string)![1]));
  t.ok(kept.length > 0, `some kept (${kept.length})`);
  t.equal(kept.at(-1), 509, 'the newest record is kept');
  t.equal(dropped, 510 - kept.length, 'the rest are counted as dropped');
});

t.test('after a restart, records already in the files are counted when they are dropped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-dl-'));
  const cap = 16 * 1024;
  const before = new DeadLetterFile(dir, cap);
  let written = 0;
  let dropped = 0;
  for (let i = 0; i < 30; i++) {
    dropped += await before.write(entries(written, 2), T0);
    written += 2;
  }
  t.ok(existsSync(`${before.path}.1`), 'rolled over at least once');
  // A new process: same files, fresh object.
  const after = new DeadLetterFile(dir, cap);
  for (let i = 0; i < 60; i++) {
    dropped += await after.write(entries(written, 2), T0);
    written += 2;
  }
  const kept = [...lines(`${after.path}.1`), ...lines(after.path)].length;
  t.equal(dropped, written - kept, `dropped ${dropped} = written ${written} - kept ${kept}`);
});

t.test('an unreadable existing file is treated as empty, not as a crash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-dl-'));
  writeFileSync(join(dir, DEAD_LETTER_FILE), 'not json at all\n');
  const dl = new DeadLetterFile(dir, 1 << 20);
  t.equal(await dl.write(entries(0, 1), T0), 0);
  t.equal(readFileSync(dl.path, 'utf8').split('\n').filter(Boolean).length, 2, 'appended after what was there');
});

t.test('a failed write rejects that call only; later writes still work', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-dl-'));
  const missing = join(dir, 'gone');
  const dl = new DeadLetterFile(missing, 1 << 20);
  await t.rejects(dl.write(entries(0, 1), T0), { code: 'ENOENT' });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(missing);
  t.equal(await dl.write(entries(1, 1), T0), 0);
  t.equal(lines(dl.path).length, 1);
});

t.test('one record larger than half the cap is cut to fit, and says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-dl-'));
  const cap = 8 * 1024;
  const dl = new DeadLetterFile(dir, cap);
  const request = `{"message":"${'y'.repeat(20_000)}"}\n`;
  t.equal(await dl.write([{ reason: `HTTP 413: ${'r'.repeat(3_000)}`, status: 413, request }], T0), 0);
  const [line] = lines(dl.path);
  t.ok(statSync(dl.path).size <= cap / 2, 'within half the cap');
  t.match(line, { status: 413, truncated: true, requestBytes: Buffer.byteLength(request) });
  t.ok((line!['request'] as string).startsWith('{"message":"yyy'), 'the start of the request is kept');
  t.ok((line!['reason'] as string).startsWith('HTTP 413: rrr'), 'and of the reason');
});
