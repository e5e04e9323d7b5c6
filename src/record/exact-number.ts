// JSON numbers kept exact. A JSON log may hold numbers a double cannot: ids and offsets
// beyond 2^53, nanosecond times, decimals with more than 15–17 significant digits, values
// beyond a double's range. JSON.parse rounds them (9007199254740993 → 9007199254740992,
// 9223372036854775807 → 9223372036854776000) and Node 20's JSON.parse gives no access to
// the source text. A line that may hold one is parsed again with lossless-json, and each
// number a double would change is kept as its text in an ExactNumber; `jsonText` writes it
// back digit for digit. Pure.
import { parse, splitNumber } from 'lossless-json';

/** Set by ExactNumber.toJSON, read by jsonText around its one JSON.stringify call. */
let exactSeen = false;

/**
 * A JSON number whose decimal value no double holds, kept as its source text (valid JSON
 * number syntax). Encoders write it with `jsonText`, which writes `text` unquoted; a
 * plain JSON.stringify writes it as a string of the same digits (nothing is lost, but
 * the type changes), so encoders never use that for parsed fields.
 */
export class ExactNumber {
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  /** Tells jsonText that its fast pass met an exact number and must write it raw. */
  toJSON(): string {
    exactSeen = true;
    return this.text;
  }

  toString(): string {
    return this.text;
  }
}

/**
 * Whether the double nearest to `text` is the same decimal value, so that writing the
 * double (its shortest round-trip form) gives `text`'s value back: `1e-5` → 0.00001 yes,
 * `0.1` yes, `9007199254740993` no, `1e400` (Infinity) no. `text` is a JSON number.
 */
export function doubleHolds(text: string): boolean {
  const n = Number(text);
  if (!Number.isFinite(n)) return false;
  const a = splitNumber(text);
  const b = splitNumber(String(n));
  return a.digits === b.digits && a.exponent === b.exponent && (a.sign === b.sign || a.digits === '0');
}

/** A JSON number token as a value: a number when a double holds it, else an ExactNumber. */
export function jsonNumber(text: string): number | ExactNumber {
  return doubleHolds(text) ? Number(text) : new ExactNumber(text);
}

/**
 * Whether JSON text may hold a number a double cannot: one with 16 or more digits, or a
 * three-digit exponent. Any number with at most 15 significant digits and an exponent
 * within ±99 is within a double's normal range, where 15 decimal digits always survive
 * the round trip (DBL_DIG). A cheap test on the whole line (digits inside strings count
 * too: then the slow parse finds nothing to keep and costs only time).
 */
const MAY_LOSE_DIGITS = /\d(?:\.?\d){15}|[eE][+-]?\d{3}/;

/**
 * JSON.parse, except that numbers a double cannot hold become ExactNumbers. Most lines
 * take JSON.parse alone; one that may hold such a number is parsed with lossless-json
 * (duplicate keys: the last wins, as with JSON.parse). Throws SyntaxError on invalid JSON.
 */
export function parseJsonExact(text: string): unknown {
  if (!MAY_LOSE_DIGITS.test(text)) return JSON.parse(text);
  return parse(text, null, { parseNumber: jsonNumber, onDuplicateKey: ({ newValue }) => newValue });
}

/**
 * JSON.stringify of parsed fields (or any JSON value), with ExactNumbers written as
 * their digits. One native pass; only when it met an ExactNumber is the value written
 * again by a small walker. This is the one way encoders write parsed values.
 */
export function jsonText(value: object): string {
  exactSeen = false;
  const text = JSON.stringify(value);
  return exactSeen ? writeExact(value)! : text;
}

function writeExact(v: unknown): string | undefined {
  if (v instanceof ExactNumber) return v.text;
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => writeExact(x) ?? 'null').join(',')}]`;
  let s = '';
  for (const key of Object.keys(v)) {
    const x = writeExact((v as Record<string, unknown>)[key]);
    if (x !== undefined) s += `${s ? ',' : ''}${JSON.stringify(key)}:${x}`;
  }
  return `{${s}}`;
}
