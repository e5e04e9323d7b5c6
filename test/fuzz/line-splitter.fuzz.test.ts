// The line splitter on arbitrary bytes in arbitrary chunks, against a reference split of
// the concatenation (docs/architecture.md, Memory: the line cap).
import fc from 'fast-check';
import t from 'tap';
import { LineSplitter } from '../../src/tail/line-splitter.js';
import { bytes, holds } from './arbitraries.js';

interface Line {
  readonly bytes: string;
  readonly start: number;
  readonly end: number;
  readonly truncated: boolean;
}

/**
 * The rule, stated on the whole input: lines end at `\n`; one `\r` before it is not part
 * of the line; a line longer than `max` is cut to its first `max` bytes and marked; the
 * bytes after the last `\n` are a partial line, emitted only by `flush`.
 */
function reference(all: Buffer, max: number, offset: number, flushed: boolean): Line[] {
  const out: Line[] = [];
  let from = 0;
  const emit = (to: number, end: number) => {
    let line = all.subarray(from, to);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    const truncated = line.length > max;
    out.push({ bytes: line.subarray(0, max).toString('hex'), start: offset + from, end: offset + end, truncated });
  };
  for (let nl = all.indexOf(0x0a); nl >= 0; nl = all.indexOf(0x0a, from)) {
    emit(nl, nl + 1);
    from = nl + 1;
  }
  if (flushed && from < all.length) emit(all.length, all.length);
  return out;
}

/** Cut points that split `all` into chunks, some empty, some of one byte. */
const chunked = (input: fc.Arbitrary<Buffer>) =>
  input.chain((all) =>
    fc.array(fc.integer({ min: 0, max: all.length }), { maxLength: 20 }).map((cuts) => {
      const points = [0, ...cuts.sort((a, b) => a - b), all.length];
      return { all, chunks: points.slice(1).map((p, i) => all.subarray(points[i], p)) };
    }),
  );

/** Bytes rich in `\n` and `\r`, so lines are short and every edge (CR at a cut, empty line) comes up. */
const lineyBytes = fc
  .array(fc.oneof(fc.constantFrom(0x0a, 0x0d, 0x0d, 0x61), fc.integer({ min: 0, max: 255 })), { maxLength: 300 })
  .map((b) => Buffer.from(b));

function split(chunks: readonly Buffer[], max: number, offset: number, flush: boolean) {
  const s = new LineSplitter(max, offset);
  const lines: Line[] = [];
  const onLine = (line: Buffer, start: number, end: number, truncated: boolean) =>
    lines.push({ bytes: line.toString('hex'), start, end, truncated });
  let heldMax = 0;
  for (const c of chunks) {
    // The chunk is reused by the tail after push: lines must not keep a view of it.
    s.push(Buffer.from(c), onLine);
    heldMax = Math.max(heldMax, s.pendingBytes);
  }
  const pendingStart = s.pendingStart;
  if (flush) s.flush(onLine);
  return { lines, heldMax, next: s.next, pendingStart };
}

const input = fc.oneof(chunked(lineyBytes), chunked(bytes(400)));

t.test('any chunking gives the lines, offsets and truncation of splitting the whole input', async (t) => {
  const property = fc.property(
    input,
    fc.integer({ min: 1, max: 40 }),
    fc.nat({ max: 2 ** 40 }),
    fc.boolean(),
    ({ all, chunks }, max, offset, flush) => {
      const got = split(chunks, max, offset, flush);
      const expected = reference(all, max, offset, flush);
      if (JSON.stringify(got.lines) !== JSON.stringify(expected)) return false;
      // Memory: a partial line never holds more than the cap and a possible '\r'.
      if (got.heldMax > max + 1) return false;
      if (got.next !== offset + all.length) return false;
      // Where a checkpoint may stand: past the last complete line, never inside one.
      const lastNl = all.lastIndexOf(0x0a);
      return got.pendingStart === offset + (lastNl + 1);
    },
  );
  await holds(t, 'line splitter: chunkings of arbitrary bytes, small caps', property, 2000);
});

t.test('lines under the cap, in chunks of any size, come out byte for byte', async (t) => {
  const property = fc.property(
    fc.array(fc.tuple(bytes(200), fc.constantFrom('\n', '\r\n')), { maxLength: 30 }),
    fc.integer({ min: 1, max: 5000 }),
    (lines, chunkSize) => {
      const body = lines.map(([b]) => Buffer.from(b.filter((c) => c !== 0x0a)));
      const all = Buffer.concat(body.flatMap((b, i) => [b, Buffer.from(lines[i]![1])]));
      const chunks: Buffer[] = [];
      for (let p = 0; p < all.length; p += chunkSize) chunks.push(all.subarray(p, p + chunkSize));
      const got = split(chunks, 1 << 20, 0, false).lines;
      // A line ending in '\r' with a bare '\n' after it loses that '\r': it reads as CRLF.
      const want = body.map((b, i) => (lines[i]![1] === '\n' && b.at(-1) === 0x0d ? b.subarray(0, -1) : b).toString('hex'));
      return JSON.stringify(got.map((l) => l.bytes)) === JSON.stringify(want) && got.every((l) => !l.truncated);
    },
  );
  await holds(t, 'line splitter: lines under the cap are recovered exactly', property, 500);
});
