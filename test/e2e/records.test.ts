// Records through the built process: metadata with and without the Downward API
// variables, parsing with a rate-limited warning, and multiline records across a crash.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { TestCollector } from '../helpers/collector.js';
import { FAST_SETTINGS } from '../helpers/setup.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

async function workspace(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-records-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const collector = new TestCollector();
  await collector.start();
  t.teardown(() => collector.close());
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...FAST_SETTINGS,
    TAILSHIP_COLLECTOR_URL: collector.url,
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_STATE_DIR: join(dir, 'state'),
    ...extra,
  });
  const start = async (extra: Record<string, string> = {}) => {
    const p = new TailshipProcess(env(extra));
    t.teardown(() => p.kill());
    await p.ready();
    return p;
  };
  return { dir, logs, collector, env, start };
}

t.test('metadata with the Downward API variables', async (t) => {
  const w = await workspace(t);
  writeFileSync(join(w.logs, 'a.log'), 'hello\n');
  const p = await w.start({
    HOSTNAME: 'web-7d9f-abcde',
    K8S_POD_NAME: 'web-7d9f-abcde',
    K8S_NAMESPACE: 'shop',
    K8S_NODE_NAME: 'node-3',
    K8S_POD_IP: '10.244.1.17',
    TAILSHIP_SOURCE_CONTAINER: 'nginx-container',
    TAILSHIP_FIELDS: 'env=prod,team=web',
  });
  const r = await waitFor('the record', () => w.collector.records[0]);
  t.match(r, {
    '@timestamp': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
    message: 'hello',
    file: join(w.logs, 'a.log'),
    offset: 0,
    id: /^[0-9a-f]{16}-0$/,
    host: 'web-7d9f-abcde',
    kubernetes: {
      pod: 'web-7d9f-abcde',
      namespace: 'shop',
      node: 'node-3',
      pod_ip: '10.244.1.17',
      container: 'nginx-container',
    },
    env: 'prod',
    team: 'web',
  });
  t.notOk('read_time' in r, 'no parser: the time is the read time, not repeated');
  await p.stop();
});

t.test('metadata without them: host only, no kubernetes object', async (t) => {
  const w = await workspace(t);
  writeFileSync(join(w.logs, 'a.log'), 'hello\n');
  const p = await w.start({ HOSTNAME: 'laptop', TAILSHIP_TIMESTAMP_FIELD: 'timestamp' });
  const r = await waitFor('the record', () => w.collector.records[0]);
  t.equal(r['host'], 'laptop');
  t.notOk('kubernetes' in r, 'no kubernetes key at all, not an empty object');
  t.match(r['timestamp'], /Z$/, 'the time field under its configured name');
  t.notOk('@timestamp' in r);
  t.strictSame(Object.keys(r).sort(), ['file', 'host', 'id', 'message', 'offset', 'time', 'timestamp']);
  t.equal(r['time'], Date.parse(r['timestamp']) / 1000, 'and in epoch seconds (Fluentd\'s time key)');
  await p.stop();
});

t.test('nginx parsing: fields, the line time, parse errors shipped and the warning rate-limited', async (t) => {
  const w = await workspace(t);
  const access = join(w.logs, 'access.log');
  const good = '203.0.113.9 - - [25/Nov/2026:21:00:00 +0000] "GET /a?b=1 HTTP/1.1" 404 153 "-" "curl/8.5.0"';
  const bad = Array.from({ length: 500 }, (_, i) => `not an nginx line ${i}`);
  writeFileSync(access, `${good}\n${bad.join('\n')}\n`);
  const p = await w.start({ TAILSHIP_PARSER: 'access.log=nginx' });
  await waitFor('501 records', () => w.collector.records.length >= 501);
  const r = w.collector.records.find((x) => x['offset'] === 0)!;
  t.match(r, {
    '@timestamp': '2026-11-25T21:00:00.000Z',
    time: 1795640400,
    message: good,
    remote_addr: '203.0.113.9',
    method: 'GET',
    path: '/a?b=1',
    protocol: 'HTTP/1.1',
    status: 404,
    body_bytes_sent: 153,
    user_agent: 'curl/8.5.0',
  });
  t.match(r['read_time'], /Z$/, 'the read time kept beside the line time');
  const failed = w.collector.records.filter((x) => x['parse_error'] !== undefined);
  t.equal(failed.length, 500, 'every unparsed line shipped');
  t.ok(
    failed.every((x) => x['parse_error'] === 'nginx: not an access or error log line' && String(x['message']).startsWith('not an nginx')),
    'unparsed, with the reason',
  );
  const text = (await p.get('/metrics')).body;
  t.match(text, /tailship_parse_errors_total\{parser="nginx"\} 500/, 'all counted');
  const warnings = p.logs.filter((l) => l['msg'] === 'lines did not parse; shipped unparsed with parse_error');
  t.equal(warnings.length, 1, 'one warning for the storm, not 500');
  t.match(warnings[0], { level: 'warn', component: 'records', parser: 'nginx', file: access, count: 1 });
  await p.stop();
});

