import t from 'tap';
import { eachLine } from '../../src/record/line-run.js';
import { type LineHandler, LineSplitter, type RunHandler } from '../../src/tail/line-splitter.js';

type Line = { text: string; start: number; end: number; truncated: boolean };

/** The lines of `chunks`; with `runs`, the lines wholly inside a chunk come as runs, counted in `runs.count`. */
function split(chunks: Buffer[], max = 1 << 20, startOffset = 0, runs?: { count: number }): Line[] {
  const s = new LineSplitter(max, startOffset);
  const out: Line[] = [];
  const onLine: LineHandler = (line, start, end, truncated) => out.push({ text: line.toString('latin1'), start, end, truncated });
  const onRun: RunHandler = (chunk, from, to, offset, maxLineBytes) => {
    runs!.count++;
    if (chunk[to - 1] !== 0x0a) out.push({ text: 'a run that does not end with a newline', start: from, end: to, truncated: false });
    eachLine(chunk, from, to, offset, maxLineBytes, onLine);
  };
  for (const c of chunks) s.push(c, onLine, runs ? onRun : undefined);
  return out;
}

/** A seeded PRNG, so a failure is reproducible from the printed seed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

t.test('lines, offsets, CRLF and the held partial line', async (t) => {
  const lines = split([Buffer.from('a\r\nbb\nccc'), Buffer.from('c\n\nlast-no-newline')]);
  t.same(lines, [
    { text: 'a', start: 0, end: 3, truncated: false },
    { text: 'bb', start: 3, end: 6, truncated: false },
    { text: 'cccc', start: 6, end: 11, truncated: false },
    { text: '', start: 11, end: 12, truncated: false },
  ]);
});

t.test('a CR split from its LF across chunks is still stripped', async (t) => {
  t.same(
    split([Buffer.from('x\r'), Buffer.from('\ny')]).map((l) => l.text),
    ['x'],
  );
});

t.test('offsets continue from a resumed position', async (t) => {
  const [line] = split([Buffer.from('abc\n')], 100, 1000);
  t.same(line, { text: 'abc', start: 1000, end: 1004, truncated: false });
});

t.test('property: any chunking of random lines gives back the same lines and offsets', async (t) => {
  let runCount = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const r = rng(seed);
    const n = 1 + Math.floor(r() * 50);
    const expected: Line[] = [];
    let offset = 0;
    let text = '';
    for (let i = 0; i < n; i++) {
      const len = Math.floor(r() * (r() < 0.1 ? 3000 : 40));
      let s = '';
      for (let j = 0; j < len; j++) s += String.fromCharCode(0x20 + Math.floor(r() * 0x5e));
      const crlf = r() < 0.2;
      text += s + (crlf ? '\r\n' : '\n');
      const end = offset + s.length + (crlf ? 2 : 1);
      expected.push({ text: s, start: offset, end, truncated: false });
      offset = end;
    }
    const all = Buffer.from(text, 'latin1');
    const chunks: Buffer[] = [];
    for (let pos = 0; pos < all.length; ) {
      const size = 1 + Math.floor(r() * (r() < 0.5 ? 8 : 4096));
      chunks.push(all.subarray(pos, pos + size));
      pos += size;
    }
    for (const runs of [undefined, { count: 0 }]) {
      const got = split(chunks, 1 << 20, 0, runs);
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        t.fail(`seed ${seed}${runs ? ', in runs' : ''}: lines differ`);
        t.same(got, expected);
        return;
      }
      runCount += runs?.count ?? 0;
    }
  }
  t.pass('200 random chunkings agree, line by line and in runs');
  t.ok(runCount > 200, `lines came in runs too (${runCount} runs)`);
});

t.test('a line over the limit is cut, marked, and the rest dropped up to its newline', async (t) => {
  const long = 'x'.repeat(100);
  for (const size of [1, 7, 64, 1000]) {
    const all = Buffer.from(`ok\n${long}\nafter\n`);
    const chunks: Buffer[] = [];
    for (let p = 0; p < all.length; p += size) chunks.push(all.subarray(p, p + size));
    const lines = split(chunks, 10);
    t.same(
      lines,
      [
        { text: 'ok', start: 0, end: 3, truncated: false },
        { text: 'x'.repeat(10), start: 3, end: 104, truncated: true },
        { text: 'after', start: 104, end: 110, truncated: false },
      ],
      `chunk size ${size}`,
    );
  }
});

t.test('memory stays bounded by the limit while a huge line has no newline', async (t) => {
  const s = new LineSplitter(1024);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 0; i < 100; i++) s.push(chunk, () => t.fail('no line expected'));
  t.ok(s.pendingBytes <= 1025, `held ${s.pendingBytes} bytes`);
  t.equal(s.pendingStart, 0);
  t.equal(s.next, 100 * 64 * 1024);
});

t.test('flush emits a held line; reset forgets it', async (t) => {
  const s = new LineSplitter(100);
  const out: string[] = [];
  s.push(Buffer.from('a\npart'), (l) => out.push(l.toString()));
  t.equal(s.pendingStart, 2);
  s.flush((l, start, end) => out.push(`${l}@${start}-${end}`));
  t.same(out, ['a', 'part@2-6']);
  s.push(Buffer.from('zz'), () => {});
  s.reset(0);
  t.equal(s.pendingBytes, 0);
  t.equal(s.next, 0);
});
