// Turning the times found in lines into milliseconds since the epoch. Pure and strict:
// a time that does not have the expected shape is undefined, never a guess.

/**
 * Line times are taken from 1970 up to 2200 (epoch ms, end excluded); outside, the
 * record keeps its read time. Every protocol can carry these: OTLP's `timeUnixNano` is
 * an unsigned 64-bit count (nothing before 1970) and Loki's an int64 count of
 * nanoseconds (nothing after 2262), so one odd line time outside them made the whole
 * request invalid, and its batch dead-lettered.
 */
export const LINE_TIME_MAX_MS = 7_258_118_400_000;

/** `ms` when it lies in the line-time window, else undefined. */
function lineTime(ms: number): number | undefined {
  return ms >= 0 && ms < LINE_TIME_MAX_MS ? ms : undefined;
}

/**
 * A year a line time can be in (the window, widened by a day for zone offsets). Also
 * keeps years 0–99 away from Date.UTC and the Date constructor, which read them as 1900–1999.
 */
function plausibleYear(year: number): boolean {
  return year >= 1969 && year <= 2200;
}

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/** Two ASCII digits at `i` as a number, or NaN. */
function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/** Length of nginx's `$time_local`: `25/Nov/2026:21:00:00 +0000`. */
export const TIME_LOCAL_LENGTH = 26;

/**
 * nginx `$time_local` (Common Log Format time) starting at `i` of `s`, as epoch ms.
 * Reads it in place with char codes: no slicing, no Date parsing.
 */
export function parseTimeLocal(s: string, i: number): number | undefined {
  if (s.charCodeAt(i + 2) !== 47 /* / */ || s.charCodeAt(i + 6) !== 47 || s.charCodeAt(i + 11) !== 58 /* : */) {
    return undefined;
  }
  const day = d2(s, i);
  const month = MONTHS[s.slice(i + 3, i + 6)];
  const year = d2(s, i + 7) * 100 + d2(s, i + 9);
  const hour = d2(s, i + 12);
  const minute = d2(s, i + 15);
  const second = d2(s, i + 18);
  const sign = s.charCodeAt(i + 21);
  const offsetMin = d2(s, i + 22) * 60 + d2(s, i + 24);
  if (
    month === undefined ||
    s.charCodeAt(i + 14) !== 58 ||
    s.charCodeAt(i + 17) !== 58 ||
    s.charCodeAt(i + 20) !== 32 ||
    (sign !== 43 /* + */ && sign !== 45) /* - */ ||
    !(day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60 && offsetMin <= 18 * 60) ||
    !plausibleYear(year)
  ) {
    return undefined;
  }
  const utc = Date.UTC(year, month, day, hour, minute, second);
  return lineTime(utc - (sign === 43 ? offsetMin : -offsetMin) * 60_000);
}

/**
 * nginx error.log time `2026/11/25 21:00:00` at the start of `s`. nginx writes it in its
 * own local time with no zone; it is read in tailship's local time (the TZ of its
 * container, UTC unless set), which is right when both containers share a TZ.
 */
export function parseErrorLogTime(s: string): number | undefined {
  if (
    s.charCodeAt(4) !== 47 ||
    s.charCodeAt(7) !== 47 ||
    s.charCodeAt(10) !== 32 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  ) {
    return undefined;
  }
  const year = d2(s, 0) * 100 + d2(s, 2);
  const month = d2(s, 5);
  const day = d2(s, 8);
  const hour = d2(s, 11);
  const minute = d2(s, 14);
  const second = d2(s, 17);
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60)) {
    return undefined;
  }
  if (!plausibleYear(year)) return undefined;
  return lineTime(new Date(year, month - 1, day, hour, minute, second).getTime());
}

// Date and time, optional fraction, then Z or an offset; a space may stand for the T.
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/**
 * An ISO-8601 date-time as epoch ms (one regex, then Date.UTC: no string rewriting).
 * Without a zone it is taken as UTC (the Kubernetes default, and the only reading that
 * does not depend on where tailship runs). Fractions beyond milliseconds are cut.
 */
export function parseIso8601(text: string): number | undefined {
  if (text.length < 16 || text.length > 40) return undefined;
  const m = ISO_8601.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  if (!plausibleYear(year)) return undefined;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const frac = m[7];
  const ms = frac === undefined ? 0 : Number(frac.length >= 3 ? frac.slice(0, 3) : frac.padEnd(3, '0'));
  let offsetMin = 0;
  if (m[8] !== undefined) {
    offsetMin = Number(m[9]) * 60 + (m[10] === undefined ? 0 : Number(m[10]));
    if (offsetMin > 18 * 60) return undefined;
    if (m[8] === '-') offsetMin = -offsetMin;
  }
  return lineTime(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000);
}

/**
 * A numeric epoch time as found in JSON logs: seconds (pino's `time` is ms, zap's `ts`
 * and Python's are seconds with a fraction). Values below 10^11 are seconds (10^11 s is
 * the year 5138; 10^11 ms is 1973), larger ones milliseconds. Outside 1990–2200 it is
 * not taken as a time.
 */
export function parseEpoch(value: number): number | undefined {
  if (!Number.isFinite(value) || value <= 0) return undefined;
  const ms = value < 1e11 ? value * 1000 : value;
  return ms >= 631_152_000_000 && ms < LINE_TIME_MAX_MS ? Math.round(ms) : undefined;
}
