// Micro-benchmark of the record stage's parsers: cost per line and per million lines.
// A script that prints figures, not a test. Run: node --import @tapjs/typescript/import bench/micro/parse.ts (or BENCH_ONLY=stages npm run bench)
// (tap's TypeScript loader, already a dev dependency; it compiles once, then runs at full speed).
import { performance } from 'node:perf_hooks';
import { AckQueue } from '../../src/ack/ack-queue.js';
import { JsonParser } from '../../src/record/json-parser.js';
import { unescapeNginx } from '../../src/record/nginx-escape.js';
import { NginxParser } from '../../src/record/nginx-parser.js';
import type { LineParser, ParsedLine } from '../../src/record/parser.js';
import { RecordAssembler, type RecordOptions } from '../../src/record/record-assembler.js';
import { TimedAssembler } from '../../src/record/timed-assembler.js';
import { RegexParser } from '../../src/record/regex-parser.js';
import { parseTimeLocal } from '../../src/record/timestamps.js';

const N = Number(process.env['BENCH_LINES'] ?? 1_000_000);
const ROUNDS = 9;
/** Distinct lines: few enough to stay in cache, as lines fresh from a read buffer are. */
const DISTINCT = 4096;

/** A flat string, as `Buffer.toString` gives (a concatenation is a rope that flattens on first access). */
const flat = (s: string) => Buffer.from(s).toString('utf8');

const agents = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'curl/8.5.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
  'kube-probe/1.31',
];
const paths = ['/', '/index.html', '/api/v1/items?page=2&size=50', '/static/app.3f9a1c.js', '/healthz'];
const statuses = [200, 200, 200, 304, 404, 500, 301];

function nginxLines(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const sec = String(Math.floor(i / 500) % 60).padStart(2, '0');
    out.push(flat(
      `10.0.${i % 250}.${i % 7} - - [25/Nov/2026:21:00:${sec} +0000] "GET ${paths[i % paths.length]} HTTP/1.1" ` +
        `${statuses[i % statuses.length]} ${(i * 37) % 100_000} "-" "${agents[i % agents.length]}" "-"`,
    ));
  }
  return out;
}

function jsonLines(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(flat(
      JSON.stringify({
        level: i % 10 === 0 ? 'warn' : 'info',
        time: `2026-11-25T21:00:${String(i % 60).padStart(2, '0')}.123Z`,
        msg: `request handled ${i}`,
        req: { method: 'GET', url: paths[i % paths.length], id: i },
        status: statuses[i % statuses.length],
        durationMs: i % 250,
      }),
    ));
  }
  return out;
}

/** The alternative measured against the scanner: one precompiled regex, same fields. */
class NginxRegexParser implements LineParser {
  readonly name = 'nginx' as const;
  static readonly RE =
    /^(\S+) - (.*?) \[([^\]]{26})\] "([^"]*)" (\d{1,3}) (\d+)(?: "([^"]*)" "([^"]*)")?(?: "([^"]*)")?/;
  #lastTime = '';
  #lastMs = 0;
  parse(s: string): ParsedLine | string {
    const m = NginxRegexParser.RE.exec(s);
    if (!m) return 'no match';
    const time = m[3]!;
    let timeMs: number | undefined;
    if (time === this.#lastTime) timeMs = this.#lastMs;
    else {
      timeMs = parseTimeLocal(time, 0);
      if (timeMs === undefined) return 'bad time';
      this.#lastTime = time;
      this.#lastMs = timeMs;
    }
    const fields: Record<string, unknown> = { remote_addr: m[1] };
    if (m[2] !== '-') fields['remote_user'] = m[2];
    const r = m[4]!;
    const a = r.indexOf(' ');
    const b = r.lastIndexOf(' ');
    if (a > 0 && b > a) {
      fields['method'] = r.slice(0, a);
      fields['path'] = unescapeNginx(r.slice(a + 1, b));
      fields['protocol'] = r.slice(b + 1);
    } else fields['request'] = r;
    fields['status'] = Number(m[5]);
    fields['body_bytes_sent'] = Number(m[6]);
    if (m[7] !== undefined && m[7] !== '-') fields['referer'] = unescapeNginx(m[7]);
    if (m[8] !== undefined && m[8] !== '-') fields['user_agent'] = unescapeNginx(m[8]);
    if (m[9] !== undefined && m[9] !== '-') fields['x_forwarded_for'] = m[9];
    return { fields, timeMs };
  }
}

type Case = readonly [label: string, lines: readonly string[], parse: (s: string) => unknown];

/**
 * Runs the cases round-robin (A B C A B C …), so a neighbour's load on a shared machine
 * falls on all of them alike; prints the median and the best round of each.
 */
function measure(...cases: Case[]): void {
  let sink = 0;
  const perLine = cases.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    cases.forEach(([, lines, parse], c) => {
      const mask = lines.length - 1;
      const t0 = performance.now();
      for (let i = 0; i < N; i++) if (parse(lines[i & mask]!) !== undefined) sink++;
      perLine[c]!.push(((performance.now() - t0) * 1e6) / N);
    });
  }
  cases.forEach(([label], c) => {
    const sorted = perLine[c]!.sort((x, y) => x - y);
    const best = sorted[0]!;
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(
      `${label.padEnd(46)} ${median.toFixed(0).padStart(5)} ns/line (best ${best.toFixed(0).padStart(4)})` +
        `  ${(median / 1000).toFixed(2).padStart(5)} s per million lines`,
    );
  });
  if (sink < 0) console.log(sink);
}

