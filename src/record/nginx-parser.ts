import { unescapeNginx } from './nginx-escape.js';
import type { LineParser, ParsedLine } from './parser.js';
import { parseErrorLogTime, parseTimeLocal, TIME_LOCAL_LENGTH } from './timestamps.js';

/** Reasons a line is not nginx's; constant strings, shipped in `parse_error`. */
export const NGINX_NO_MATCH = 'nginx: not an access or error log line';
export const NGINX_BAD_TIME = 'nginx: invalid time';

/** Every field name the nginx parser can write, to check once for clashes with the record's own. */
export const NGINX_FIELD_NAMES: readonly string[] = [
  'remote_addr',
  'remote_user',
  'method',
  'path',
  'protocol',
  'request',
  'status',
  'body_bytes_sent',
  'referer',
  'user_agent',
  'x_forwarded_for',
  'request_time',
  'upstream_response_time',
  'upstream_connect_time',
  'upstream_header_time',
  'level',
  'pid',
  'tid',
  'connection',
  'error',
  'server',
  'subrequest',
  'upstream',
  'http_host',
];

/**
 * nginx's access and error logs, by a hand-written scanner over the decoded line.
 * Measured against one precompiled regex doing the same work (bench/parse.ts): a tie,
 * about 0.4 µs per `main` line on the 2-core dev machine, the scanner a few percent
 * ahead. The scanner is kept for what a single regex does poorly: the optional tails
 * (x_forwarded_for, timings in two notations), the `-` rules and the request split.
 *
 * Access lines: the `common`, `combined` and `main` formats,
 *
 *   $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
 *     "$http_referer" "$http_user_agent" ["$http_x_forwarded_for"] [timings]
 *
 * where the optional timings are bare numbers (`$request_time $upstream_response_time`)
 * or `key=value` pairs (`rt=`, `urt=`, `uct=`, `uht=` or the variables' own names).
 * Fields: remote_addr, remote_user, method, path, protocol (or `request` when the
 * request line does not split: TLS probes, garbage), status, body_bytes_sent, referer,
 * user_agent, x_forwarded_for, request_time, upstream_response_time,
 * upstream_connect_time, upstream_header_time. `$time_local` becomes the record's time.
 *
 * Error lines: `2026/11/25 21:00:00 [error] 123#0: *1 text, client: …, server: …,
 * request: "…", upstream: "…", host: "…", referrer: "…"` into level, pid, tid,
 * connection, error (the text), remote_addr, server, method/path/protocol, upstream,
 * http_host (nginx's `host:`; `host` is the record's own), referer.
 *
 * Conventions: numbers are numbers; a `-` (nginx's "no value") leaves the field out
 * rather than writing null, so a field is either absent or of one type; `\xHH` escapes
 * are undone in text fields (a user agent with `\x22` gets its `"` back), except in
 * `request`, which keeps nginx's escaped form because it is kept only when it is not
 * text (a TLS handshake reads `\x16\x03\x01…`).
 */
export class NginxParser implements LineParser {
  readonly name = 'nginx' as const;
  // Consecutive lines mostly share their second: the last $time_local is cached.
  #lastTime = '';
  #lastTimeMs = 0;

  parse(s: string): ParsedLine | string {
    if (s.charCodeAt(4) === 47 /* / */ && s.charCodeAt(19) === 32 && s.charCodeAt(20) === 91 /* [ */) {
      return parseErrorLine(s);
    }
    return this.#access(s);
  }

