// Lines into records: decoding, parsing, multiline joining, ids, and a held record that
// holds its file's checkpoint at its first line.
import t from 'tap';
import { AckQueue } from '../../src/ack/ack-queue.js';
import type { LogRecord } from '../../src/record/log-record.js';
import {
  PARSE_WARNING_INTERVAL_MS,
  RecordAssembler,
  type LineSource,
  type ParseFailureReport,
  type RecordOptions,
} from '../../src/record/record-assembler.js';

interface Emitted {
  record: LogRecord;
  queue: AckQueue;
  end: number;
}

interface Src extends LineSource {
  key: string;
  path: string;
  ackQueue: AckQueue;
}

function source(path = '/pod-data/app.log', key = 'abcdef0123456789'): Src {
  return { key, path, ackQueue: new AckQueue(0) };
}

function options(over: Partial<RecordOptions> = {}): RecordOptions {
  return {
    context: { timestampField: '@timestamp', fields: [] },
    parsers: [],
    parserRegex: undefined,
    multiline: undefined,
    maxRecordBytes: 256 * 1024,
    ...over,
  };
}

function setup(over: Partial<RecordOptions> = {}) {
  const out: Emitted[] = [];
  const failed: string[] = [];
  const reports: ParseFailureReport[] = [];
  const a = new RecordAssembler((record, queue, end) => out.push({ record, queue, end }), options(over), {
    parseFailed: (p) => failed.push(p),
    parseFailures: (r) => reports.push(r),
  });
  /** Feeds text as the tail would: each complete line with its offsets; returns the end offset. */
  const feed = (src: Src, text: string, nowMs = 0, from = 0): number => {
    let offset = from;
    for (const line of text.split('\n').slice(0, -1)) {
      const buf = Buffer.from(line);
      a.line(src, buf, offset, offset + buf.length + 1, false, nowMs);
      offset += buf.length + 1;
    }
    return offset;
  };
  return { a, out, failed, reports, feed, messages: () => out.map((e) => e.record.message) };
}

const JAVA = [
  '2026-11-25 21:00:00.001 ERROR [main] c.e.Service - Request failed',
  'java.lang.IllegalStateException: boom',
  '\tat com.example.Service.handle(Service.java:42)',
  '\tat com.example.Main.main(Main.java:7)',
  'Caused by: java.io.IOException: disk full',
  '\tat com.example.Disk.write(Disk.java:13)',
  '\t... 2 more',
];
const NODE = [
  'Error: ENOENT: no such file or directory, open \'/app/config.json\'',
  '    at Object.openSync (node:fs:573:18)',
  '    at Object.readFileSync (node:fs:452:35)',
  '    at file:///app/index.js:3:9 {',
  "  errno: -2,",
  "  code: 'ENOENT'",
  '}',
];

t.test('no parser, no multiline: one record per line, as before', async (t) => {
  const { out, feed } = setup();
  const src = source();
  feed(src, 'a\nbb\n', 1234);
  t.strictSame(
    out.map((e) => [e.record.message, e.record.offset, e.end, e.record.id, e.record.fields, e.record.timeMs]),
    [
      ['a', 0, 2, 'abcdef0123456789-0', undefined, 1234],
      ['bb', 2, 5, 'abcdef0123456789-2', undefined, 1234],
    ],
  );
  t.equal(out[0]!.queue, src.ackQueue);
});

interface MultilineRow {
  name: string;
  start: string;
  lines: string[];
  want: string[][];
}

