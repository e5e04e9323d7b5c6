// The json parser: an object per line merged into the record, its time taken out once.
import t from 'tap';
import { ExactNumber } from '../../src/record/exact-number.js';
import { JSON_INVALID, JSON_NOT_OBJECT, JSON_TOO_DEEP, JsonParser, MAX_JSON_DEPTH } from '../../src/record/json-parser.js';
import { anyValueJson } from '../../src/ship/encoders/otlp-value.js';

const T0 = Date.UTC(2026, 10, 25, 21, 0, 0);

interface Row {
  name: string;
  line: string;
  fields?: Record<string, unknown>;
  timeMs?: number | undefined;
  error?: string;
}

const rows: Row[] = [
  { name: 'flat object', line: '{"level":"info","msg":"hi","n":3}', fields: { level: 'info', msg: 'hi', n: 3 }, timeMs: undefined },
  {
    name: 'nested objects stay nested',
    line: '{"req":{"method":"GET","headers":{"x":["a","b"]}},"ok":true,"none":null}',
    fields: { req: { method: 'GET', headers: { x: ['a', 'b'] } }, ok: true, none: null },
    timeMs: undefined,
  },
  {
    name: 'leading blanks',
    line: '  \t{"a":1}',
    fields: { a: 1 },
    timeMs: undefined,
  },
  {
    name: 'ISO-8601 "time" becomes the record time and stays a field',
    line: '{"time":"2026-11-25T21:00:00.123Z","msg":"x"}',
    fields: { time: '2026-11-25T21:00:00.123Z', msg: 'x' },
    timeMs: T0 + 123,
  },
  {
    name: '"@timestamp" (the record field) is taken out: the record carries it',
    line: '{"@timestamp":"2026-11-25T22:00:00+01:00","msg":"x"}',
    fields: { msg: 'x' },
    timeMs: T0,
  },
  {
    name: 'pino epoch milliseconds',
    line: `{"level":30,"time":${T0},"msg":"x"}`,
    fields: { level: 30, time: T0, msg: 'x' },
    timeMs: T0,
  },
  {
    name: 'zap epoch seconds with a fraction',
    line: `{"ts":${T0 / 1000 + 0.5},"msg":"x"}`,
    fields: { ts: T0 / 1000 + 0.5, msg: 'x' },
    timeMs: T0 + 500,
  },
  {
    name: 'a time that is not one is left alone',
    line: '{"time":"yesterday","msg":"x"}',
    fields: { time: 'yesterday', msg: 'x' },
    timeMs: undefined,
  },
  { name: 'an array is JSON but not an object', line: '[1,2,3]', error: JSON_NOT_OBJECT },
  { name: 'a string is JSON but not an object', line: '"hello"', error: JSON_NOT_OBJECT },
  { name: 'a number is JSON but not an object', line: '42', error: JSON_NOT_OBJECT },
  { name: 'null', line: 'null', error: JSON_NOT_OBJECT },
  { name: 'invalid JSON', line: '{"a":1', error: JSON_INVALID },
  { name: 'plain text', line: 'hello world', error: JSON_INVALID },
  { name: 'trailing garbage', line: '{"a":1} trailing', error: JSON_INVALID },
  { name: 'empty line', line: '', error: JSON_INVALID },
  { name: 'starts like an array but is not JSON', line: '[INFO] started', error: JSON_INVALID },
];

t.test('json lines', async (t) => {
  const parser = new JsonParser('@timestamp');
  for (const row of rows) {
    const got = parser.parse(row.line);
    if (row.error !== undefined) {
      t.equal(got, row.error, row.name);
      continue;
    }
    if (typeof got === 'string') {
      t.fail(`${row.name}: ${got}`);
      continue;
    }
    t.strictSame(got.fields, row.fields, `${row.name}: fields`);
    t.equal(got.timeMs, row.timeMs, `${row.name}: time`);
  }
});

t.test('numbers keep their exact value; a 17-digit epoch is still a time', async (t) => {
  const parser = new JsonParser('@timestamp');
  const got = parser.parse('{"msg":"n6","user_id":9007199254740993,"max":9223372036854775807,"tiny":1e-5,"ts":1795640400.1234567891}');
  if (typeof got === 'string') {
    t.fail(got);
    return;
  }
  t.strictSame(got.fields, {
    msg: 'n6',
    user_id: new ExactNumber('9007199254740993'),
    max: new ExactNumber('9223372036854775807'),
    tiny: 0.00001,
    ts: new ExactNumber('1795640400.1234567891'),
  });
  t.equal(got.timeMs, Date.UTC(2026, 10, 25, 21, 0, 0, 123), 'ts read as epoch seconds');
});

t.test('a configured time field name is the one taken out', async (t) => {
  const parser = new JsonParser('timestamp');
  const got = parser.parse('{"timestamp":"2026-11-25T21:00:00Z","@timestamp":"2026-11-25T20:00:00Z"}');
  t.not(typeof got, 'string');
  if (typeof got === 'string') return;
  t.equal(got.timeMs, T0, 'the configured field wins');
  t.strictSame(got.fields, { '@timestamp': '2026-11-25T20:00:00Z' });
});

t.test('a __proto__ key is data, not a prototype', async (t) => {
  const got = new JsonParser('@timestamp').parse('{"__proto__":{"polluted":true},"a":1}');
  if (typeof got === 'string') {
    t.fail(got);
    return;
  }
  t.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype untouched');
  t.equal(JSON.stringify(got.fields), '{"__proto__":{"polluted":true},"a":1}', 'encodes as it came');
});

t.test('bug: a JSON line nested thousands deep made the encoders throw and stopped its file; it ships unparsed', async (t) => {
  // JSON.parse took it, then JSON.stringify in the encoder overflowed the stack; the read
  // loop saw the error as a read failure and retried the same line forever.
  const nested = (depth: number, inner = '1') => `{"a":${'['.repeat(depth - 1)}${inner}${']'.repeat(depth - 1)}}`;
  const p = new JsonParser('@timestamp');
  t.equal(p.parse(nested(5000)), JSON_TOO_DEEP, 'deep, parsed by JSON.parse');
  t.equal(p.parse(nested(5000, '12345678901234567890')), JSON_TOO_DEEP, 'deep, parsed by lossless-json');
  t.equal(p.parse(nested(MAX_JSON_DEPTH + 1)), JSON_TOO_DEEP, 'one level past the limit');
  const atLimit = p.parse(nested(MAX_JSON_DEPTH));
  if (typeof atLimit === 'string') {
    t.fail(atLimit);
    return;
  }
  t.ok(anyValueJson(atLimit.fields)?.startsWith('{"kvlistValue"'), 'the limit itself parses, and recursive writers take it');
});
