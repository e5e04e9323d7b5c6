// Micro-benchmark of the collector encoders: encode (per line, the hot path), then body
// (per request) and gzip at level 1, per protocol, in CPU time. Prints figures; not a test.
// Run: node --import @tapjs/typescript/import bench/micro/encoders.ts (or BENCH_ONLY=stages npm run bench)
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import type { LogRecord, RecordContext } from '../../src/record/log-record.js';
import { elasticsearchEncoder } from '../../src/ship/encoders/elasticsearch.js';
import type { Encoder } from '../../src/ship/encoders/encoder.js';
import { jsonArrayEncoder } from '../../src/ship/encoders/json-array.js';
import { lokiEncoder } from '../../src/ship/encoders/loki.js';
import { ndjsonEncoder } from '../../src/ship/encoders/ndjson.js';
import { otlpEncoder } from '../../src/ship/encoders/otlp.js';
import { splunkHecEncoder } from '../../src/ship/encoders/splunk-hec.js';

/** CPU time of this process (user + system), so other load on the machine does not count. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const N = Number(process.env['BENCH_LINES'] ?? 500_000);
const BATCH = 10_000;
const ROUNDS = 5;
const ctx: RecordContext = {
  host: 'web-7d4b9',
  kubernetes: { pod: 'web-7d4b9', namespace: 'shop', node: 'worker-1', podIp: '10.1.2.3', container: 'nginx-container' },
  fields: [],
  timestampField: '@timestamp',
};

/** Lines as fresh from a read buffer (flat strings), ~180 bytes like an nginx access line. */
function records(n: number, parsed: boolean): LogRecord[] {
  const out: LogRecord[] = [];
  const t0 = Date.now();
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const message = Buffer.from(
      `10.0.${i % 250}.${i % 7} - - [25/Nov/2026:21:00:${String(i % 60).padStart(2, '0')} +0000] "GET /api/v1/items?page=${i % 40} HTTP/1.1" ${i % 9 === 0 ? 404 : 200} ${(i * 37) % 100_000} "-" "Mozilla/5.0 (X11; Linux x86_64)"`,
    ).toString('utf8');
    const timeMs = t0 + Math.floor(i / 2000);
    out.push({
      message,
      timeMs,
      readTimeMs: timeMs,
      // Runs of lines per file, as a read chunk gives them.
      file: Math.floor(i / 1000) % 2 ? '/pod-data/access.log' : '/pod-data/error.log',
      offset,
      id: `a1b2c3d4e5f60718-${offset.toString(16)}`,
      truncated: false,
      ...(parsed ? { fields: { status: i % 9 === 0 ? 404 : 200, method: 'GET', path: `/api/v1/items?page=${i % 40}`, body_bytes_sent: (i * 37) % 100_000 } } : {}),
    });
    offset += message.length + 1;
  }
  return out;
}

function bench(name: string, enc: Encoder<unknown>, recs: LogRecord[]): void {
  let best = Infinity;
  let bodyBest = Infinity;
  let bytes = 0;
  let sample: string | Buffer = '';
  for (let round = 0; round < ROUNDS; round++) {
    // Batch by batch, as the pipeline does: a batch's fragments live until its request is
    // built, then go (keeping all of them would measure the garbage collector instead).
    let encodeMs = 0;
    let bodyMs = 0;
    for (let from = 0; from < recs.length; from += BATCH) {
      const to = Math.min(recs.length, from + BATCH);
      const t0 = cpuMs();
      const fragments: unknown[] = new Array(to - from);
      for (let i = from; i < to; i++) {
        const f = enc.encode(recs[i]!);
        if (round === 0) bytes += enc.size(f);
        fragments[i - from] = f;
      }
      const t1 = cpuMs();
      sample = enc.body(fragments);
      bodyMs += cpuMs() - t1;
      encodeMs += t1 - t0;
    }
    best = Math.min(best, encodeMs);
    bodyBest = Math.min(bodyBest, bodyMs);
  }
  const g0 = performance.now();
  const gz = gzipSync(sample, { level: 1 });
  const gzMs = performance.now() - g0;
  const perLineNs = (best * 1e6) / recs.length;
  console.log(
    `${name.padEnd(22)} encode ${perLineNs.toFixed(0).padStart(5)} ns/line (${((recs.length / best) * 1000 / 1e6).toFixed(2)} M lines/s, ` +
      `${((bytes / best) * 1000 / 2 ** 20).toFixed(0)} MiB/s)  body ${((bodyBest * 1e6) / recs.length).toFixed(0).padStart(4)} ns/line  ` +
      `gzip-1 of a ${BATCH}-line body ${(Buffer.byteLength(sample) / 2 ** 20).toFixed(2)} MiB → ${(gz.length / 2 ** 10).toFixed(0)} KiB in ${gzMs.toFixed(1)} ms`,
  );
}

const plain = records(N, false);
const parsed = records(N, true);
const loki = { labels: [['job', 'tailship'], ['namespace', '$kubernetes.namespace'], ['pod', '$kubernetes.pod'], ['container', '$kubernetes.container'], ['filename', '$file']] as const, structuredMetadata: [], line: 'message' as const };
console.log(`${N} lines, node ${process.version}`);
bench('ndjson', ndjsonEncoder(ctx) as Encoder<unknown>, plain);
bench('ndjson (parsed)', ndjsonEncoder(ctx) as Encoder<unknown>, parsed);
bench('json', jsonArrayEncoder(ctx) as Encoder<unknown>, plain);
bench('loki', lokiEncoder(ctx, loki) as Encoder<unknown>, plain);
bench('loki (json line)', lokiEncoder(ctx, { ...loki, line: 'json' }) as Encoder<unknown>, plain);
bench('elasticsearch', elasticsearchEncoder(ctx, { index: 'logs-%Y.%m.%d' }) as Encoder<unknown>, plain);
bench('otlp', otlpEncoder(ctx, { version: '0.1.0' }) as Encoder<unknown>, plain);
bench('otlp (parsed fields)', otlpEncoder(ctx, { version: '0.1.0' }) as Encoder<unknown>, parsed);
bench('splunk_hec', splunkHecEncoder(ctx, { sourcetype: 'nginx', index: undefined }) as Encoder<unknown>, plain);
bench('splunk_hec (parsed)', splunkHecEncoder(ctx, { sourcetype: 'nginx', index: undefined }) as Encoder<unknown>, parsed);
