import type { RecordContext } from './log-record.js';

/**
 * Keys the encoders write on every record (or may write: `truncated`, `read_time`,
 * `parse_error`). The time field's name is configurable and joins these at run time.
 */
export const STANDARD_KEYS: readonly string[] = [
  'message',
  'file',
  'offset',
  'id',
  'host',
  'kubernetes',
  'truncated',
  'read_time',
  'parse_error',
];

/**
 * With the `json` and `ndjson` protocols, the record's time is also written as epoch
 * seconds under this key: Fluentd's in_http takes a record's `time` (a number) as the
 * event time and removes it (lib/fluent/plugin/in_http.rb, `convert_time_field`), and
 * refuses the whole request when it is not a number.
 */
export const EPOCH_TIME_KEY = 'time';

/** Prefix given to a parsed field whose name is taken by the standard record. */
export const CLASH_PREFIX = 'parsed_';

/**
 * The names a parsed field may not use: the standard keys, the time field (and the epoch
 * time key, when records carry it) and the static fields of TAILSHIP_FIELDS. Encoders
 * merge `fields` after these keys, so a clash would give the JSON object two keys of one
 * name — which collectors resolve differently (first wins, last wins, or a rejected
 * document).
 */
export function reservedKeys(ctx: Pick<RecordContext, 'timestampField' | 'epochTimeField' | 'fields'>): readonly string[] {
  const out = new Set(STANDARD_KEYS);
  out.add(ctx.timestampField);
  if (ctx.epochTimeField !== undefined) out.add(ctx.epochTimeField);
  for (const [key] of ctx.fields) out.add(key);
  return [...out];
}

/**
 * The rule for clashes, decided once: parsed fields never overwrite the standard record.
 * A parsed `message` becomes `parsed_message`, a parsed `host` becomes `parsed_host`,
 * and so on; the raw line stays in `message`. Returns `fields` itself when nothing
 * clashes (the usual case: no copy), else a copy with the clashing keys renamed, in
 * their original order.
 */
export function guardFields(fields: Record<string, unknown>, reserved: readonly string[]): Record<string, unknown> {
  let clash = false;
  for (let i = 0; i < reserved.length; i++) {
    if (Object.hasOwn(fields, reserved[i]!)) {
      clash = true;
      break;
    }
  }
  if (!clash) return fields;
  // A null prototype, so a parsed key named `__proto__` stays an ordinary key.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    out[reserved.includes(key) ? `${CLASH_PREFIX}${key}` : key] = fields[key];
  }
  return out;
}