const multilineRows: MultilineRow[] = [
  {
    name: 'Java stack trace with Caused by, then the next record',
    start: '^\\d{4}-\\d{2}-\\d{2} ',
    lines: [...JAVA, '2026-11-25 21:00:01.000 INFO [main] c.e.Service - next', '2026-11-25 21:00:02.000 INFO done'],
    want: [JAVA, ['2026-11-25 21:00:01.000 INFO [main] c.e.Service - next'], ['2026-11-25 21:00:02.000 INFO done']],
  },
  {
    name: 'Node error with properties; any line not indented starts a record',
    start: '^\\S',
    lines: ['{"level":"info","msg":"start"}', ...NODE, '{"level":"info","msg":"after"}'],
    // `}` is not indented: it starts a record of its own, as the pattern says.
    want: [['{"level":"info","msg":"start"}'], NODE.slice(0, 6), ['}'], ['{"level":"info","msg":"after"}']],
  },
  {
    name: 'continuations before any start line form a record of their own',
    start: '^START',
    lines: ['  orphan 1', '  orphan 2', 'START a', '  a.1'],
    want: [['  orphan 1', '  orphan 2'], ['START a', '  a.1']],
  },
  {
    name: 'every line a start line: one record each',
    start: '.',
    lines: ['x', 'y', 'z'],
    want: [['x'], ['y'], ['z']],
  },
];

t.test('multiline joining', async (t) => {
  for (const row of multilineRows) {
    const { a, out, feed } = setup({ multiline: { startPattern: row.start, timeoutMs: 1000, files: [] } });
    const src = source();
    const text = row.lines.map((l) => `${l}\n`).join('');
    feed(src, text);
    a.flush();
    t.strictSame(
      out.map((e) => e.record.message),
      row.want.map((lines) => lines.join('\n')),
      row.name,
    );
    // Offsets and ends tile the file: each record starts where the previous ended.
    let expect = 0;
    for (const e of out) {
      t.equal(e.record.offset, expect, `${row.name}: offset of "${e.record.message.slice(0, 20)}"`);
      expect = e.end;
    }
    t.equal(expect, Buffer.byteLength(text), `${row.name}: the last end is the end of the text`);
  }
});

t.test('ids: the first line offset; a joined record adds its end', async (t) => {
  const run = () => {
    const { a, out, feed } = setup({ multiline: { startPattern: '^\\d', timeoutMs: 1000, files: [] } });
    feed(source(), `${JAVA.join('\n')}\n2026 single\n`);
    a.flush();
    return out;
  };
  const first = run();
  const javaBytes = Buffer.byteLength(`${JAVA.join('\n')}\n`);
  t.equal(first[0]!.record.id, `abcdef0123456789-0-${javaBytes.toString(16)}`, 'joined: key-start-end');
  t.equal(first[0]!.record.offset, 0, 'offset of the first line');
  t.equal(first[1]!.record.id, `abcdef0123456789-${javaBytes.toString(16)}`, 'single line: key-start, as without multiline');
  t.strictSame(
    run().map((e) => e.record.id),
    first.map((e) => e.record.id),
    'the same bytes read again (after a crash) give the same ids',
  );
});

t.test('a held record blocks the checkpoint at its first line', async (t) => {
  const { out, feed } = setup({ multiline: { startPattern: '^\\d', timeoutMs: 1000, files: [] } });
  const src = source();
  // The pipeline: each record is batched and acked in order; the checkpoint is `committed`.
  const endFirst = feed(src, `${JAVA.join('\n')}\n`);
  const secondStart = endFirst;
  feed(src, '2026 second\n  second.1\n', 0, endFirst);
  for (const e of out) e.queue.ack(e.queue.add(e.end));
  t.equal(out.length, 1, 'the first record left when the second began');
  t.equal(src.ackQueue.committed, secondStart, 'the checkpoint stops at the first line of the held record');
});

t.test('timeout: a held record leaves once no line joined it for the timeout', async (t) => {
  const { a, out, feed } = setup({ multiline: { startPattern: '^\\d', timeoutMs: 1000, files: [] } });
  const src = source();
  let end = feed(src, '2026 a\n', 0);
  end = feed(src, '  a.1\n', 600, end);
  t.equal(a.nextExpiryMs, 1600, 'counts from the last line joined');
  a.expire(1599);
  t.equal(out.length, 0, 'not before');
  a.expire(1600);
  t.strictSame(
    out.map((e) => e.record.message),
    ['2026 a\n  a.1'],
  );
  t.notOk(a.holding);
  t.equal(a.nextExpiryMs, undefined);
  // A continuation arriving after the timeout cannot rejoin: it is a record of its own.
  feed(src, '  a.2 (late)\n', 5000, end);
  a.flush();
  t.strictSame(
    out.map((e) => e.record.message),
    ['2026 a\n  a.1', '  a.2 (late)'],
  );
});