/** The whole record stage per line (decode, parse, build the record), as the tail calls it. */
function stageCase(label: string, lines: readonly string[], options: Partial<RecordOptions>, shell = false): Case {
  const buffers = lines.map((l) => Buffer.from(l));
  let n = 0;
  const core = new RecordAssembler(
    () => {
      n++;
    },
    {
      context: { timestampField: '@timestamp', fields: [] },
      parsers: [],
      parserRegex: undefined,
      multiline: undefined,
      maxRecordBytes: 256 * 1024,
      ...options,
    },
  );
  const stage = shell ? new TimedAssembler(core) : core;
  const src = { key: '0123456789abcdef', path: '/pod-data/access.log', ackQueue: new AckQueue(0) };
  let offset = 0;
  let i = 0;
  return [
    label,
    lines,
    () => {
      const b = buffers[i++ & (buffers.length - 1)]!;
      stage.line(src, b, offset, offset + b.length + 1, false, 1_795_640_400_000);
      offset += b.length + 1;
      return n;
    },
  ];
}

const nginx = nginxLines(DISTINCT);
const json = jsonLines(DISTINCT);
/** The same JSON lines, each with a 19-digit id no double holds: the lossless parse. */
const jsonBig = json.map((l, i) => flat(`{"trace":${9_000_000_000_000_000_000n + BigInt(i)},${l.slice(1)}`));
console.log(`node ${process.version}, ${N.toLocaleString('en')} lines per round, ${ROUNDS} rounds, ${DISTINCT} distinct lines`);
const scanner = new NginxParser();
const regex = new NginxRegexParser();
console.log('\nnginx access lines (main format), parser alone:');
measure(['hand-written scanner (NginxParser)', nginx, (s) => scanner.parse(s)], ['one precompiled regex (alternative)', nginx, (s) => regex.parse(s)]);
console.log('\nother parsers alone:');
const jp = new JsonParser('@timestamp');
const rp = new RegexParser('^(?<addr>\\S+) - (?<user>\\S+) \\[(?<time>[^\\]]+)\\] "(?<request>[^"]*)" (?<status>\\d+)', '@timestamp');
measure(
  ['json: JSON.parse + ISO-8601 time', json, (s) => jp.parse(s)],
  ['json, a 19-digit id per line (lossless parse)', jsonBig, (s) => jp.parse(s)],
  ['regex: 5 named groups + time', nginx, (s) => rp.parse(s)],
);
console.log('\nthe record stage per line (decode + parse + record object):');
measure(
  stageCase('no parser (the default)', nginx, {}),
  stageCase('no parser, through the timer shell', nginx, {}, true),
  stageCase('nginx parser', nginx, { parsers: [{ glob: undefined, parser: 'nginx' }] }),
  stageCase('json parser', json, { parsers: [{ glob: undefined, parser: 'json' }] }),
  stageCase('multiline, every line a start', nginx, { multiline: { startPattern: '^\\d', timeoutMs: 1000, files: [] } }),
);