/** The acknowledged offset of `path` in the checkpoint file on disk, or undefined. */
function checkpointOffset(stateDir: string, path: string): number | undefined {
  const file = join(stateDir, 'checkpoints.json');
  if (!existsSync(file)) return undefined;
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { files: Array<{ path: string; offset: number }> };
    return doc.files.find((f) => f.path === path)?.offset;
  } catch {
    return undefined; // caught between write and rename: try again
  }
}

const START = '^\\d{4}-\\d{2}-\\d{2} ';
const recordA = ['2026-11-25 21:00:00 INFO started'];
const recordB = [
  '2026-11-25 21:00:01 ERROR request failed',
  'java.lang.IllegalStateException: boom',
  '\tat com.example.Service.handle(Service.java:42)',
  '\tat com.example.Main.main(Main.java:7)',
];
const recordC = ['2026-11-25 21:00:02 INFO next'];
const lines = (l: string[]) => l.map((x) => `${x}\n`).join('');

t.test('multiline: SIGKILL between the lines of one record; after restart the whole record arrives, id of its first line', async (t) => {
  const w = await workspace(t);
  const app = join(w.logs, 'app.log');
  const stateDir = join(w.dir, 'state');
  const multiline = { TAILSHIP_MULTILINE_START: START, TAILSHIP_MULTILINE_TIMEOUT: '10m', TAILSHIP_CHECKPOINT_INTERVAL: '50ms' };
  // A, then the first two lines of B: A leaves when B starts; B is held, waiting for more.
  writeFileSync(app, lines([...recordA, ...recordB.slice(0, 2)]));
  const offB = Buffer.byteLength(lines(recordA));
  const first = await w.start(multiline);
  await waitFor('record A', () => w.collector.records.length >= 1);
  await waitFor('the checkpoint at the first line of B', () => checkpointOffset(stateDir, app) === offB);
  t.equal(w.collector.records.length, 1, 'B is held, not sent');
  await first.kill();
  t.equal(checkpointOffset(stateDir, app), offB, 'the checkpoint never passed the half-written record');

  // The writer finishes B and starts C while tailship is down.
  appendFileSync(app, lines([...recordB.slice(2), ...recordC]));
  const second = await w.start(multiline);
  await waitFor('record B', () => w.collector.records.length >= 2);
  const [a, b] = w.collector.records;
  const key = String(a!['id']).split('-')[0];
  const endB = offB + Buffer.byteLength(lines(recordB));
  t.equal(b!['message'], recordB.join('\n'), 'the whole record, not the lines after the crash');
  t.equal(b!['offset'], offB, 'offset of its first line');
  t.equal(b!['id'], `${key}-${offB.toString(16)}-${endB.toString(16)}`, 'id from the first line (and its end)');
  await second.stop(); // drain: C is flushed too
  t.strictSame(
    w.collector.records.map((r) => r['message']),
    [recordA, recordB, recordC].map((l) => l.join('\n')),
    'each record once, in order',
  );
});

t.test('multiline: SIGKILL after sending, before the checkpoint; the joined record is re-sent with the same id', async (t) => {
  const w = await workspace(t);
  const app = join(w.logs, 'app.log');
  const multiline = { TAILSHIP_MULTILINE_START: START, TAILSHIP_MULTILINE_TIMEOUT: '10m', TAILSHIP_CHECKPOINT_INTERVAL: '1h' };
  writeFileSync(app, lines([...recordB, ...recordC]));
  const first = await w.start(multiline);
  await waitFor('record B', () => w.collector.records.length >= 1);
  await first.kill(); // no checkpoint was written: the restart reads from 0
  const sent = { ...w.collector.records[0]! };
  const second = await w.start(multiline);
  await waitFor('record B again', () => w.collector.records.length >= 2);
  const again = w.collector.records[1]!;
  t.equal(again['id'], sent['id'], 'same id: an idempotent collector drops the duplicate');
  t.equal(again['message'], recordB.join('\n'));
  t.equal(again['message'], sent['message'], 'same content');
  await second.stop();
});

t.test('an invalid regex stops start-up with exit 78, naming the variable', async (t) => {
  const w = await workspace(t);
  const p = new TailshipProcess(w.env({ TAILSHIP_MULTILINE_START: '(unclosed' }));
  t.teardown(() => p.kill());
  const { code } = await p.exited;
  t.equal(code, 78);
  t.match(p.stderr, /TAILSHIP_MULTILINE_START="\(unclosed" is invalid: expected a valid JavaScript regular expression/);
});
