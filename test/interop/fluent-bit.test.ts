// tailship against Fluent Bit 5.1.1 as the collector, one input per protocol: `json` and
// `ndjson` → its http input, `elasticsearch` → its elasticsearch input (bulk answered per
// item), `otlp` → its opentelemetry input, `splunk_hec` → its splunk input. Each run
// ships nginx access and error lines, half written before tailship starts and half while
// it runs, and checks what Fluent Bit's stdout output printed: every line once, with its
// time, message, Kubernetes metadata and parsed fields as Fluent Bit stored them.
import { isDeepStrictEqual } from 'node:util';
import t, { type Test } from 'tap';
import { appendFileSync } from 'node:fs';
import { errorLine, onceEach, seqOf, writeAccess, type AccessLine } from '../helpers/nginx-traffic.js';
import {
  expectedRecord,
  FluentBitPeer,
  interopWorkspace,
  parsedAccessFields,
  PEERS_DIR,
  PEERS_SKIP_REASON,
  POD,
  type FluentBitInput,
} from '../helpers/peers.js';
import { waitFor } from '../helpers/wait-for.js';

const ACCESS_LINES = 20_000;
const ERROR_LINES = 200;

interface Run {
  /** Every record Fluent Bit printed. */
  records: ReadonlyArray<Record<string, any>>;
  access: AccessLine[];
  accessFile: string;
  errorFile: string;
}

/** Ships the lines to a Fluent Bit input and returns what it printed, once every line is in. */
async function ship(
  t: Test,
  input: FluentBitInput,
  sink: string,
  env: Record<string, string>,
  seqOfRecord: (r: Record<string, any>) => number | undefined,
): Promise<Run> {
  const started = Date.now();
  const peer = await FluentBitPeer.start(t, input);
  const ws = interopWorkspace(t, peer.url, { TAILSHIP_SINK: sink, ...env });
  const now = Date.now();
  const access = writeAccess(ws.access, 0, ACCESS_LINES / 2, now);
  appendFileSync(ws.error, Array.from({ length: ERROR_LINES }, (_, i) => `${errorLine(i, now).line}\n`).join(''));
  const ts = await ws.start();
  access.push(...writeAccess(ws.access, ACCESS_LINES / 2, ACCESS_LINES / 2));
  const total = ACCESS_LINES + ERROR_LINES;
  await waitFor(`${total} records printed by Fluent Bit`, () => peer.records().length >= total, { timeoutMs: 90_000, intervalMs: 200 });
  t.equal(await ts.metric('tailship_records_sent_total'), total, 'tailship sent each record in one accepted request (no re-sends)');
  t.equal(await ts.metric('tailship_dead_letter_records_total'), 0, 'nothing dead-lettered');
  t.same(await ts.stop(), { code: 0, signal: null }, 'tailship drained and exited 0');
  const records = peer.records();
  const once = onceEach(records.map(seqOfRecord).filter((seq) => seq !== undefined), ACCESS_LINES);
  t.same(once, { missing: [], duplicated: [], stray: 0 }, `${ACCESS_LINES} access lines, each once`);
  t.equal(records.length, total, `${total} records in all, the ${ERROR_LINES} error lines included`);
  t.comment(`${input} input, ${sink}: ${total} lines in ${((Date.now() - started) / 1000).toFixed(1)} s (peer start to last record)`);
  return { records, access, accessFile: ws.access, errorFile: ws.error };
}

/** Checks a set of stored values per access line; reports the first mismatches only. */
function everyAccess(t: Test, run: Run, storedOf: (seq: number) => Record<string, any> | undefined, want: (a: AccessLine) => object, what: string) {
  const wrong: string[] = [];
  for (const a of run.access) {
    const stored = storedOf(a.seq);
    if (stored === undefined) {
      wrong.push(`${a.seq}: not stored`);
    } else {
      for (const [k, v] of Object.entries(want(a))) {
        if (JSON.stringify(stored[k]) !== JSON.stringify(v)) wrong.push(`${a.seq}: ${k} = ${JSON.stringify(stored[k])}, expected ${JSON.stringify(v)}`);
      }
    }
    if (wrong.length >= 5) break;
  }
  t.same(wrong, [], what);
}

/** The record of an access line as json and ndjson send it: with `time`. */
function recordOf(a: AccessLine, file: string): Record<string, unknown> {
  return { ...expectedRecord(a, file), time: a.timeMs / 1000 };
}

function bySeq(records: ReadonlyArray<Record<string, any>>, seqOfRecord: (r: Record<string, any>) => number | undefined) {
  const map = new Map<number, Record<string, any>>();
  for (const r of records) {
    const seq = seqOfRecord(r);
    if (seq !== undefined) map.set(seq, r);
  }
  return map;
}

