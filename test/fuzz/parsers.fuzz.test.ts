// The parsers and the record stage on arbitrary lines: nothing throws, a line either
// parses or ships with a reason, what a parser writes can be written as JSON, times are
// ones every protocol can carry, and text survives nginx's escaping and exact numbers
// their round trip.
import fc from 'fast-check';
import { parse as parseLossless, splitNumber } from 'lossless-json';
import t from 'tap';
import { AckQueue } from '../../src/ack/ack-queue.js';
import { jsonText, parseJsonExact } from '../../src/record/exact-number.js';
import { JSON_INVALID, JSON_NOT_OBJECT, JSON_TOO_DEEP, JsonParser } from '../../src/record/json-parser.js';
import type { LogRecord } from '../../src/record/log-record.js';
import { NGINX_BAD_TIME, NGINX_NO_MATCH, NginxParser } from '../../src/record/nginx-parser.js';
import type { LineParser, ParserName } from '../../src/record/parser.js';
import { RecordAssembler } from '../../src/record/record-assembler.js';
import { REGEX_NO_MATCH, RegexParser } from '../../src/record/regex-parser.js';
import { LINE_TIME_MAX_MS, parseIso8601, parseTimeLocal } from '../../src/record/timestamps.js';
import { anyValueJson } from '../../src/ship/encoders/otlp-value.js';
import { anyString, bytes, decodeUtf8Reference, holds, lineBytes } from './arbitraries.js';

const REGEX_PATTERNS = [
  String.raw`^(?<remote>\S+) (?<rest>.*)$`,
  String.raw`(?<time>\d{4}-\d\d-\d\d[T ][^ ]+) (?<level>\w+) (?<msg>.*)`,
  String.raw`\[(?<timestamp>[^\]]{26})\]`,
  String.raw`(?<a>.)(?<b>.)?(?<c>x)?`,
];

const REASONS = new Set([JSON_INVALID, JSON_NOT_OBJECT, JSON_TOO_DEEP, NGINX_NO_MATCH, NGINX_BAD_TIME, REGEX_NO_MATCH]);

function parsers(): LineParser[] {
  return [new JsonParser('@timestamp'), new NginxParser(), ...REGEX_PATTERNS.map((p) => new RegexParser(p, '@timestamp'))];
}

/** Whether a parser's answer keeps the parser contract; throws (failing the property) if not. */
function wellFormed(parsed: ReturnType<LineParser['parse']>): boolean {
  if (typeof parsed === 'string') return REASONS.has(parsed);
  const { timeMs, fields } = parsed;
  if (timeMs !== undefined && !(Number.isInteger(timeMs) && timeMs >= 0 && timeMs < LINE_TIME_MAX_MS)) {
    throw new Error(`time ${timeMs} (${Number.isFinite(timeMs) ? new Date(timeMs).toISOString() : 'not finite'}) outside 1970–2200`);
  }
  // Encoders write fields with jsonText, and OTLP's with its own writer: neither may throw.
  JSON.parse(jsonText(fields));
  JSON.parse(anyValueJson(fields)!);
  return true;
}

/** Lines in the shape a parser looks for, with hostile pieces where the line is free text. */
const nginxTime = fc
  .record({
    ms: fc.integer({ min: -3e12, max: 3e14 }),
    sign: fc.constantFrom('+', '-'),
    hh: fc.integer({ min: 0, max: 99 }),
    mm: fc.integer({ min: 0, max: 99 }),
  })
  .map(({ ms, sign, hh, mm }) => {
    const d = new Date(ms);
    const mon = d.toUTCString().slice(8, 11);
    const p2 = (n: number) => String(n).padStart(2, '0');
    const year = String(d.getUTCFullYear()).padStart(4, '0').slice(-4);
    return `${p2(d.getUTCDate())}/${mon}/${year}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${sign}${p2(hh)}${p2(mm)}`;
  });

const nearNginx = fc
  .tuple(anyString(15), nginxTime, anyString(40), fc.nat(999), fc.nat(), anyString(20), anyString(30), anyString(30))
  .map(([addr, time, req, status, size, ref, ua, tail]) => `${addr || '-'} - - [${time}] "${req}" ${status} ${size} "${ref}" "${ua}"${tail}`);

