// OTLP/JSON values (the proto3 JSON mapping with OTLP's rules): 64-bit integers are
// decimal strings, keys are lowerCamelCase, enums are numbers.
import { ExactNumber } from '../../record/exact-number.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** `text` (a JSON number's digits) is an integer an int64 holds. */
function isInt64(text: string): boolean {
  if (!/^-?\d+$/.test(text)) return false;
  const n = BigInt(text);
  return n >= INT64_MIN && n <= INT64_MAX;
}

/**
 * A number a double cannot hold (exact-number.ts): `intValue` when it is an integer an
 * int64 holds (ids, nanosecond times); else `stringValue` with its digits. AnyValue has
 * no wider number: a `doubleValue` is read into a double by every receiver, which would
 * lose the digits this keeps, so the exact text is the only lossless form left.
 */
function exactAnyValueJson(v: ExactNumber): string {
  return isInt64(v.text) ? `{"intValue":"${v.text}"}` : `{"stringValue":${JSON.stringify(v.text)}}`;
}

/** A JS value as an OTLP `AnyValue` (JSON text), or undefined for null/undefined. */
export function anyValueJson(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return `{"stringValue":${JSON.stringify(v)}}`;
    case 'boolean':
      return v ? '{"boolValue":true}' : '{"boolValue":false}';
    case 'number':
      if (Number.isSafeInteger(v)) return `{"intValue":"${v}"}`;
      // An integer beyond 2^53 that a double holds exactly: its shortest form is its value.
      if (Number.isInteger(v) && isInt64(String(v))) return `{"intValue":"${String(v)}"}`;
      // proto3 JSON spells the non-finite doubles as strings.
      if (Number.isNaN(v)) return '{"doubleValue":"NaN"}';
      if (!Number.isFinite(v)) return `{"doubleValue":"${v > 0 ? 'Infinity' : '-Infinity'}"}`;
      return `{"doubleValue":${JSON.stringify(v)}}`;
    case 'bigint':
      return `{"intValue":"${v}"}`;
    case 'object': {
      if (v === null) return undefined;
      if (v instanceof ExactNumber) return exactAnyValueJson(v);
      if (Array.isArray(v)) {
        const values = v.map((x) => anyValueJson(x) ?? '{}');
        return `{"arrayValue":{"values":[${values.join(',')}]}}`;
      }
      return `{"kvlistValue":{"values":[${keyValuesJson(v as Record<string, unknown>)}]}}`;
    }
    default:
      return undefined;
  }
}

/** `{"key":…,"value":…}` items (comma-joined, no brackets) for an object's defined entries. */
export function keyValuesJson(obj: Readonly<Record<string, unknown>>): string {
  let s = '';
  for (const key of Object.keys(obj)) {
    const value = anyValueJson(obj[key]);
    if (value === undefined) continue;
    s += `${s ? ',' : ''}{"key":${JSON.stringify(key)},"value":${value}}`;
  }
  return s;
}

/** One `KeyValue` with a string value. */
export function stringAttributeJson(key: string, value: string): string {
  return `{"key":${JSON.stringify(key)},"value":{"stringValue":${JSON.stringify(value)}}}`;
}
