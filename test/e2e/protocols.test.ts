// Every collector protocol end to end through the built process: 20,000 lines written
// to a file reach a receiver that speaks the protocol and checks its rules, each line
// exactly once. Elasticsearch also: partial bulk failures, and a SIGKILL + restart whose
// re-sends come back as 409s without duplicate documents.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { TestCollector, type Protocol } from '../helpers/collector.js';
import { FAST_SETTINGS } from '../helpers/setup.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

const N = 20_000;
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Distinct lines, with some that test escaping (quotes, backslashes, non-ASCII, tabs). */
function linesFor(tag: string, n: number, special: (i: number) => string | undefined = () => undefined): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = special(i);
    if (s !== undefined) out.push(s);
    else if (i % 1000 === 7) out.push(`${tag} ${i} "quoted" back\\slash snow☃ tab\there {"json":[1]}`);
    else out.push(`10.0.${i % 250}.1 - - [25/Nov/2026:21:00:00 +0000] "GET /${tag}/${i} HTTP/1.1" 200 ${i * 3} "-" "curl/8.5.0"`);
  }
  return out;
}

function setup(t: { teardown(fn: () => unknown): void }, protocol: Protocol) {
  const dir = mkdtempSync(join(tmpdir(), `tailship-${protocol}-`));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const rx = new TestCollector({ protocol });
  t.teardown(() => rx.close());
  const env = (extra: Record<string, string> = {}) => ({
    ...FAST_SETTINGS,
    TAILSHIP_COLLECTOR_URL: rx.url,
    TAILSHIP_SINK: protocol,
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_STATE_DIR: join(dir, 'state'),
    K8S_POD_NAME: 'web-7d4b9',
    K8S_NAMESPACE: 'shop',
    K8S_NODE_NAME: 'worker-1',
    TAILSHIP_SOURCE_CONTAINER: 'nginx-container',
    ...extra,
  });
  return { dir, logs, file: join(logs, 'access.log'), rx, env };
}

/** Half the lines before start, the rest appended in runs while it runs. */
async function writeWhileRunning(file: string, lines: string[], started: () => Promise<void>): Promise<void> {
  const half = Math.floor(lines.length / 2);
  writeFileSync(file, `${lines.slice(0, half).join('\n')}\n`);
  await started();
  for (let i = half; i < lines.length; i += 1500) appendFileSync(file, `${lines.slice(i, i + 1500).join('\n')}\n`);
}

/** Lines missing and lines stored more than once, as short lists for the failure message. */
function compare(expected: readonly string[], counts: Map<string, number>) {
  const want = new Map<string, number>();
  for (const l of expected) want.set(l, (want.get(l) ?? 0) + 1);
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [l, n] of want) if ((counts.get(l) ?? 0) < n) missing.push(l);
  for (const [l, n] of counts) if (n > (want.get(l) ?? 0)) extra.push(`${n}× ${l}`);
  return { missing: missing.slice(0, 5), missingCount: missing.length, extra: extra.slice(0, 5), extraCount: extra.length };
}

const plain: Array<[Protocol, Record<string, string>]> = [
  ['ndjson', {}],
  ['json', {}],
  ['loki', { TAILSHIP_TENANT_ID: 'team-a' }],
  ['otlp', {}],
  ['splunk_hec', { TAILSHIP_AUTH_BEARER_TOKEN: 'hec-token-1', TAILSHIP_SPLUNK_SOURCETYPE: 'nginx' }],
];

for (const [protocol, extra] of plain) {
  t.test(`${protocol}: ${N} lines arrive once each, every request valid for the protocol`, async (t) => {
    const started = Date.now();
    const { file, rx, env } = setup(t, protocol);
    if (protocol === 'splunk_hec') rx.authorize = (h) => h['authorization'] === 'Splunk hec-token-1';
    if (protocol === 'otlp') rx.otlpAnswer = '{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"one record dropped (test)"}}';
    await rx.start();
    const lines = linesFor(protocol, N, (i) => (i === 4321 ? '' : undefined));
    const ts = new TailshipProcess(env(extra));
    t.teardown(() => ts.kill());
    await writeWhileRunning(file, lines, () => ts.ready());
    await waitFor(`${protocol}: ${N} lines at the receiver`, () => rx.lines.length >= N || rx.problems.length > 0, { timeoutMs: 60_000 });
    const dropped = await ts.metric('tailship_collector_dropped_records_total');
    const exit = await ts.stop();
    t.same(rx.problems.slice(0, 5), [], 'no request broke the protocol rules');
    t.same(exit, { code: 0, signal: null }, 'drained and exited 0');
    t.same(compare(lines, rx.counts()), { missing: [], missingCount: 0, extra: [], extraCount: 0 }, 'each line exactly once');
    t.equal(rx.lines.length, N);
    t.ok(rx.lines.every((l) => l.file === undefined || l.file === file), 'the file travels with each line');
    t.ok(rx.requests.every((r) => r.headers['user-agent'] === `tailship/${VERSION}`), 'user agent');
    t.ok(rx.requests.every((r) => r.headers['content-encoding'] === 'gzip'), 'gzip by default');
    if (protocol === 'loki') {
      t.ok(rx.requests.every((r) => r.headers['x-scope-orgid'] === 'team-a'), 'tenant header');
      const stream = (JSON.parse(rx.requests[0]!.body) as { streams: Array<{ stream: unknown }> }).streams[0]!.stream;
      t.same(stream, { container: 'nginx-container', filename: file, job: 'tailship', namespace: 'shop', pod: 'web-7d4b9' });
    }
    if (protocol === 'otlp') t.equal(dropped, rx.requests.length, 'partial success counted per request, never retried');
    if (protocol === 'splunk_hec') t.ok(rx.requests.every((r) => r.headers['x-splunk-request-channel']), 'channel header');
    t.comment(`${protocol}: ${rx.requests.length} requests, ${Date.now() - started} ms`);
  });
}