async function main(): Promise<void> {
  const jsonRecordTests: Array<[string, string, Record<string, string>]> = [
    ['json', 'json', {}],
    // Fluent Bit refuses application/x-ndjson (400); NDJSON is taken as application/json.
    ['ndjson', 'ndjson', { TAILSHIP_HEADERS: 'Content-Type=application/json' }],
  ];
  for (const [name, sink, env] of jsonRecordTests) {
    await t.test(`${name} → Fluent Bit http input`, async (t) => {
      const seq = (r: Record<string, any>) => seqOf(r['message']);
      const run = await ship(t, 'http', sink, env, seq);
      const stored = bySeq(run.records, seq);
      everyAccess(t, run, (s) => stored.get(s), (a) => recordOf(a, run.accessFile), 'every access record as sent: time, message, metadata, nginx fields');
      t.match(stored.get(0), { offset: 0, id: /^[0-9a-f]{16}-0$/ }, 'offset and id');
      const sample = stored.get(3)!;
      t.ok(Math.abs(sample['date'] - Date.now() / 1000) < 300, 'Fluent Bit stamps its own receipt time (date); the line time is @timestamp and time');
      const error = run.records.find((r) => r['file'] === run.errorFile && r['offset'] === 0)!;
      t.match(error, { level: 'error', pid: 12, tid: 12, connection: 0, server: 'shop.example', http_host: 'shop.example', file: run.errorFile }, 'an error line, parsed');
      t.comment(`stored (abridged): ${JSON.stringify(abridge(sample))}`);
    });
  }

  await t.test('elasticsearch → Fluent Bit elasticsearch input (_bulk answered per item)', async (t) => {
    const seq = (r: Record<string, any>) => seqOf(r['message']);
    const run = await ship(t, 'elasticsearch', 'elasticsearch', {}, seq);
    const stored = bySeq(run.records, seq);
    t.notOk('time' in stored.get(0)!, 'no epoch `time` in Elasticsearch documents');
    everyAccess(t, run, (s) => stored.get(s), (a) => expectedRecord(a, run.accessFile), 'every document as sent');
    const ids = new Set(run.records.map((r) => r['@meta']?.create?._id));
    t.equal(ids.size, run.records.length, 'a distinct _id per document');
    t.ok(run.records.every((r) => r['@meta'].create._id === r['id'] && r['@meta'].create._index === 'logs-tailship-default'), 'create action: _id is the record id, the default index');
    t.comment(`stored (abridged): ${JSON.stringify(abridge(stored.get(3)!))}`);
  });

  await t.test('otlp → Fluent Bit opentelemetry input', async (t) => {
    const seq = (r: Record<string, any>) => seqOf(r['log']);
    const run = await ship(t, 'opentelemetry', 'otlp', {}, seq);
    const stored = bySeq(run.records, seq);
    const resource = {
      'service.name': POD.container,
      'host.name': POD.name,
      'k8s.pod.name': POD.name,
      'k8s.namespace.name': POD.namespace,
      'k8s.node.name': POD.node,
      'k8s.container.name': POD.container,
      'k8s.pod.ip': POD.ip,
    };
    t.ok(
      run.records.every((r) => isDeepStrictEqual(r['__internal__']?.group_attributes?.resource?.attributes, resource)),
      'every record: the Pod as k8s.* resource attributes',
    );
    everyAccess(t, run, (s) => {
      const r = stored.get(s);
      return r && { date: r['date'], log: r['log'], severity_number: r['__internal__'].log_metadata.otlp.severity_number, ...r['__internal__'].log_metadata.otlp.attributes };
    }, (a) => ({
      date: a.timeMs / 1000,
      log: a.line,
      severity_number: a.status >= 500 ? 17 : a.status >= 400 ? 13 : 9,
      'log.file.path': run.accessFile,
      'log.file.name': 'access.log',
      'client.address': a.remoteAddr,
      'user.name': a.remoteUser,
      'http.request.method': a.method,
      'url.path': a.path,
      'url.query': a.query,
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
      'http.response.status_code': a.status,
      'http.response.body.size': a.bytes,
      'http.request.header.referer': a.referer === undefined ? undefined : [a.referer],
      'user_agent.original': a.userAgent,
    }), 'every log record: the line time, body, severity and semantic-convention attributes');
    const errors = run.records.filter((r) => r['__internal__'].log_metadata.otlp.attributes['log.file.path'] === run.errorFile);
    const levels = new Map(errors.map((r) => [r['__internal__'].log_metadata.otlp.severity_text, r['__internal__'].log_metadata.otlp.severity_number]));
    t.same(Object.fromEntries(levels), { error: 17, warn: 13, notice: 10, crit: 18 }, "nginx's error-log levels as OpenTelemetry severities");
    t.match(errors[0]!['__internal__'].log_metadata.otlp.attributes, { 'process.pid': 12, 'thread.id': 12, 'server.address': 'shop.example', 'http.request.header.host': ['shop.example'] });
    t.comment(`stored (abridged): ${JSON.stringify(abridge(stored.get(3)!))}`);
  });

  await t.test('splunk_hec → Fluent Bit splunk input', async (t) => {
    const seq = (r: Record<string, any>) => seqOf(r['event']?.message);
    const run = await ship(t, 'splunk', 'splunk_hec', { TAILSHIP_AUTH_BEARER_TOKEN: 'hec-token', TAILSHIP_SPLUNK_SOURCETYPE: 'nginx:access' }, seq);
    const stored = bySeq(run.records, seq);
    everyAccess(t, run, (s) => {
      const r = stored.get(s);
      return r && { time: r['time'], host: r['host'], source: r['source'], sourcetype: r['sourcetype'], fields: r['fields'], ...r['event'] };
    }, (a) => ({
      time: a.timeMs / 1000,
      host: POD.name,
      source: run.accessFile,
      sourcetype: 'nginx:access',
      fields: { pod: POD.name, namespace: POD.namespace, node: POD.node, pod_ip: POD.ip, container: POD.container },
      message: a.line,
      ...parsedAccessFields(a),
    }), 'every event: time, host, source, the parsed event and the indexed Pod fields');
    t.comment(`stored (abridged): ${JSON.stringify(abridge(stored.get(3)!))}`);
  });
}

/** A stored record with long strings cut, for the report. */
function abridge(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 40 ? `${value.slice(0, 37)}…` : value;
  if (Array.isArray(value)) return value.map(abridge);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, abridge(v)]));
  return value;
}

if (PEERS_DIR === undefined) t.plan(0, PEERS_SKIP_REASON);
else await main();
