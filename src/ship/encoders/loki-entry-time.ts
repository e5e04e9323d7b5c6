// The time of a Loki entry. Loki keeps one entry per stream for one time and one line
// (its docs: an entry with the same timestamp and content as one already in the stream
// is ignored), so two identical lines with the same time would become one. The
// nanoseconds that the line's time does not use carry the line's place in its file
// instead, which makes entries distinct and keeps a re-sent line's time the same, so
// Loki drops the re-send after a crash as a duplicate.

/** A nanosecond time as whole seconds and the nanoseconds within that second. */
export interface LokiTime {
  readonly sec: number;
  /** 0 ≤ nano < 10⁹. */
  readonly nano: number;
}

/** Odd nanoseconds of a second: the places of lines whose time is a whole second. */
const SECOND_PLACES = 500_000_000;
/** Even nanoseconds below a millisecond: the places of every other line. */
const MILLISECOND_PLACES = 500_000;

/**
 * The entry time of a line: `timeMs` (the record's time, ms) with its free nanoseconds
 * filled from `offset` (the line's byte offset) plus `salt` (from its file's key, see
 * `fileSalt`). Two forms, told apart by the last digit:
 *
 * - A time taken from the line (`fromLine`) that is a whole second — nginx's
 *   `$time_local` and error-log times have no fraction — keeps its second, and the
 *   nanoseconds within it are `2·((offset + salt) mod 5·10⁸) + 1` (odd).
 * - Any other time (the read time, or a line's time with a fraction) keeps its
 *   millisecond, and the nanoseconds below it are `2·((offset + salt) mod 5·10⁵)` (even).
 *
 * Unique per stream: entries of different forms differ in the last digit; entries of one
 * form from one file share a time only if their offsets differ by a multiple of 5·10⁸
 * (500 MB of the file stamped with one second) or 5·10⁵ (500 KB of it stamped with one
 * millisecond: a line time, or one millisecond of reading, where tailship reads a file
 * in `TAILSHIP_READ_CHUNK_BYTES` chunks, 256 KiB by default). Files sharing a stream
 * (the generations of a rotated path, or streams without a `filename` label) differ by
 * their salt: a pair of identical lines with the same time collides only when their
 * offsets differ by exactly the difference of their salts, modulo the places.
 *
 * Stable: the same line, time, offset and file give the same entry time on every send.
 * The time moves by less than the unit it is counted in (a second, a millisecond).
 */
export function lokiEntryTime(timeMs: number, fromLine: boolean, offset: number, salt: number): LokiTime {
  const ms = Math.floor(timeMs);
  const place = offset + salt;
  if (fromLine && ms % 1000 === 0) return { sec: ms / 1000, nano: 2 * (place % SECOND_PLACES) + 1 };
  const sec = Math.floor(ms / 1000);
  return { sec, nano: (ms - sec * 1000) * 1_000_000 + 2 * (place % MILLISECOND_PLACES) };
}

/**
 * A file's salt: the first 32 bits of the record id's file key (`<16 hex>-<offset hex>`,
 * see record-id.ts), 0 for an id of another form.
 */
export function fileSalt(id: string): number {
  const salt = Number.parseInt(id.slice(0, 8), 16);
  return Number.isNaN(salt) ? 0 : salt;
}

const PAD9 = '000000000';

/** Nanoseconds since the epoch as decimal text (they exceed 2^53: no JS number holds them). */
export function lokiTimeText(t: LokiTime): string {
  if (t.sec === 0) return String(t.nano);
  const n = String(t.nano);
  return `${t.sec}${PAD9.slice(n.length)}${n}`;
}

/** Orders entry times. */
export function compareLokiTime(a: LokiTime, b: LokiTime): number {
  return a.sec - b.sec || a.nano - b.nano;
}