t.test(`elasticsearch: ${N} documents by _id; 429 items retried alone, 400 items dead-lettered`, async (t) => {
  const started = Date.now();
  const { dir, file, rx, env } = setup(t, 'elasticsearch');
  // Lines marked BAD are refused for good; lines marked SLOW are refused once with 429.
  rx.bulkFault = (doc, _id, attempt) => {
    const m = String(doc['message']);
    if (m.startsWith('BAD ')) return { status: 400, type: 'document_parsing_exception' };
    if (m.startsWith('SLOW ') && attempt === 1) return { status: 429, type: 'es_rejected_execution_exception' };
    return undefined;
  };
  await rx.start();
  const lines = linesFor('es', N, (i) => (i % 1000 === 500 ? `BAD ${i}` : i % 1000 === 600 ? `SLOW ${i}` : undefined));
  const bad = lines.filter((l) => l.startsWith('BAD '));
  const ts = new TailshipProcess(env({ TAILSHIP_ES_INDEX: 'logs-%Y.%m.%d' }));
  t.teardown(() => ts.kill());
  await writeWhileRunning(file, lines, () => ts.ready());
  await waitFor('all good documents', () => rx.docs.size >= N - bad.length || rx.problems.length > 0, { timeoutMs: 60_000 });
  await waitFor('the dead letters', async () => (await ts.metric('tailship_dead_letter_records_total')) === bad.length, { timeoutMs: 10_000 });
  await ts.stop();
  t.same(rx.problems.slice(0, 5), []);
  const good = lines.filter((l) => !l.startsWith('BAD '));
  t.same(compare(good, rx.counts()), { missing: [], missingCount: 0, extra: [], extraCount: 0 }, 'each good line once');
  t.equal(rx.docs.size, N - bad.length);
  t.equal(rx.conflicts, 0, 'nothing sent twice without a crash');
  const slowAttempts = [...rx.attempts.values()].filter((n) => n === 2).length;
  t.equal(slowAttempts, lines.filter((l) => l.startsWith('SLOW ')).length, 'each 429 item sent exactly twice');
  const deadLetters = readFileSync(join(dir, 'state', 'dead-letter.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; request: string });
  t.equal(deadLetters.length, bad.length);
  t.ok(deadLetters.every((d) => d.reason === 'bulk item 400 document_parsing_exception: injected document_parsing_exception'));
  t.same(deadLetters.map((d) => JSON.parse(d.request.split('\n')[1]!).message).sort(), [...bad].sort());
  // Requests run side by side (TAILSHIP_MAX_IN_FLIGHT): the first batch need not arrive first.
  const action = /^\{"create":\{"_index":"logs-\d{4}\.\d{2}\.\d{2}","_id":"([0-9a-f]{16}-[0-9a-f]+)"\}\}\n/;
  t.ok(rx.requests.every((r) => action.test(r.body)), 'each body starts with a create action, the index from its pattern');
  t.ok(rx.requests.some((r) => action.exec(r.body)?.[1]?.endsWith('-0') === true), "the first line's _id: the file's key, offset 0");
  t.comment(`elasticsearch: ${rx.requests.length} requests, ${Date.now() - started} ms`);
});

t.test('elasticsearch: SIGKILL then restart: re-sent documents come back 409, none stored twice', async (t) => {
  const { file, rx, env } = setup(t, 'elasticsearch');
  rx.delayMs = 15;
  await rx.start();
  const lines = linesFor('crash', N);
  writeFileSync(file, `${lines.join('\n')}\n`);
  // No checkpoint before the kill: everything delivered so far is sent again.
  const settings = env({ TAILSHIP_CHECKPOINT_INTERVAL: '1h', TAILSHIP_MAX_IN_FLIGHT: '1', TAILSHIP_BATCH_MAX_EVENTS: '500' });
  const first = new TailshipProcess(settings);
  t.teardown(() => first.kill());
  await first.ready();
  await waitFor('some documents before the crash', () => rx.docs.size >= 4000, { timeoutMs: 30_000 });
  await first.kill();
  const before = rx.docs.size;
  t.ok(before < N, `killed part way (${before} stored)`);
  rx.delayMs = 0;
  const second = new TailshipProcess(settings);
  t.teardown(() => second.kill());
  await second.ready();
  await waitFor('every document', () => rx.docs.size >= N, { timeoutMs: 60_000 });
  await second.stop();
  t.same(rx.problems.slice(0, 5), []);
  t.equal(rx.docs.size, N, 'each document once');
  t.ok(rx.conflicts >= before, `the re-sends were answered 409 (${rx.conflicts} ≥ ${before})`);
  t.same(compare(lines, rx.counts()), { missing: [], missingCount: 0, extra: [], extraCount: 0 });
  t.equal(await Promise.resolve(second.logs.filter((l) => l['msg'] === 'records rejected; written to the dead-letter file').length), 0, 'a 409 is delivery, not a rejection');
});
