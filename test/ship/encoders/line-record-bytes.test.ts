// The byte form of a plain line's record (line-record-bytes.ts) is byte for byte the
// UTF-8 of the record text the string way makes (the encoder's `text`), on every byte
// value, invalid UTF-8 left to the string way, and through a whole batch body for NDJSON,
// JSON arrays and Elasticsearch bulk bodies; and a run of lines rendered whole
// (renderRun) is the same records as its lines one at a time.
import t from 'tap';
import { AckQueue } from '../../../src/ack/ack-queue.js';
import { MemoryBudget } from '../../../src/ack/memory-budget.js';
import type { Batch } from '../../../src/batch/batch.js';
import { Batcher } from '../../../src/batch/batcher.js';
import type { LogRecord, PlainLine, RecordContext } from '../../../src/record/log-record.js';
import { RecordAssembler } from '../../../src/record/record-assembler.js';
import { recordId } from '../../../src/record/record-id.js';
import type { Encoder } from '../../../src/ship/encoders/encoder.js';
import { elasticsearchEncoder } from '../../../src/ship/encoders/elasticsearch.js';
import { jsonArrayEncoder } from '../../../src/ship/encoders/json-array.js';
import { LineRecordBytes } from '../../../src/ship/encoders/line-record-bytes.js';
import { ndjsonEncoder } from '../../../src/ship/encoders/ndjson.js';

const ctx: RecordContext = {
  host: 'web-1 "quoted"',
  kubernetes: { pod: 'web-1', namespace: 'shop', node: 'n1', podIp: '10.0.0.1', container: 'nginx' },
  fields: [['team', 'a\\b']],
  timestampField: '@timestamp',
};

/** The record the string way makes of a plain line (record-assembler.ts). */
function recordOf(p: PlainLine): LogRecord {
  return {
    message: p.line.toString('utf8'),
    timeMs: p.timeMs,
    readTimeMs: p.timeMs,
    file: p.file,
    offset: p.offset,
    id: recordId(p.key, p.offset),
    truncated: p.truncated,
  };
}

/** The record rendered at an offset of a larger buffer; fails if it passes its room. */
function viaBytes(enc: LineRecordBytes, p: PlainLine): Buffer | undefined {
  const most = enc.most(p);
  const out = Buffer.alloc(most + 8, 0xee);
  const end = enc.render(p, out, 4);
  if (end < 0) return undefined;
  if (end > 4 + most || out[4 + most] !== 0xee) throw new Error(`rendered past its room of ${most} bytes`);
  return out.subarray(4, end);
}

