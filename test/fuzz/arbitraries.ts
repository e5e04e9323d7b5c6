// Shared pieces of the fuzz suite (test/fuzz/): the runner that scales and reports
// cases, generators of hostile input (bytes, file names, records), and a reference
// UTF-8 decoder to check the rule records follow for invalid bytes.
import fc from 'fast-check';
import type { Test } from 'tap';
import type { LogRecord, RecordContext } from '../../src/record/log-record.js';
import { ExactNumber } from '../../src/record/exact-number.js';
import { NGINX_FIELD_NAMES } from '../../src/record/nginx-parser.js';
import { guardFields, reservedKeys, STANDARD_KEYS } from '../../src/record/reserved-names.js';

/**
 * Cases per property: `base` (sized so the whole suite stays fast in CI) times
 * FUZZ_RUNS (a factor, default 1) for a deeper local run, e.g. `FUZZ_RUNS=50`.
 */
export function runs(base: number): number {
  const factor = Number(process.env['FUZZ_RUNS'] ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(factor) && factor > 0 ? factor : 1)));
}

/**
 * Checks a property with a random seed (FUZZ_SEED replays one) and reports as a tap
 * assertion: the number of cases on success, fast-check's report on failure (the seed,
 * the path and the shrunk counterexample, enough to replay it).
 */
export async function holds<T>(t: Test, name: string, property: fc.IRawProperty<T, boolean>, base: number): Promise<void> {
  const seed = process.env['FUZZ_SEED'];
  const details = await fc.check(property, {
    numRuns: runs(base),
    ...(seed === undefined ? {} : { seed: Number(seed) }),
  });
  if (details.failed) {
    const error = details.errorInstance instanceof Error ? `\n${details.errorInstance.stack ?? details.errorInstance.message}` : '';
    t.fail(`${name}\n${fc.defaultReportMessage(details)}${error}`);
    return;
  }
  t.comment(`${name}: ${details.numRuns} cases (seed ${details.seed})`);
  t.pass(`${name}: ${details.numRuns} cases`);
}

const NASTY_BYTES = [0x00, 0x0a, 0x0d, 0x09, 0x1b, 0x22, 0x5c, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff];

/** Byte sequences that are invalid UTF-8, or valid and easy to get wrong. */
const TRICKY_SEQUENCES: readonly number[][] = [
  [0xc0, 0x80], // overlong NUL
  [0xe0, 0x80, 0x80], // overlong
  [0xed, 0xa0, 0x80], // an encoded lone surrogate (CESU)
  [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80], // a surrogate pair encoded as two (CESU-8)
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xe2, 0x82], // truncated
  [0xf0, 0x9f, 0x98], // truncated 4-byte
  [0xef, 0xbf, 0xbd], // a real U+FFFD
  [0xef, 0xbb, 0xbf], // BOM
  [0xe2, 0x80, 0xa8], // U+2028
  [0xf0, 0x9f, 0x98, 0x80], // an emoji
  [0xc3, 0xa9], // é
];

/** Arbitrary bytes, weighted towards the ones that break decoders and escapers. */
export const bytes = (maxLength: number): fc.Arbitrary<Buffer> =>
  fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }).map((b) => [b]) },
        { weight: 2, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((b) => [b]) },
        { weight: 2, arbitrary: fc.constantFrom(...NASTY_BYTES).map((b) => [b]) },
        { weight: 2, arbitrary: fc.constantFrom(...TRICKY_SEQUENCES) },
      ),
      { maxLength },
    )
    .map((parts) => Buffer.from(parts.flat()));

/** Valid UTF-8 of any code points (controls, NUL, U+2028, astral) as bytes. */
export const utf8Bytes = (maxLength: number): fc.Arbitrary<Buffer> =>
  fc.string({ unit: 'binary', maxLength }).map((s) => Buffer.from(s, 'utf8'));

