import { unescapeNginx } from './nginx-escape.js';

const TIMING_KEYS: Readonly<Record<string, string>> = {
  rt: 'request_time',
  request_time: 'request_time',
  urt: 'upstream_response_time',
  upstream_response_time: 'upstream_response_time',
  uct: 'upstream_connect_time',
  upstream_connect_time: 'upstream_connect_time',
  uht: 'upstream_header_time',
  upstream_header_time: 'upstream_header_time',
};
const BARE_TIMINGS = ['request_time', 'upstream_response_time'];

/**
 * What follows the user agent in an access line: `main`'s quoted
 * `$http_x_forwarded_for`, then timings, bare (`$request_time $upstream_response_time`)
 * or `key=value` (`rt=`, `urt=`, `uct=`, `uht=` or the variables' own names). Unknown
 * tokens are skipped: the line still parsed, and `message` keeps them.
 */
export function parseTrailing(s: string, i: number, fields: Record<string, unknown>): void {
  let bare = 0;
  let first = true;
  while (i < s.length) {
    if (s.charCodeAt(i) === 32) {
      i++;
      continue;
    }
    let end: number;
    let key: string | undefined;
    let value: string;
    if (s.charCodeAt(i) === 34) {
      end = s.indexOf('"', i + 1);
      if (end < 0) return;
      value = s.slice(i + 1, end);
      end++;
      if (first) {
        if (value !== '-' && value !== '') fields['x_forwarded_for'] = unescapeNginx(value);
        first = false;
        i = end;
        continue;
      }
    } else {
      end = s.indexOf(' ', i);
      if (end < 0) end = s.length;
      const eq = s.indexOf('=', i);
      if (eq > i && eq < end) {
        key = s.slice(i, eq);
        if (s.charCodeAt(eq + 1) === 34) {
          const close = s.indexOf('"', eq + 2);
          if (close < 0) return;
          value = s.slice(eq + 2, close);
          end = close + 1;
        } else {
          value = s.slice(eq + 1, end);
        }
      } else {
        value = s.slice(i, end);
      }
    }
    first = false;
    i = end;
    const name = key === undefined ? BARE_TIMINGS[bare++] : TIMING_KEYS[key];
    if (name === undefined) continue;
    const seconds = timing(value);
    if (seconds !== undefined) fields[name] = seconds;
  }
}

const SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * An nginx timing in seconds. Several upstreams tried for one request give a list
 * (`0.002, 0.010` or `0.002 : 0.010` across internal redirects): their sum is taken,
 * the time spent waiting on upstreams in all; `-` entries count as nothing, and a
 * value with no number at all is left out.
 */
function timing(value: string): number | undefined {
  if (SECONDS.test(value)) return Number(value);
  let sum = 0;
  let any = false;
  for (const part of value.split(/\s*[,:]\s*/)) {
    if (SECONDS.test(part)) {
      sum += Number(part);
      any = true;
    }
  }
  return any ? Math.round(sum * 1e6) / 1e6 : undefined;
}