t.test('size cap: a record that would pass the max is emitted and the rest goes on', async (t) => {
  const { a, out, feed } = setup({ maxRecordBytes: 20, multiline: { startPattern: '^S', timeoutMs: 1000, files: [] } });
  const lines = ['S 123456', '  c1 890', '  c2 890', '  c3 890', 'S next'];
  feed(source(), lines.map((l) => `${l}\n`).join(''));
  a.flush();
  t.strictSame(
    out.map((e) => e.record.message),
    ['S 123456\n  c1 890', '  c2 890\n  c3 890', 'S next'],
  );
  t.ok(
    out.every((e) => Buffer.byteLength(e.record.message) <= 20),
    'no record over the cap',
  );
  t.strictSame(out.flatMap((e) => e.record.message.split('\n')), lines, 'no line lost');
});

t.test('files are joined separately, and only those TAILSHIP_MULTILINE_FILES names', async (t) => {
  const { a, out, feed } = setup({
    multiline: { startPattern: '^S', timeoutMs: 1000, files: ['app*.log'] },
  });
  const app1 = source('/d/app1.log', 'aaaaaaaaaaaaaaaa');
  const app2 = source('/d/app2.log', 'bbbbbbbbbbbbbbbb');
  const nginx = source('/d/access.log', 'cccccccccccccccc');
  const e1 = feed(app1, 'S one\n');
  const e2 = feed(app2, 'S two\n');
  feed(nginx, '  not joined\n  either\n');
  feed(app1, '  one.1\n', 0, e1);
  feed(app2, '  two.1\n', 0, e2);
  t.strictSame(
    out.map((e) => e.record.message),
    ['  not joined', '  either'],
    'the file not named ships line by line',
  );
  a.flush();
  t.strictSame(
    out.slice(2).map((e) => [e.record.file, e.record.message]).sort(),
    [
      ['/d/app1.log', 'S one\n  one.1'],
      ['/d/app2.log', 'S two\n  two.1'],
    ],
  );
});

t.test('a truncated file (new key and queue) releases what was held to the old queue', async (t) => {
  const { a, out, feed } = setup({ multiline: { startPattern: '^S', timeoutMs: 1000, files: [] } });
  const src = source();
  const oldQueue = src.ackQueue;
  feed(src, 'S old\n  old.1\n');
  src.ackQueue = new AckQueue(0);
  src.key = 'ffffffffffffffff';
  feed(src, '  new.1\n');
  t.equal(out.length, 1);
  t.equal(out[0]!.record.message, 'S old\n  old.1');
  t.equal(out[0]!.queue, oldQueue, 'acked on the queue of the content it came from');
  a.flush();
  t.equal(out[1]!.record.message, '  new.1');
  t.equal(out[1]!.queue, src.ackQueue);
  t.match(out[1]!.record.id, /^ffffffffffffffff-0$/);
});

t.test('parsers per glob; the first rule wins; the plan stays with the file', async (t) => {
  const { out, feed } = setup({
    parsers: [
      { glob: 'plain.log', parser: 'none' },
      { glob: '*.json.log', parser: 'json' },
      { glob: '*.log', parser: 'nginx' },
    ],
  });
  const access = source('/d/access.log');
  const json = source('/d/app.json.log');
  const plain = source('/d/plain.log');
  const accessEnd = feed(access, '127.0.0.1 - - [25/Nov/2026:21:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"\n', 99);
  feed(json, '{"level":"warn","msg":"x"}\n', 99);
  feed(plain, 'just text\n', 99);
  access.path = '/d/access.log.1'; // rotated: still read with the nginx parser
  feed(access, '127.0.0.1 - - [25/Nov/2026:21:00:01 +0000] "GET /b HTTP/1.1" 404 0 "-" "curl"\n', 99, accessEnd);
  t.match(out[0]!.record.fields, { status: 200, method: 'GET' });
  t.equal(out[0]!.record.timeMs, Date.UTC(2026, 10, 25, 21), 'the line time wins');
  t.equal(out[0]!.record.readTimeMs, 99, 'the read time is kept');
  t.strictSame(out[1]!.record.fields, { level: 'warn', msg: 'x' });
  t.equal(out[1]!.record.timeMs, 99, 'no time in the line: read time');
  t.equal(out[2]!.record.fields, undefined, 'none');
  t.match(out[3]!.record.fields, { status: 404, path: '/b' });
});