/** A line as the splitter hands it over (no `\n`): arbitrary bytes, valid UTF-8, or rarely a huge one. */
export const lineBytes: fc.Arbitrary<Buffer> = fc
  .oneof(
    { weight: 10, arbitrary: bytes(120) },
    { weight: 6, arbitrary: utf8Bytes(120) },
    {
      weight: 1,
      // A huge line: a pattern repeated, cheap to make (the splitter's default cap is 256 KiB).
      arbitrary: fc.tuple(bytes(16), fc.integer({ min: 1000, max: 300_000 })).map(([p, n]) =>
        Buffer.alloc(n, p.length > 0 ? p : Buffer.from('x')),
      ),
    },
  )
  .map((b) => Buffer.from(b.map((c) => (c === 0x0a ? 0x0b : c))));

/** A UTF-16 string of any code units: lone surrogates included, which no UTF-8 decode makes. */
export const anyString = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
      { weight: 2, arbitrary: fc.constantFrom('\n', '\r', '"', '\\', '\0', '\u001b', '\u2028', '\ud800', '\udfff', '\\x', '/') },
      { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
    ),
    maxLength,
  });

/**
 * A file name as a record carries it: a path with hostile segments (newlines, quotes,
 * control bytes, lone surrogates, `\xHH` text standing for invalid UTF-8, very long).
 */
export const fileName: fc.Arbitrary<string> = fc.oneof(
  fc.array(anyString(30), { minLength: 1, maxLength: 4 }).map((segs) => `/pod-data/${segs.join('/')}`),
  anyString(60),
  fc.constantFrom('', '/', '/pod-data/access.log', '/pod-data/a\nb.log', '/pod-data/"q".log', '/pod-data/\\xff\\xfe.log'),
  fc.integer({ min: 300, max: 5000 }).map((n) => `/pod-data/${'d/'.repeat(n >> 1)}x.log`),
);

/** Values a parser may put in fields: strings, finite numbers, exact numbers, nested JSON. */
const fieldValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    anyString(40),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('9007199254740993', '12345678901234567890123', '1e400', '-0.1000000000000000055511151231257827').map(
      (text) => new ExactNumber(text),
    ),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(anyString(10), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Parsed fields, guarded against the record's own names as the record stage does. */
export const fields = (ctx: RecordContext): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .dictionary(
      fc.oneof(anyString(12), fc.constantFrom('message', 'level', 'status', 'trace_id', 'span_id', '__proto__', 'time', '')),
      fieldValue,
      { maxKeys: 6 },
    )
    .map((f) => guardFields(f, reservedKeys(ctx)));

/** What each parser can write: any JSON (json), strings (regex), nginx's own names (nginx). */
const parsedFields = (ctx: RecordContext): fc.Arbitrary<readonly ['json' | 'nginx' | 'regex', Record<string, unknown>]> =>
  fc.oneof(
    fields(ctx).map((f) => ['json', f] as const),
    fc.dictionary(anyString(12), anyString(30), { maxKeys: 5 }).map((f) => ['regex', guardFields(f, reservedKeys(ctx))] as const),
    fc
      .dictionary(fc.constantFrom(...NGINX_FIELD_NAMES), fc.oneof(anyString(30), fc.nat()), { maxKeys: 8 })
      .map((f) => ['nginx', guardFields(f, reservedKeys(ctx))] as const),
  );

/**
 * Record times the record stage can produce: the read time, or a line's own time, which
 * the parsers take only within 1970–2200 (timestamps.ts). Here from 2001-09-09, where
 * nanoseconds have the 19 digits the Loki rules of test/helpers check for.
 */
export const timeMs = fc.integer({ min: 1_000_003_600_000, max: 7_258_118_399_999 });

/**
 * A record with hostile content wherever input reaches it, wider than the record stage
 * makes (a message with lone surrogates, fields no parser writes).
 */
export const record = (ctx: RecordContext): fc.Arbitrary<LogRecord> =>
  fc
    .record({
      message: fc.oneof(anyString(80), bytes(120).map((b) => b.toString('utf8'))),
      timeMs,
      lineTime: fc.boolean(),
      file: fileName,
      offset: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      key: fc.stringMatching(/^[0-9a-f]{16}$/),
      truncated: fc.boolean(),
      parsed: fc.option(parsedFields(ctx), { nil: undefined }),
    })
    .map((r) => ({
      message: r.message,
      readTimeMs: r.timeMs,
      timeMs: r.lineTime && r.parsed !== undefined ? r.timeMs - 3_600_000 : r.timeMs,
      file: r.file,
      offset: r.offset,
      id: `${r.key}-${r.offset.toString(16)}`,
      truncated: r.truncated,
      fields: r.parsed?.[1],
      parsedBy: r.parsed?.[0],
    }));

/** A process context: host, Kubernetes metadata and static fields as config allows them. */
export const context: fc.Arbitrary<RecordContext> = fc
  .record({
    host: anyString(20),
    pod: fc.option(anyString(20), { nil: undefined }),
    namespace: fc.option(anyString(10), { nil: undefined }),
    node: fc.option(anyString(10), { nil: undefined }),
    podIp: fc.option(fc.ipV6(), { nil: undefined }),
    container: fc.option(anyString(10), { nil: undefined }),
    fields: fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_.]{0,10}$/), anyString(20)), {
      maxLength: 3,
      selector: ([k]) => k,
    }),
    epoch: fc.boolean(),
  })
  .map((c) => ({
    host: c.host,
    kubernetes: { pod: c.pod, namespace: c.namespace, node: c.node, podIp: c.podIp, container: c.container },
    // TAILSHIP_FIELDS may not take a standard record name (config/record-config.ts).
    fields: c.fields.filter(([k]) => !STANDARD_KEYS.includes(k) && k !== 'time'),
    timestampField: '@timestamp',
    epochTimeField: c.epoch ? 'time' : undefined,
  }));

