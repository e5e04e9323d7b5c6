import { ExactNumber, parseJsonExact } from './exact-number.js';
import type { LineParser, ParsedLine } from './parser.js';
import { parseEpoch, parseIso8601 } from './timestamps.js';

export const JSON_INVALID = 'json: invalid JSON';
export const JSON_NOT_OBJECT = 'json: not a JSON object';
export const JSON_TOO_DEEP = 'json: nested too deep';

/**
 * The deepest nesting of objects and arrays taken, as serde_json's default recursion
 * limit (what Vector and other Rust collectors accept). Encoders write parsed values
 * with recursive code (JSON.stringify, the OTLP value writer): a valid line nested a few
 * thousand deep made them throw, and the file stopped at that line for good.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * A JSON object per line, merged into the record: its top-level keys become fields,
 * nested values stay nested, numbers keep their exact value (exact-number.ts). Anything
 * else (invalid JSON, an array, a string, a number) is not parsed.
 *
 * Time: the first of `timeKeys` that holds an ISO-8601 string (or, under `time`, `ts`
 * and `timestamp`, an epoch number in s or ms) becomes the record's time. When that key
 * is the record's own time field name it is taken out of the fields — the record's time
 * field now carries it — so it is not shipped twice; other keys (`time`, `ts`) stay.
 */
export class JsonParser implements LineParser {
  readonly name = 'json' as const;
  readonly #timestampField: string;
  readonly #timeKeys: readonly string[];

  constructor(timestampField: string) {
    this.#timestampField = timestampField;
    this.#timeKeys = [...new Set([timestampField, '@timestamp', 'timestamp', 'time', 'ts'])];
  }

  parse(message: string): ParsedLine | string {
    // Cheap refusal before JSON.parse: an object starts with `{` (after blanks).
    let i = 0;
    while (i < message.length && isBlank(message.charCodeAt(i))) i++;
    if (message.charCodeAt(i) !== 123 /* { */) {
      return looksLikeJson(message.charCodeAt(i)) && isValidJson(message) ? JSON_NOT_OBJECT : JSON_INVALID;
    }
    let value: unknown;
    try {
      value = parseJsonExact(message);
    } catch (error) {
      // lossless-json recurses: a deep line overflows its stack before the check below.
      return error instanceof RangeError ? JSON_TOO_DEEP : JSON_INVALID;
    }
    // Nesting deeper than the limit needs twice as many brackets: short lines skip the walk.
    if (message.length > 2 * MAX_JSON_DEPTH && deeperThan(value, MAX_JSON_DEPTH)) return JSON_TOO_DEEP;
    const fields = value as Record<string, unknown>;
    let timeMs: number | undefined;
    for (const key of this.#timeKeys) {
      if (!Object.hasOwn(fields, key)) continue;
      const v = fields[key];
      if (typeof v === 'string') timeMs = parseIso8601(v);
      else if (typeof v === 'number' && key !== '@timestamp') timeMs = parseEpoch(v);
      // An epoch with more digits than a double holds (to the nanosecond) is still a time.
      else if (v instanceof ExactNumber && key !== '@timestamp') timeMs = parseEpoch(Number(v.text));
      if (timeMs !== undefined) {
        if (key === this.#timestampField) delete fields[key];
        break;
      }
    }
    return { fields, timeMs };
  }
}

/** Whether objects and arrays in `value` nest more than `limit` deep (`value` itself is level 1). */
function deeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit === 0) return true;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (deeperThan(v, limit - 1)) return true;
  return false;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/** A first character that could start a JSON value other than an object. */
function looksLikeJson(c: number): boolean {
  return c === 91 || c === 34 || c === 45 || (c >= 48 && c <= 57) || c === 116 || c === 102 || c === 110;
}

function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