  #access(s: string): ParsedLine | string {
    // $remote_addr - $remote_user [
    const sp = s.indexOf(' ');
    if (sp <= 0 || s.charCodeAt(sp + 1) !== 45 /* - */ || s.charCodeAt(sp + 2) !== 32) return NGINX_NO_MATCH;
    const fields: Record<string, unknown> = { remote_addr: s.slice(0, sp) };
    let br: number;
    if (s.charCodeAt(sp + 3) === 45 && s.charCodeAt(sp + 4) === 32 && s.charCodeAt(sp + 5) === 91) {
      br = sp + 4; // no user: the usual case, without a search
    } else {
      br = s.indexOf(' [', sp + 3);
      if (br < 0) return NGINX_NO_MATCH;
      if (br > sp + 3) fields['remote_user'] = unescapeNginx(s.slice(sp + 3, br));
    }
    // [$time_local] "
    const t = br + 2;
    if (s.charCodeAt(t + TIME_LOCAL_LENGTH) !== 93 /* ] */) return NGINX_NO_MATCH;
    let timeMs: number | undefined;
    if (this.#lastTime.length > 0 && s.startsWith(this.#lastTime, t)) {
      timeMs = this.#lastTimeMs;
    } else {
      timeMs = parseTimeLocal(s, t);
      if (timeMs === undefined) return NGINX_BAD_TIME;
      this.#lastTime = s.slice(t, t + TIME_LOCAL_LENGTH);
      this.#lastTimeMs = timeMs;
    }
    let i = t + TIME_LOCAL_LENGTH + 1;
    if (s.charCodeAt(i) !== 32 || s.charCodeAt(i + 1) !== 34 /* " */) return NGINX_NO_MATCH;
    // "$request" — escaped, so the next quote closes it.
    const q = s.indexOf('"', i + 2);
    if (q < 0) return NGINX_NO_MATCH;
    splitRequest(s.slice(i + 2, q), fields, true);
    // $status $body_bytes_sent
    i = q + 1;
    if (s.charCodeAt(i) !== 32) return NGINX_NO_MATCH;
    const status = digitsAt(s, i + 1);
    if (status < 0) return NGINX_NO_MATCH;
    fields['status'] = status;
    i = skipDigits(s, i + 1);
    if (s.charCodeAt(i) !== 32) return NGINX_NO_MATCH;
    const bytes = digitsAt(s, i + 1);
    if (bytes < 0) return NGINX_NO_MATCH;
    fields['body_bytes_sent'] = bytes;
    i = skipDigits(s, i + 1);
    if (i === s.length) return { fields, timeMs }; // the `common` format ends here
    // "$http_referer" "$http_user_agent"
    const referer = quotedAt(s, i);
    if (referer < 0) return NGINX_NO_MATCH;
    setText(fields, 'referer', s, i + 2, referer);
    i = referer + 1;
    const agent = quotedAt(s, i);
    if (agent < 0) return NGINX_NO_MATCH;
    setText(fields, 'user_agent', s, i + 2, agent);
    i = agent + 1;
    if (i < s.length) trailing(s, i, fields);
    return { fields, timeMs };
  }
}

/** With ` "` at `i`, the index of the closing quote; else -1. */
function quotedAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== 32 || s.charCodeAt(i + 1) !== 34) return -1;
  return s.indexOf('"', i + 2);
}

function setText(fields: Record<string, unknown>, key: string, s: string, from: number, to: number): void {
  if (to === from || (to === from + 1 && s.charCodeAt(from) === 45)) return;
  fields[key] = unescapeNginx(s.slice(from, to));
}

/** The decimal number at `i` (at least one digit, at most 15), else -1. */
function digitsAt(s: string, i: number): number {
  let n = 0;
  let j = i;
  for (; j < s.length && j - i < 16; j++) {
    const c = s.charCodeAt(j) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return j === i || j - i > 15 ? -1 : n;
}

function skipDigits(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}

/**
 * A request line into method, path and protocol; a line that is not one (no method
 * token, a protocol that is not HTTP/x) is kept whole as `request`.
 */
function splitRequest(r: string, fields: Record<string, unknown>, escaped: boolean): void {
  if (r.length === 0 || r === '-') return;
  const sp1 = r.indexOf(' ');
  const sp2 = r.lastIndexOf(' ');
  if (sp1 > 0 && isMethod(r, sp1)) {
    if (sp1 === sp2) {
      // HTTP/0.9: method and path only.
      if (sp1 + 1 < r.length) {
        fields['method'] = method(r, sp1);
        fields['path'] = escaped ? unescapeNginx(r.slice(sp1 + 1)) : r.slice(sp1 + 1);
        return;
      }
    } else {
      const protocol = sp2 > sp1 + 1 ? httpProtocol(r, sp2 + 1) : undefined;
      if (protocol !== undefined) {
        fields['method'] = method(r, sp1);
        const path = r.slice(sp1 + 1, sp2);
        fields['path'] = escaped ? unescapeNginx(path) : path;
        fields['protocol'] = protocol;
        return;
      }
    }
  }
  fields['request'] = r;
}

/** The common methods as constants: no new string per line. */
function method(r: string, end: number): string {
  if (end === 3 && r.startsWith('GET')) return 'GET';
  if (end === 4 && r.startsWith('POST')) return 'POST';
  if (end === 4 && r.startsWith('HEAD')) return 'HEAD';
  return r.slice(0, end);
}

/** `HTTP/d` or `HTTP/d.d` from `i` to the end of `r`, else undefined. */
function httpProtocol(r: string, i: number): string | undefined {
  const n = r.length - i;
  if ((n !== 6 && n !== 8) || !r.startsWith('HTTP/', i) || !isDigit(r.charCodeAt(i + 5))) return undefined;
  if (n === 6) return r.slice(i);
  if (r.charCodeAt(i + 6) !== 46 /* . */ || !isDigit(r.charCodeAt(i + 7))) return undefined;
  if (r.endsWith('HTTP/1.1')) return 'HTTP/1.1';
  if (r.endsWith('HTTP/2.0')) return 'HTTP/2.0';
  return r.slice(i);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Upper-case letters, digits, `-` and `_` (M-SEARCH, PROPFIND), starting with a letter. */
function isMethod(r: string, end: number): boolean {
  if (end > 32) return false;
  const first = r.charCodeAt(0);
  if (first < 65 || first > 90) return false;
  for (let i = 1; i < end; i++) {
    const c = r.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95)) return false;
  }
  return true;
}

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
 * What follows the user agent: `main`'s quoted `$http_x_forwarded_for`, then timings.
 * Unknown tokens are skipped: the line still parsed, and `message` keeps them.
 */
