// How long to wait before a retry: exponential backoff with full jitter, capped, and a
// collector's Retry-After honoured within the cap.
import t from 'tap';
import { backoffDelayMs, parseRetryAfter, retryDelayMs, type BackoffPolicy } from '../../src/ship/retry-timing.js';

const policy: BackoffPolicy = { initialMs: 200, maxMs: 5_000 };
const fixed = (v: number) => () => v;
/** Just below 1: the top of a uniform draw in [0, 1). */
const TOP = 1 - Number.EPSILON;

t.test('backoff: the ceiling doubles per attempt up to the cap; the draw is between the floor and it', async (t) => {
  // [attempt, ceiling]: initial * 2^(attempt-1), capped by max.
  const table: Array<[number, number]> = [
    [1, 200],
    [2, 400],
    [3, 800],
    [4, 1_600],
    [5, 3_200],
    [6, 5_000],
    [7, 5_000],
    [60, 5_000],
    [10_000, 5_000],
  ];
  for (const [attempt, ceiling] of table) {
    t.equal(backoffDelayMs(policy, attempt, fixed(TOP)), ceiling, `attempt ${attempt}: top of the draw is the ceiling`);
    t.equal(backoffDelayMs(policy, attempt, fixed(0)), 50, `attempt ${attempt}: bottom is a quarter of the initial delay`);
    const mid = backoffDelayMs(policy, attempt, fixed(0.5));
    t.equal(mid, Math.round(50 + 0.5 * (ceiling - 50)), `attempt ${attempt}: uniform in between`);
  }
});

t.test('backoff: attempt numbers below 1 are treated as the first retry; huge ones do not overflow', async (t) => {
  for (const attempt of [0, -3]) t.equal(backoffDelayMs(policy, attempt, fixed(TOP)), 200);
  const d = backoffDelayMs({ initialMs: 1, maxMs: Number.MAX_SAFE_INTEGER }, 1e9, fixed(TOP));
  t.ok(Number.isFinite(d) && d > 0, `finite: ${d}`);
});

t.test('backoff: an initial delay above the cap is capped, and the floor never exceeds the cap', async (t) => {
  const p = { initialMs: 10_000, maxMs: 1_000 };
  for (const r of [0, 0.3, TOP]) {
    const d = backoffDelayMs(p, 1, fixed(r));
    t.ok(d <= 1_000 && d >= 0, `random ${r}: ${d} within [0, cap]`);
  }
  // Initial 1 ms: the floor is a quarter of a millisecond, which rounds; never negative.
  t.ok(backoffDelayMs({ initialMs: 1, maxMs: 1 }, 1, fixed(0)) >= 0);
});

t.test('backoff: full jitter spreads the draws over the whole range (seeded random)', async (t) => {
  // A small LCG so the test is deterministic; 2000 draws over attempt 4 (ceiling 1600).
  let s = 12345;
  const random = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const draws = Array.from({ length: 2_000 }, () => backoffDelayMs(policy, 4, random));
  t.ok(Math.min(...draws) >= 50 && Math.max(...draws) <= 1_600, 'within [floor, ceiling]');
  t.ok(Math.min(...draws) < 150, `reaches near the floor (${Math.min(...draws)})`);
  t.ok(Math.max(...draws) > 1_500, `reaches near the ceiling (${Math.max(...draws)})`);
  t.ok(new Set(draws).size > 500, 'not a handful of values: jitter, not a fixed delay');
});

t.test('Retry-After: at least what the collector asked, at most the cap', async (t) => {
  // [retryAfterMs, random, expected]
  const table: Array<[number | undefined, number, number]> = [
    [undefined, 0, 50], // no header: the backoff
    [1_000, 0, 1_000], // asked for more than the backoff: honoured
    [1_000, TOP, 1_000], // attempt 1 ceiling is 200 < 1000
    [0, TOP, 200], // asked for less than the backoff: the backoff wins (never hammer)
    [60_000, 0, 5_000], // asked for more than the cap: capped
  ];
  for (const [after, r, want] of table) {
    t.equal(retryDelayMs(policy, 1, fixed(r), after), want, `Retry-After ${after} ms, random ${r}`);
  }
});

t.test('parseRetryAfter: delta-seconds and HTTP dates', async (t) => {
  const now = Date.parse('2026-11-25T21:00:00.000Z');
  const table: Array<[string | undefined, number | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    ['1', 1_000],
    ['  120 ', 120_000],
    ['1.5', 1_500],
    // IMF-fixdate (the preferred form), 5 s ahead of now.
    ['Wed, 25 Nov 2026 21:00:05 GMT', 5_000],
    // A date in the past means "now", never a negative wait.
    ['Wed, 25 Nov 2026 20:59:00 GMT', 0],
    // The two obsolete forms RFC 9110 still asks recipients to accept.
    ['Wednesday, 25-Nov-26 21:00:07 GMT', 7_000],
    ['Wed Nov 25 21:00:09 2026', 9_000],
    ['Wed Nov  5 21:00:09 2026', 0],
    // Unreadable: undefined, so the plain backoff applies.
    ['soon', undefined],
    ['-1', undefined],
    ['1e3', undefined],
    ['hello 12', undefined],
    ['1 2', undefined],
    ['2026-11-25T21:00:05Z', undefined],
  ];
  for (const [value, want] of table) t.equal(parseRetryAfter(value, now), want, JSON.stringify(value));
});

t.test('parseRetryAfter: an asctime date is GMT whatever the local time zone', async (t) => {
  // asctime carries no zone; RFC 9110 says it is GMT. Date.parse alone reads it in the
  // process's zone. Node applies a change of process.env.TZ at once.
  const saved = process.env['TZ'];
  process.env['TZ'] = 'America/New_York';
  t.teardown(() => {
    if (saved === undefined) delete process.env['TZ'];
    else process.env['TZ'] = saved;
  });
  t.not(new Date(2026, 10, 25).getTimezoneOffset(), 0, 'the zone change took effect');
  t.equal(parseRetryAfter('Wed Nov 25 21:00:09 2026', Date.parse('2026-11-25T21:00:00Z')), 9_000);
});
