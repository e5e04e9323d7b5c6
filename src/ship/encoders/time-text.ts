// Time as the collectors want it, built as text: nanoseconds since the epoch exceed
// 2^53, so they cannot pass through a JS number without losing digits.

const PAD6 = '000000';

function pad6(n: number): string {
  const s = String(n);
  return s.length >= 6 ? s : PAD6.slice(s.length) + s;
}

/**
 * Milliseconds (possibly fractional) → nanoseconds as a decimal string, exact to the
 * nanosecond that the fraction carries. `1700000000123.5` → `"1700000000123500000"`.
 */
export function nanosText(ms: number): string {
  const whole = Math.floor(ms);
  const sub = Math.round((ms - whole) * 1e6);
  if (sub >= 1e6) return nanosText(whole + 1);
  return whole === 0 ? String(sub) : `${whole}${pad6(sub)}`;
}

/** Orders decimal strings without leading zeros numerically (shorter is smaller). */
export function compareDecimalText(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Epoch seconds with milliseconds, as JSON number text: `1700000000.123` (Splunk HEC `time`). */
export function epochSecondsText(ms: number): string {
  const whole = Math.floor(ms);
  const s = Math.floor(whole / 1000);
  const frac = whole - s * 1000;
  return `${s}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}
