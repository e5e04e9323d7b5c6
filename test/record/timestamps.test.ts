// The time formats parsers read: nginx's $time_local and error-log time, ISO-8601, epochs.
import t from 'tap';
import { LINE_TIME_MAX_MS, parseEpoch, parseErrorLogTime, parseIso8601, parseTimeLocal } from '../../src/record/timestamps.js';

const T0 = Date.UTC(2026, 10, 25, 21, 0, 0);

t.test('parseTimeLocal', async (t) => {
  const rows: Array<[string, number | undefined]> = [
    ['25/Nov/2026:21:00:00 +0000', T0],
    ['25/Nov/2026:23:00:00 +0200', T0],
    ['25/Nov/2026:15:30:00 -0530', T0],
    ['01/Jan/2027:00:00:00 +0000', Date.UTC(2027, 0, 1)],
    ['29/Feb/2028:12:00:00 +0000', Date.UTC(2028, 1, 29, 12)],
    ['25/nov/2026:21:00:00 +0000', undefined],
    ['25/Nov/2026 21:00:00 +0000', undefined],
    ['25/Nov/2026:24:00:00 +0000', undefined],
    ['25/Nov/2026:21:00:00 0000 ', undefined],
    ['xx/Nov/2026:21:00:00 +0000', undefined],
  ];
  for (const [text, want] of rows) t.equal(parseTimeLocal(text, 0), want, text);
  t.equal(parseTimeLocal('[25/Nov/2026:21:00:00 +0000]', 1), T0, 'at an index');
});

t.test('parseErrorLogTime reads local time', async (t) => {
  t.equal(parseErrorLogTime('2026/11/25 21:00:00 [error]'), new Date(2026, 10, 25, 21, 0, 0).getTime());
  t.equal(parseErrorLogTime('2026-11-25 21:00:00 [error]'), undefined);
  t.equal(parseErrorLogTime('2026/13/25 21:00:00 [error]'), undefined);
});

t.test('parseIso8601', async (t) => {
  const rows: Array<[string, number | undefined]> = [
    ['2026-11-25T21:00:00Z', T0],
    ['2026-11-25T21:00:00.123Z', T0 + 123],
    ['2026-11-25T21:00:00.123456789Z', T0 + 123],
    ['2026-11-25T21:00:00.5Z', T0 + 500],
    ['2026-11-25T21:00:00,250Z', T0 + 250],
    ['2026-11-25T22:00:00+01:00', T0],
    ['2026-11-25T22:00:00+0100', T0],
    ['2026-11-25T20:00:00-01', T0],
    ['2026-11-25 21:00:00Z', T0],
    ['2026-11-25T21:00:00', T0],
    ['2026-11-25T21:00Z', T0],
    ['2026-11-25', undefined],
    ['2026-13-25T21:00:00Z', undefined],
    ['Wed, 25 Nov 2026 21:00:00 GMT', undefined],
    ['2026-11-25T21:00:00Zjunk', undefined],
    ['hello', undefined],
  ];
  for (const [text, want] of rows) t.equal(parseIso8601(text), want, text);
});

t.test('parseEpoch', async (t) => {
  t.equal(parseEpoch(T0), T0, 'milliseconds');
  t.equal(parseEpoch(T0 / 1000), T0, 'seconds');
  t.equal(parseEpoch(T0 / 1000 + 0.25), T0 + 250, 'seconds with a fraction');
  t.equal(parseEpoch(42), undefined, 'too small to be a time');
  t.equal(parseEpoch(-1), undefined);
  t.equal(parseEpoch(Number.NaN), undefined);
});

t.test('bug: line times outside 1970–2200 made OTLP and Loki requests invalid; they are not taken', async (t) => {
  // Before the epoch an OTLP timeUnixNano (unsigned) came out negative; after 2262 Loki's
  // int64 nanoseconds overflowed; both made the collector refuse the whole batch.
  t.equal(parseIso8601('1969-12-31T23:59:59Z'), undefined, 'before the epoch');
  t.equal(parseIso8601('9999-12-31T23:59:59Z'), undefined, 'past 2200');
  t.equal(parseTimeLocal('01/Jan/1970:00:00:00 +0100', 0), undefined, 'before the epoch by its offset');
  t.equal(parseErrorLogTime('2200/01/01 00:00:00 [error]'), undefined, 'the end of the window');
  // Date.UTC reads years 0–99 as 1900–1999: year 0070 had become 1970.
  t.equal(parseIso8601('0070-01-01T00:00:00Z'), undefined, 'a two-digit year is not 19xx');
  t.equal(parseIso8601('1970-01-01T00:00:00Z'), 0, 'the window starts at the epoch');
  t.equal(parseIso8601('2199-12-31T23:59:59.999Z'), LINE_TIME_MAX_MS - 1, 'and ends before 2200');
});