t.test('parse failures: shipped unparsed with parse_error, counted, reported at most once per interval', async (t) => {
  const { out, failed, reports, feed } = setup({ parsers: [{ glob: undefined, parser: 'json' }] });
  const src = source();
  let end = 0;
  for (let i = 0; i < 1000; i++) end = feed(src, `not json ${i}\n`, i, end); // 1 s of errors
  end = feed(src, '{"ok":true}\n', 1000, end);
  end = feed(src, 'still not json\n', PARSE_WARNING_INTERVAL_MS, end);
  t.equal(out.length, 1002, 'nothing dropped');
  t.strictSame(out[0]!.record.fields, { parse_error: 'json: invalid JSON' });
  t.equal(out[0]!.record.message, 'not json 0', 'the message is the raw line');
  t.strictSame(out[1000]!.record.fields, { ok: true });
  t.equal(failed.length, 1001, 'every failure counted');
  t.equal(reports.length, 2, 'two reports for 1001 failures over 10 s');
  t.match(reports[0], { parser: 'json', reason: 'json: invalid JSON', file: '/pod-data/app.log', count: 1, sample: 'not json 0' });
  t.match(reports[1], { count: 1000, sample: 'still not json' });
});

t.test('parsed names never take the record own keys', async (t) => {
  const { out, feed } = setup({
    context: { timestampField: 'ts', fields: [['env', 'prod']] },
    parsers: [{ glob: undefined, parser: 'json' }],
  });
  feed(source(), '{"message":"inner","host":"h","env":"dev","id":1,"level":"info"}\n');
  // The renamed copy has a null prototype (a `__proto__` key stays data): compare its entries.
  t.strictSame({ ...out[0]!.record.fields }, {
    parsed_message: 'inner',
    parsed_host: 'h',
    parsed_env: 'dev',
    parsed_id: 1,
    level: 'info',
  });
});

t.test('a multiline record is parsed whole', async (t) => {
  const { a, out, feed } = setup({
    parsers: [{ glob: undefined, parser: 'regex' }],
    parserRegex: '^(?<date>\\S+ \\S+) (?<level>[A-Z]+) \\[(?<thread>[^\\]]+)\\]',
    multiline: { startPattern: '^\\d{4}-', timeoutMs: 1000, files: [] },
  });
  feed(source(), `${JAVA.join('\n')}\n`);
  a.flush();
  t.equal(out.length, 1);
  t.match(out[0]!.record.fields, { level: 'ERROR', thread: 'main' });
  t.equal(out[0]!.record.message.split('\n').length, JAVA.length);
});

t.test('end(src): a closing file releases its held record, and only its own', async (t) => {
  const { a, out, feed } = setup({ multiline: { startPattern: '^\\d', timeoutMs: 60_000, files: [] } });
  const rotated = source('/pod-data/app.log.1', '1111111111111111');
  const current = source('/pod-data/app.log', '2222222222222222');
  feed(rotated, '2026 last record\n  its continuation\n');
  feed(current, '2026 still growing\n');
  a.end(rotated);
  t.strictSame(
    out.map((e) => [e.record.message, e.end]),
    [['2026 last record\n  its continuation', 36]],
  );
  t.ok(a.holding, 'the other file keeps its record');
});