const nearNginxError = fc
  .tuple(fc.integer({ min: -3e12, max: 3e14 }), anyString(8), anyString(60))
  .map(([ms, level, rest]) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ').replaceAll('-', '/')} [${level}] 12#0: *3 ${rest}`);

const nearJson = fc
  .tuple(
    fc.jsonValue(),
    fc.constantFrom('time', 'ts', 'timestamp', '@timestamp', 'x'),
    fc.oneof(
      fc.integer({ min: -3e12, max: 3e14 }).map((ms) => JSON.stringify(new Date(ms).toISOString())),
      fc.double().map((n) => (Number.isFinite(n) ? String(n) : '1e400')),
      fc.constantFrom('"0001-01-01T00:00:00Z"', '"0099-12-31 23:59:59+01:00"', '"9999-12-31T23:59:59.999999999Z"', '12345678901234567890'),
    ),
  )
  .map(([value, key, time]) => {
    const body = value !== null && typeof value === 'object' && !Array.isArray(value) ? JSON.stringify(value).slice(1, -1) : '';
    return `{"${key}":${time}${body ? `,${body}` : ''}}`;
  });

/** Deep nesting: valid JSON that recursive code (JSON.stringify, walkers) cannot follow. */
const deepJson = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":'), fc.boolean())
  .map(([depth, open, exact]) => {
    const close = open === '[' ? ']' : '}';
    const inner = exact ? '12345678901234567890' : '1';
    return `{"deep":${open.repeat(depth)}${inner}${close.repeat(depth)}}`;
  });

const anyLine = fc.oneof(
  anyString(200),
  lineBytes.map((b) => b.toString('utf8')),
  nearNginx,
  nearNginxError,
  nearJson,
  deepJson,
);

t.test('every parser, on any line: no throw, a known reason or fields that write as JSON, times within 1970–2200', async (t) => {
  const all = parsers();
  await holds(t, 'parsers: arbitrary lines', fc.property(anyLine, (line) => all.every((p) => wellFormed(p.parse(line)))), 2000);
});

t.test('through the record stage: the message is the line decoded, whatever the parser made of it', async (t) => {
  const property = fc.property(
    fc.array(fc.oneof(lineBytes, anyLine.map((s) => Buffer.from(s))), { minLength: 1, maxLength: 8 }),
    fc.constantFrom<ParserName>('none', 'json', 'nginx', 'regex'),
    fc.constantFrom(...REGEX_PATTERNS),
    (lines, parser, pattern) => {
      const out: LogRecord[] = [];
      const assembler = new RecordAssembler((r) => out.push(r), {
        context: { timestampField: '@timestamp', fields: [['env', 'prod']] },
        parsers: [{ glob: undefined, parser }],
        parserRegex: pattern,
        multiline: undefined,
        maxRecordBytes: Infinity,
      });
      const src = { key: '0123456789abcdef', path: '/pod-data/x.log', ackQueue: new AckQueue(0) };
      let offset = 0;
      for (const line of lines) {
        assembler.line(src, line, offset, offset + line.length + 1, false, 1_764_000_000_000);
        offset += line.length + 1;
      }
      return (
        out.length === lines.length &&
        out.every((r, i) => {
          if (r.message !== decodeUtf8Reference(lines[i]!)) return false;
          if (r.fields === undefined) return parser === 'none';
          // The standard record's names stay the record's own (reserved-names.ts).
          if (['message', 'file', 'offset', 'id', 'host', '@timestamp', 'env'].some((k) => Object.hasOwn(r.fields!, k))) return false;
          return wellFormed({ fields: { ...r.fields }, timeMs: r.timeMs === 1_764_000_000_000 ? undefined : r.timeMs });
        })
      );
    },
  );
  await holds(t, 'record stage: parsed records of arbitrary lines', property, 1000);
});

/** nginx `escape=default`: `"`, `\`, bytes below 0x20, 0x7F and up as `\xHH`. */
function nginxEscape(b: Buffer): string {
  let s = '';
  for (const c of b) {
    s += c === 0x22 || c === 0x5c || c < 0x20 || c >= 0x7f ? `\\x${c.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(c);
  }
  return s;
}

t.test("nginx text fields: a value's bytes come back from nginx's escaping", async (t) => {
  const parser = new NginxParser();
  const property = fc.property(fc.oneof(bytes(60), fc.string({ unit: 'binary', maxLength: 30 }).map((s) => Buffer.from(s))), (value) => {
    const escaped = nginxEscape(value);
    const line = `10.0.0.1 - - [25/Nov/2026:21:00:00 +0000] "GET / HTTP/1.1" 200 5 "${escaped}" "${escaped}" "${escaped}"`;
    const parsed = parser.parse(line);
    if (typeof parsed === 'string') return false;
    // `-` and the empty value are nginx's "no value": the field is left out.
    if (escaped === '' || escaped === '-') return parsed.fields['user_agent'] === undefined;
    // Invalid UTF-8 is read as Latin-1 (nginx-escape.ts): every byte still comes back.
    const encoding = Buffer.from(value.toString('utf8')).equals(value) ? 'utf8' : 'latin1';
    return ['referer', 'user_agent', 'x_forwarded_for'].every((k) => {
      const v = parsed.fields[k];
      return typeof v === 'string' && Buffer.from(v, encoding).equals(value);
    });
  });
  await holds(t, 'nginx: escaped text fields recovered byte for byte', property, 1000);
});

/** JSON number text, as the grammar allows it (RFC 8259 §6), biased to many digits. */
const jsonNumberText = fc
  .tuple(
    fc.boolean(),
    fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,30}$/)),
    fc.option(fc.stringMatching(/^[0-9]{1,30}$/), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{1,4}$/)), { nil: undefined }),
  )
  .map(([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}${exp === undefined ? '' : exp.join('')}`);

/** A number's value, normalised: sign, digits without leading or trailing zeros, exponent. */
function numberValue(text: string): string {
  const { sign, digits, exponent } = splitNumber(text);
  return digits === '0' ? '0' : `${sign}${digits}e${exponent}`;
}

t.test('exact numbers: any JSON number keeps its decimal value through parse and write', async (t) => {
  const property = fc.property(fc.array(jsonNumberText, { minLength: 1, maxLength: 5 }), (numbers) => {
    const line = `{${numbers.map((n, i) => `"n${i}":${n}`).join(',')},"nested":[${numbers.join(',')}]}`;
    const written = jsonText(parseJsonExact(line) as object);
    const back = parseLossless(written, null, (n: string) => n) as { nested: string[] } & Record<string, string>;
    return numbers.every((n, i) => numberValue(back[`n${i}`]!) === numberValue(n) && numberValue(back.nested[i]!) === numberValue(n));
  });
  await holds(t, 'exact numbers: round trip of arbitrary JSON numbers', property, 2000);
});

t.test('times: a time written in any of the forms parsers read comes back to the millisecond', async (t) => {
  const inRange = fc.integer({ min: 0, max: LINE_TIME_MAX_MS - 1 });
  const property = fc.property(inRange, fc.integer({ min: -18 * 60, max: 18 * 60 }), (ms, offsetMin) => {
    const local = new Date(ms + offsetMin * 60_000);
    const p2 = (n: number) => String(n).padStart(2, '0');
    const sign = offsetMin < 0 ? '-' : '+';
    const off = `${p2(Math.floor(Math.abs(offsetMin) / 60))}${p2(Math.abs(offsetMin) % 60)}`;
    const iso = `${local.toISOString().slice(0, 23)}${sign}${off.slice(0, 2)}:${off.slice(2)}`;
    const clf = `${p2(local.getUTCDate())}/${local.toUTCString().slice(8, 11)}/${local.getUTCFullYear()}:${local.toISOString().slice(11, 19)} ${sign}${off}`;
    return parseIso8601(iso) === ms && parseTimeLocal(clf, 0) === ms - (ms % 1000);
  });
  await holds(t, 'timestamps: ISO-8601 and $time_local round trips', property, 2000);
});

t.test('invalid UTF-8 in a line: each maximal invalid sequence becomes one U+FFFD, so those bytes are not recoverable', async (t) => {
  // The rule (record-assembler.ts, decode): WHATWG/Unicode "substitution of maximal
  // subparts". It loses information: different bytes give one message, and a U+FFFD
  // the line really held looks the same as one put for bad bytes.
  const decode = (b: number[]) => {
    let message = '';
    new RecordAssembler((r) => (message = r.message)).line(
      { key: '0123456789abcdef', path: '/x', ackQueue: new AckQueue(0) },
      Buffer.from(b),
      0,
      b.length + 1,
      false,
      0,
    );
    return message;
  };
  t.equal(decode([0x61, 0xff]), 'a\ufffd');
  t.equal(decode([0x61, 0xfe]), 'a\ufffd', 'another invalid byte, the same message');
  t.equal(decode([0x61, 0xef, 0xbf, 0xbd]), 'a\ufffd', 'a real U+FFFD, the same message');
  t.equal(decode([0xf0, 0x9f, 0x98]), '\ufffd', 'a truncated sequence is one U+FFFD');
  t.equal(decode([0xc0, 0x80]), '\ufffd\ufffd', 'an overlong form is two');
  // What is kept: every valid sequence, exactly; the bytes around a bad one are intact.
  const property = fc.property(bytes(200), bytes(200), (a, b) => {
    const line = Buffer.concat([a, Buffer.from([0xff]), b]);
    // 0xFF is never part of a sequence: what is before and after it decodes on its own.
    return decode([...line]) === `${decodeUtf8Reference(a)}\ufffd${decodeUtf8Reference(b)}`;
  });
  await holds(t, 'record stage: valid bytes around invalid ones are kept', property, 1000);
});
