// nginx log lines whose fields the test knows, for checking what a real collector stored:
// access lines in nginx's `combined` format (each request path carries a sequence
// number) and error lines, stamped with a given second as nginx does.
import { appendFileSync } from 'node:fs';
import { timeLocal } from '../../src/demo/nginx-lines.js';

export interface AccessLine {
  readonly seq: number;
  readonly line: string;
  readonly timeMs: number;
  readonly remoteAddr: string;
  readonly remoteUser: string | undefined;
  readonly method: string;
  /** The request target: path and query. */
  readonly target: string;
  readonly path: string;
  readonly query: string | undefined;
  readonly status: number;
  readonly bytes: number;
  readonly referer: string | undefined;
  readonly userAgent: string;
}

const METHODS = ['GET', 'GET', 'POST', 'GET', 'PUT', 'DELETE', 'HEAD'];
const STATUSES = [200, 200, 201, 301, 404, 200, 500, 503, 204];
const AGENTS = ['curl/8.5.0', 'kube-probe/1.31', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'];

/** nginx's $time_local of a time, in UTC. */
const pad = (n: number) => String(n).padStart(2, '0');

/** The access line of request `seq`, logged at `timeMs` (nginx keeps the second). */
export function accessLine(seq: number, timeMs: number): AccessLine {
  const second = Math.floor(timeMs / 1000) * 1000;
  const method = METHODS[seq % METHODS.length]!;
  const status = STATUSES[seq % STATUSES.length]!;
  const path = `/interop/${seq}`;
  const query = seq % 3 === 0 ? `page=${seq % 10}&sort=asc` : undefined;
  const target = query === undefined ? path : `${path}?${query}`;
  const remoteAddr = `10.${(seq >> 16) & 255}.${(seq >> 8) & 255}.${seq & 255}`;
  const remoteUser = seq % 5 === 0 ? 'alice' : undefined;
  const bytes = status === 204 ? 0 : (seq * 37) % 50_000;
  const referer = seq % 2 === 0 ? 'https://shop.example/' : undefined;
  const userAgent = AGENTS[seq % AGENTS.length]!;
  const line =
    `${remoteAddr} - ${remoteUser ?? '-'} [${timeLocal(new Date(second))}] "${method} ${target} HTTP/1.1" ` +
    `${status} ${bytes} "${referer ?? '-'}" "${userAgent}"`;
  return { seq, line, timeMs: second, remoteAddr, remoteUser, method, target, path, query, status, bytes, referer, userAgent };
}

export interface ErrorLine {
  readonly seq: number;
  readonly line: string;
  readonly timeMs: number;
  readonly level: string;
}

const LEVELS = ['error', 'warn', 'notice', 'crit'];

/** An error-log line of nginx (its time has no zone: tailship reads it in UTC, as TZ is unset). */
export function errorLine(seq: number, timeMs: number): ErrorLine {
  const d = new Date(Math.floor(timeMs / 1000) * 1000);
  const level = LEVELS[seq % LEVELS.length]!;
  const stamp = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const line =
    `${stamp} [${level}] 12#12: *${seq} open() "/srv/html/missing/${seq}.png" failed (2: No such file or directory), ` +
    `client: 10.0.0.1, server: shop.example, request: "GET /missing/${seq}.png HTTP/1.1", host: "shop.example"`;
  return { seq, line, timeMs: d.getTime(), level };
}

/** Appends access lines `from` … `from + n - 1`, stamped now, in writes of at most 1,000 lines. */
export function writeAccess(file: string, from: number, n: number, nowMs = Date.now()): AccessLine[] {
  const out: AccessLine[] = [];
  for (let i = from; i < from + n; i += 1_000) {
    const part = Array.from({ length: Math.min(1_000, from + n - i) }, (_, k) => accessLine(i + k, nowMs));
    appendFileSync(file, part.map((l) => `${l.line}\n`).join(''));
    out.push(...part);
  }
  return out;
}

/** The sequence number in a stored access line (`/interop/<seq>`), or undefined (an error line). */
export function seqOf(message: unknown): number | undefined {
  const m = /\/interop\/(\d+)/.exec(String(message));
  return m ? Number(m[1]) : undefined;
}

/** Which of `0 … n-1` were never stored and which more than once (first few of each). */
export function onceEach(seqs: Iterable<number | undefined>, n: number): { missing: number[]; duplicated: number[]; stray: number } {
  const tally = new Uint32Array(n);
  let stray = 0;
  for (const seq of seqs) {
    if (seq === undefined || seq >= n) stray++;
    else tally[seq]!++;
  }
  const missing: number[] = [];
  const duplicated: number[] = [];
  tally.forEach((count, seq) => {
    if (count === 0) missing.push(seq);
    if (count > 1) duplicated.push(seq);
  });
  return { missing: missing.slice(0, 10), duplicated: duplicated.slice(0, 10), stray };
}