/**
 * The WHATWG Encoding Standard's UTF-8 decoder (§ "utf-8 decoder"), written out as a
 * reference independent of Node's: each maximal ill-formed subsequence becomes one
 * U+FFFD (Unicode §3.9, "U+FFFD substitution of maximal subparts").
 */
export function decodeUtf8Reference(input: Uint8Array): string {
  let out = '';
  let codePoint = 0;
  let needed = 0;
  let seen = 0;
  let lower = 0x80;
  let upper = 0xbf;
  for (let i = 0; i < input.length; i++) {
    const b = input[i]!;
    if (needed === 0) {
      if (b <= 0x7f) out += String.fromCharCode(b);
      else if (b >= 0xc2 && b <= 0xdf) [needed, codePoint] = [1, b & 0x1f];
      else if (b >= 0xe0 && b <= 0xef) {
        if (b === 0xe0) lower = 0xa0;
        if (b === 0xed) upper = 0x9f;
        [needed, codePoint] = [2, b & 0xf];
      } else if (b >= 0xf0 && b <= 0xf4) {
        if (b === 0xf0) lower = 0x90;
        if (b === 0xf4) upper = 0x8f;
        [needed, codePoint] = [3, b & 0x7];
      } else out += '\ufffd';
      continue;
    }
    if (b < lower || b > upper) {
      // The sequence ends before this byte, which is looked at again on its own.
      [codePoint, needed, seen, lower, upper] = [0, 0, 0, 0x80, 0xbf];
      out += '\ufffd';
      i--;
      continue;
    }
    [lower, upper] = [0x80, 0xbf];
    codePoint = (codePoint << 6) | (b & 0x3f);
    if (++seen === needed) {
      out += String.fromCodePoint(codePoint);
      [codePoint, needed, seen] = [0, 0, 0];
    }
  }
  return needed > 0 ? `${out}\ufffd` : out;
}