/** A deterministic generator (xorshift), so a failure names its seed and repeats. */
function random(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

t.test('every single byte value, as a line and inside one', async (t) => {
  const ndjson = ndjsonEncoder(ctx);
  const enc = new LineRecordBytes(ctx, '\n');
  for (let b = 0; b < 256; b++) {
    for (const line of [Buffer.from([b]), Buffer.from([0x61, b, 0x62, b])]) {
      const p: PlainLine = { line, key: 'a1b2c3d4e5f60718', file: '/logs/a.log', offset: b * 977, truncated: b % 2 === 0, timeMs: 1_764_000_000_000 + b };
      const bytes = viaBytes(enc, p);
      if (b >= 0x80) {
        t.equal(bytes, undefined, `0x${b.toString(16)} alone is not UTF-8: left to the string way`);
        continue;
      }
      t.same(bytes?.toString('latin1'), Buffer.from(ndjson.text!(recordOf(p))).toString('latin1'), `byte 0x${b.toString(16)}`);
    }
  }
});

t.test('arbitrary lines, files, offsets and times match the string way', async (t) => {
  const seed = Date.now() % 1_000_000;
  t.comment(`seed ${seed}`);
  const next = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const pieces = ['GET /a?b=1', '"', '\\', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '€', '😀', '\u2028', ' ', 'x'.repeat(40)];
  const epoch = new LineRecordBytes({ ...ctx, epochTimeField: 'time' }, '\n');
  const ndjsonEpoch = ndjsonEncoder({ ...ctx, epochTimeField: 'time' });
  const plain = new LineRecordBytes(ctx, '');
  const json = jsonArrayEncoder(ctx);
  const bulk = elasticsearchEncoder(ctx, { index: 'logs-%Y.%m.%d-%H' });
  let cases = 0;
  let invalid = 0;
  for (let i = 0; i < 5000; i++) {
    let text = '';
    const n = Math.floor(next() * 12);
    for (let j = 0; j < n; j++) text += pick(pieces);
    let line = Buffer.from(text);
    if (next() < 0.1) line = Buffer.concat([line, Buffer.from([0xc3])]); // a cut UTF-8 sequence
    const p: PlainLine = {
      line,
      key: pick(['a1b2c3d4e5f60718', '0000000000000000']),
      file: pick(['/logs/access.log', '/logs/we"ird\nname.log', '/logs/é.log']),
      offset: Math.floor(next() * 2 ** 45),
      truncated: next() < 0.2,
      timeMs: 1_764_000_000_000 + Math.floor(next() * 3000),
    };
    for (const [enc, text] of [
      [epoch, ndjsonEpoch.text!],
      [plain, json.text!],
      [bulk.lines as LineRecordBytes, bulk.text!],
    ] as const) {
      const bytes = viaBytes(enc, p);
      cases++;
      if (bytes === undefined) {
        invalid++;
        t.notOk(Buffer.from(p.line.toString('utf8')).equals(p.line), 'only invalid UTF-8 is refused');
        continue;
      }
      const expected = Buffer.from(text(recordOf(p)));
      if (!bytes.equals(expected)) {
        t.same(bytes.toString(), expected.toString(), `seed ${seed}, case ${i}`);
        return;
      }
    }
  }
  t.comment(`${cases} cases, ${invalid} left to the string way`);
  t.ok(invalid > 0 && invalid < cases, 'both ways were taken');
});

t.test('long lines and names, and an escape or a byte above ASCII at every place of a 16-byte block', async (t) => {
  const ndjson = ndjsonEncoder(ctx);
  const enc = new LineRecordBytes(ctx, '\n');
  const p = (line: Buffer, file = '/logs/a.log'): PlainLine => ({ line, key: 'a1b2c3d4e5f60718', file, offset: 2 ** 40 + 7, truncated: false, timeMs: 1_764_000_000_000 });
  const check = (q: PlainLine, what: string) => {
    const bytes = viaBytes(enc, q);
    const text = Buffer.from(ndjson.text!(recordOf(q)));
    if (bytes === undefined) t.notOk(Buffer.from(q.line.toString('utf8')).equals(q.line), `${what}: refused, and not UTF-8`);
    else t.ok(bytes.equals(text), what);
  };
  for (let at = 0; at < 41; at++) {
    for (const b of [0x22, 0x5c, 0x0a, 0x01, 0x7f, 0xff]) {
      const line = Buffer.alloc(41, 0x61);
      line[at] = b;
      check(p(line), `0x${b.toString(16)} at ${at} of 41`);
    }
    const utf8 = Buffer.concat([Buffer.alloc(at, 0x61), Buffer.from('é€😀'), Buffer.alloc(40 - at, 0x62)]);
    check(p(utf8), `valid UTF-8 at ${at}`);
  }
  // Past the memory the module starts with (64 KiB), and back to short lines after it grew.
  const long = Buffer.alloc(300_000, 0x61);
  for (let i = 0; i < long.length; i += 997) long[i] = 0x22;
  long[150_000] = 0x01;
  check(p(long), 'a 300 KB line');
  check(p(long, `/logs/${'d'.repeat(3000)}/"x".log`), 'a 300 KB line and a 3,000-byte name');
  check(p(Buffer.from('short "again"')), 'a short line after the memory grew');
});

/** The batches made from `lines`, through `addLine` (bytes) or `add` (records). */
function batches(encoder: Encoder<Buffer>, lines: PlainLine[], bytes: boolean): Array<Batch<Buffer>> {
  const sent: Array<Batch<Buffer>> = [];
  const batcher = new Batcher(encoder, { maxBytes: 700, maxEvents: 5, lingerMs: 60_000 }, new MemoryBudget(1 << 20), (b) =>
    sent.push(b),
  );
  const queue = new AckQueue(0);
  for (const p of lines) {
    const end = p.offset + p.line.length + 1;
    if (!(bytes && batcher.addLine(p, queue, end))) batcher.add(recordOf(p), queue, end);
  }
  batcher.flush();
  batcher.shutdown();
  return sent;
}

/** Each record's bytes, in order, across batches (a batch made from bytes may end a record sooner). */
const recordsOf = (sent: Array<Batch<Buffer>>) => sent.flatMap((b) => b.fragments.map((f) => f.toString('latin1')));

t.test('a batch body made from bytes equals the one made from records', async (t) => {
  const lines: PlainLine[] = [];
  let offset = 0;
  for (let i = 0; i < 40; i++) {
    const line = i % 7 === 3 ? Buffer.from([0x61, 0xff, 0x62]) : Buffer.from(`10.0.0.${i} - - "GET /x?q=${'"'.repeat(i % 3)} HTTP/1.1" 200 ${i * 13}`);
    lines.push({ line, key: 'a1b2c3d4e5f60718', file: i < 20 ? '/l/a.log' : '/l/b.log', offset, truncated: i === 5, timeMs: 1_764_000_000_000 + (i >> 2) });
    offset += line.length + 1;
  }
  for (const [name, encoder] of [
    ['ndjson', ndjsonEncoder(ctx)],
    ['json', jsonArrayEncoder(ctx)],
    ['elasticsearch', elasticsearchEncoder(ctx, { index: undefined })],
  ] as const) {
    const viaBytes = batches(encoder, lines, true);
    t.ok(viaBytes.length > 3, `${name}: several batches (the size limit was met)`);
    t.ok(viaBytes.every((b) => b.body!.length <= 700 + 2), `${name}: no batch over its limit`);
    t.same(recordsOf(viaBytes), recordsOf(batches(encoder, lines, false)), `${name}: the same records`);
    for (const b of viaBytes) {
      const body = b.body!.toString('utf8');
      const parsed = name === 'json' ? JSON.parse(body) : body.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      t.equal(parsed.length, (name === 'elasticsearch' ? 2 : 1) * b.count, `${name}: the body parses, one object per record (and its action)`);
    }
  }
});

/**
 * What the record stage makes of the lines [from, to) of `chunk` through a batcher:
 * a run at a time (`runs`) or a line at a time. Returns the batches and the file's end.
 */
function fromRun(
  encoder: Encoder<Buffer>,
  chunk: Buffer,
  maxLineBytes: number,
  limits: { maxBytes: number; maxEvents: number },
  runs: boolean,
) {
  const sent: Array<Batch<Buffer>> = [];
  const batcher = new Batcher(encoder, { ...limits, lingerMs: 60_000 }, new MemoryBudget(1 << 30), (b) => sent.push(b));
  const assembler = new RecordAssembler(
    (record, queue, end) => batcher.add(record, queue, end),
    { context: ctx, parsers: [], parserRegex: undefined, multiline: undefined, maxRecordBytes: maxLineBytes },
    undefined,
    (line, queue, end) => batcher.addLine(line, queue, end),
    runs ? (run, queue) => batcher.addRun(run, queue) : undefined,
  );
  const src = { key: 'a1b2c3d4e5f60718', path: '/logs/a.log', ackQueue: new AckQueue(0) };
  // The run starts 3 bytes into the chunk, at file offset 2^33 + 5 (offsets past 32 bits).
  assembler.lines(src, chunk, 3, chunk.length, 2 ** 33 + 5, maxLineBytes, 1_764_000_000_123);
  batcher.flush();
  batcher.shutdown();
  return sent;
}

t.test('a run of lines rendered whole is the same records as its lines one by one', async (t) => {
  const seed = Date.now() % 1_000_000;
  t.comment(`seed ${seed}`);
  const next = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const pieces = ['10.0.0.1 - - [05/Dec/2026:10:00:00 +0000] "GET /a?b=1 HTTP/1.1" 200 612', '"', '\\', '\t', '\r', '\u0001', 'é', '😀', 'x'.repeat(70)];
  const maxLineBytes = 300;
  const parts: Buffer[] = [Buffer.from('\n\nx')]; // before the run: not read
  let refused = 0;
  for (let i = 0; i < 6000; i++) {
    let text = '';
    const n = Math.floor(next() * 8);
    for (let j = 0; j < n; j++) text += pick(pieces);
    let line = Buffer.from(text);
    if (next() < 0.01) {
      line = Buffer.concat([line, Buffer.from([0xff])]); // not UTF-8: the record way
      refused++;
    }
    if (next() < 0.005) line = Buffer.alloc(maxLineBytes + Math.floor(next() * 50), 0x61); // truncated
    parts.push(line, Buffer.from(next() < 0.1 ? '\r\n' : '\n'));
  }
  const chunk = Buffer.concat(parts);
  for (const [name, encoder, limits] of [
    ['ndjson', () => ndjsonEncoder(ctx), { maxBytes: 64 * 1024, maxEvents: 10_000 }],
    ['ndjson, few events a batch', () => ndjsonEncoder(ctx), { maxBytes: 1 << 20, maxEvents: 7 }],
    ['json', () => jsonArrayEncoder(ctx), { maxBytes: 20_000, maxEvents: 3000 }],
    ['elasticsearch', () => elasticsearchEncoder(ctx, { index: 'logs-%Y.%m.%d' }), { maxBytes: 1 << 20, maxEvents: 5000 }],
  ] as const) {
    // An encoder for each side: neither sees what the other left in its memory.
    const run = fromRun(encoder(), chunk, maxLineBytes, limits, true);
    const oneByOne = fromRun(encoder(), chunk, maxLineBytes, limits, false);
    const records = recordsOf(run);
    t.equal(records.length, 6000, `${name}: a record for every line`);
    if (!t.same(records, recordsOf(oneByOne), `${name}: the same records in the same order`)) return;
    t.ok(run.length > 1, `${name}: several batches (${run.length})`);
    for (const [i, b] of run.entries()) {
      t.ok(b.count <= limits.maxEvents && (b.count === 1 || b.bytes <= limits.maxBytes), `${name}: batch ${i} within its limits`);
      t.equal(b.bytes, b.fragments.reduce((n, f) => n + f.length, 0), `${name}: batch ${i} counts its records' bytes`);
      const body = b.body!.toString('utf8');
      const parsed = name === 'json' ? JSON.parse(body) : body.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      t.equal(parsed.length, (name === 'elasticsearch' ? 2 : 1) * b.count, `${name}: batch ${i} parses, one object per record`);
      // Each batch acknowledges up to the line its successor starts with; the last, the run's end.
      const ends = b.acks.map((a) => a.segment.end);
      const nextStart = i + 1 < run.length ? JSON.parse(run[i + 1]!.fragments[0]!.toString().trimEnd().split('\n').at(-1)!).offset : 2 ** 33 + 5 + chunk.length - 3;
      if (ends.length !== 1 || ends[0] !== nextStart) t.same(ends, [nextStart], `${name}: batch ${i} acknowledges to the next line`);
    }
  }
  t.ok(refused > 10, `lines the record way between runs (${refused})`);
});

t.test('a run of lines longer than the staging area, and of more records than it has spans for', async (t) => {
  const encoder = ndjsonEncoder(ctx);
  const long = Buffer.alloc(200_000, 0x22); // every byte escaped: 400 KB of record
  const short = Buffer.from('GET / 200\n'.repeat(5000));
  const chunk = Buffer.concat([Buffer.from('abc'), long, Buffer.from('\n'), short, long, Buffer.from('\n'), short]);
  for (const maxLineBytes of [256 * 1024, 100_000]) {
    const limits = { maxBytes: 1 << 20, maxEvents: 10_000 };
    const run = fromRun(encoder, chunk, maxLineBytes, limits, true);
    const records = recordsOf(run);
    t.equal(records.length, 10_002, `max ${maxLineBytes}: every line`);
    t.same(records, recordsOf(fromRun(encoder, chunk, maxLineBytes, limits, false)), `max ${maxLineBytes}: the same records`);
    const first = JSON.parse(records[0]!);
    t.equal(first.message.length, Math.min(200_000, maxLineBytes), `max ${maxLineBytes}: the long line whole, or cut`);
    t.equal(first.truncated ?? false, maxLineBytes < 200_000, `max ${maxLineBytes}: marked truncated when cut`);
  }
});

t.test('a run is copied into the encoder once: lines refused from it do not make it copied again', async (t) => {
  // Every 10th line is not UTF-8 and goes the record way between parts of the run. Once a
  // line is refused, the rest of the chunk is overwritten: lines rendered after it show
  // whether the run was read from the encoder's copy (as it must be) or copied in again.
  const lines = Array.from({ length: 400 }, (_, i) => (i % 10 === 5 ? Buffer.from([0x61, 0xff, 0x62]) : Buffer.from(`line ${i} é`)));
  const chunk = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
  const original = Buffer.from(chunk);
  const overwritten = Buffer.concat(lines.flatMap((l) => [l.includes(0xff) ? l : Buffer.alloc(l.length, 0x5a), Buffer.from('\n')]));
  const sent: Array<Batch<Buffer>> = [];
  const batcher = new Batcher(ndjsonEncoder(ctx), { maxBytes: 1 << 20, maxEvents: 10_000, lingerMs: 60_000 }, new MemoryBudget(1 << 30), (b) => sent.push(b));
  let refusals = 0;
  const assembler = new RecordAssembler(
    (record, queue, end) => batcher.add(record, queue, end),
    { context: ctx, parsers: [], parserRegex: undefined, multiline: undefined, maxRecordBytes: 1000 },
    undefined,
    (line, queue, end) => {
      if (batcher.addLine(line, queue, end)) return true;
      refusals++;
      // Past the refused line, every line the run path takes becomes 'Z's.
      overwritten.copy(chunk, line.offset + line.line.length, line.offset + line.line.length);
      return false;
    },
    (run, queue) => batcher.addRun(run, queue),
  );
  assembler.lines({ key: 'k', path: '/logs/a.log', ackQueue: new AckQueue(0) }, chunk, 0, chunk.length, 0, 1000, 1_764_000_000_123);
  batcher.flush();
  const messages = sent.flatMap((b) => b.fragments.map((f) => JSON.parse(f.toString('utf8')).message));
  t.equal(refusals, 40, 'each line that is not UTF-8 refused by the run path once');
  t.same(messages, lines.map((l) => l.toString('utf8')), 'every line, each as it was when its run was read');
  t.not(chunk.compare(original), 0, 'the chunk was overwritten');
});

t.test('two assemblers sharing an encoder: neither renders the other run from the encoder copy', async (t) => {
  const sent: Array<Batch<Buffer>> = [];
  const batcher = new Batcher(ndjsonEncoder(ctx), { maxBytes: 1 << 20, maxEvents: 10_000, lingerMs: 60_000 }, new MemoryBudget(1 << 30), (b) => sent.push(b));
  const assembler = () =>
    new RecordAssembler(
      (record, queue, end) => batcher.add(record, queue, end),
      { context: ctx, parsers: [], parserRegex: undefined, multiline: undefined, maxRecordBytes: 1000 },
      undefined,
      (line, queue, end) => batcher.addLine(line, queue, end),
      (run, queue) => batcher.addRun(run, queue),
    );
  const [a, b] = [assembler(), assembler()];
  const src = { key: 'k', path: '/logs/a.log', ackQueue: new AckQueue(0) };
  // Each assembler's first run, at the same offsets: only their bytes differ.
  a.lines(src, Buffer.from('aaa\nbbb\n'), 0, 8, 0, 1000, 1_764_000_000_123);
  b.lines(src, Buffer.from('ccc\nddd\n'), 0, 8, 0, 1000, 1_764_000_000_123);
  batcher.flush();
  t.same(
    sent.flatMap((b) => b.fragments.map((f) => JSON.parse(f.toString('utf8')).message)),
    ['aaa', 'bbb', 'ccc', 'ddd'],
  );
});