function trailing(s: string, i: number, fields: Record<string, unknown>): void {
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

interface ContextKey {
  readonly marker: string;
  readonly field: string;
  readonly quoted: boolean;
}

// The context nginx appends to an HTTP error, always in this order
// (ngx_http_log_error and ngx_http_log_error_handler).
const ERROR_CONTEXT: readonly ContextKey[] = [
  { marker: ', client: ', field: 'remote_addr', quoted: false },
  { marker: ', server: ', field: 'server', quoted: false },
  { marker: ', request: "', field: 'request', quoted: true },
  { marker: ', subrequest: "', field: 'subrequest', quoted: true },
  { marker: ', upstream: "', field: 'upstream', quoted: true },
  { marker: ', host: "', field: 'http_host', quoted: true },
  { marker: ', referrer: "', field: 'referer', quoted: true },
];

/** `2026/11/25 21:00:00 [level] pid#tid: [*cid ]text[, client: …]`. */
function parseErrorLine(s: string): ParsedLine | string {
  const timeMs = parseErrorLogTime(s);
  if (timeMs === undefined) return NGINX_BAD_TIME;
  const lb = s.indexOf('] ', 21);
  if (lb < 0) return NGINX_NO_MATCH;
  const fields: Record<string, unknown> = { level: s.slice(21, lb) };
  let i = lb + 2;
  const pid = digitsAt(s, i);
  if (pid < 0) return NGINX_NO_MATCH;
  i = skipDigits(s, i);
  if (s.charCodeAt(i) !== 35 /* # */) return NGINX_NO_MATCH;
  const tid = digitsAt(s, i + 1);
  if (tid < 0) return NGINX_NO_MATCH;
  i = skipDigits(s, i + 1);
  if (s.charCodeAt(i) !== 58 || s.charCodeAt(i + 1) !== 32) return NGINX_NO_MATCH;
  fields['pid'] = pid;
  fields['tid'] = tid;
  i += 2;
  if (s.charCodeAt(i) === 42 /* * */) {
    const cid = digitsAt(s, i + 1);
    if (cid >= 0) {
      fields['connection'] = cid;
      i = skipDigits(s, i + 1) + 1;
    }
  }
  const ctx = s.indexOf(ERROR_CONTEXT[0]!.marker, i);
  fields['error'] = s.slice(i, ctx < 0 ? s.length : ctx);
  if (ctx < 0) return { fields, timeMs };
  // Find each marker after the previous one; a value runs to the next marker found.
  const found: Array<{ key: ContextKey; at: number }> = [];
  let from = ctx;
  for (const key of ERROR_CONTEXT) {
    const at = s.indexOf(key.marker, from);
    if (at < 0) continue;
    found.push({ key, at });
    from = at + key.marker.length;
  }
  for (let k = 0; k < found.length; k++) {
    const { key, at } = found[k]!;
    const start = at + key.marker.length;
    let end = k + 1 < found.length ? found[k + 1]!.at : s.length;
    if (key.quoted && s.charCodeAt(end - 1) === 34) end--;
    const value = s.slice(start, end);
    if (key.field === 'request') splitRequest(value, fields, false);
    else if (value.length > 0) fields[key.field] = value;
  }
  return { fields, timeMs };
}
