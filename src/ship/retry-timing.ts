// How long to wait before the next attempt: exponential backoff with full jitter,
// capped, and a collector's Retry-After honoured (capped by the same maximum).
// Pure: `random` is passed in so tests can pin it.

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * Delay before retry number `attempt` (1 = the first retry). Full jitter (a uniform draw
 * in [0, ceiling)) spreads a fleet of sidecars that all saw the same outage; the floor of
 * a quarter of the initial delay keeps a failing collector from being hammered.
 */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const exp = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  const floor = Math.min(policy.initialMs / 4, exp);
  return Math.round(floor + random() * (exp - floor));
}

/** The wait to use when the collector sent Retry-After: at least what it asked, at most the cap. */
export function retryDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number,
  retryAfterMs: number | undefined,
): number {
  const backoff = backoffDelayMs(policy, attempt, random);
  if (retryAfterMs === undefined) return backoff;
  return Math.min(policy.maxMs, Math.max(retryAfterMs, backoff));
}

/**
 * Parses a Retry-After header: delta-seconds or an HTTP-date. Returns milliseconds from
 * `nowMs` (never negative), or undefined for a missing or unreadable value.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // Only the three HTTP-date forms of RFC 9110 §5.6.7. Date.parse alone accepts nearly
  // anything ("-1" and "soon 12" are dates in 2001 to V8), and reads asctime, which has
  // no zone, in the process's local zone although HTTP dates are always GMT.
  let text: string;
  if (IMF_FIXDATE.test(v) || RFC850_DATE.test(v)) text = v;
  else if (ASCTIME_DATE.test(v)) text = `${v} GMT`;
  else return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
/** `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete) */
const RFC850_DATE = /^[A-Za-z]{6,9}, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
/** `Sun Nov  6 08:49:37 1994` (obsolete; no zone, GMT by definition) */
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;
