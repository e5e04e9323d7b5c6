import t from 'tap';
import { isValidLokiLabelName, lokiEncoder, type LokiOptions } from '../../../src/ship/encoders/loki.js';
import { lokiPushProblems } from '../../helpers/protocol-rules.js';
import { ACCESS, ctx, rec, T0 } from '../../helpers/records.js';

const DEFAULT_LABELS: LokiOptions['labels'] = [
  ['job', 'tailship'],
  ['namespace', '$kubernetes.namespace'],
  ['pod', '$kubernetes.pod'],
  ['container', '$kubernetes.container'],
  ['filename', '$file'],
];
const opts = (over: Partial<LokiOptions> = {}): LokiOptions => ({
  labels: DEFAULT_LABELS,
  structuredMetadata: [],
  line: 'message',
  ...over,
});

t.test('golden: streams by label set, nanosecond strings, sorted by time within a stream', async (t) => {
  const enc = lokiEncoder(ctx, opts());
  t.equal(enc.defaultPath, '/loki/api/v1/push');
  t.equal(enc.contentType, 'application/json');
  const records = [
    rec(0, ACCESS),
    rec(96, 'second "quoted" line\ttab'),
    rec(0, 'error line', { file: '/pod-data/error.log', timeMs: T0 - 5, readTimeMs: T0 - 5 }),
    rec(200, 'older', { timeMs: T0 - 1000 }),
  ];
  const body = String(enc.body(records.map((r) => enc.encode(r))));
  const labels = (file: string) => ({
    container: 'nginx-container',
    filename: file,
    job: 'tailship',
    namespace: 'shop',
    pod: 'web-7d4b9',
  });
  const expected = JSON.stringify({
    streams: [
      {
        stream: labels('/pod-data/access.log'),
        values: [
          ['1795640399123695032', 'older'],
          ['1795640400123694632', ACCESS],
          ['1795640400123694824', 'second "quoted" line\ttab'],
        ],
      },
      { stream: labels('/pod-data/error.log'), values: [['1795640400118694632', 'error line']] },
    ],
  });
  t.equal(body, expected);
  t.same(lokiPushProblems(body), []);
});

t.test('identical lines with one time stay distinct entries (the offset in the free nanoseconds)', async (t) => {
  const enc = lokiEncoder(ctx, opts());
  const second = T0 - 123; // a parsed nginx time: a whole second
  const line = '10.0.0.7 - - [25/Nov/2026:21:00:00 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.31"';
  const records = [
    rec(0, 'GET /healthz 200'),
    rec(17, 'GET /healthz 200'),
    rec(0, line, { timeMs: second }),
    rec(1_000_000, line, { timeMs: second }),
  ];
  const values = JSON.parse(String(enc.body(records.map((r) => enc.encode(r))))).streams[0].values as string[][];
  t.same(values.map((v) => v[0]), [`${T0}694632`, `${T0}694666`, '1795640400425694633', '1795640400427694633']);
});

t.test('labels from parsed fields, missing values omitted, structured metadata, JSON lines', async (t) => {
  const enc = lokiEncoder(ctx, {
    labels: [
      ['app', 'web'],
      ['status', '$status'],
      ['zone', '$kubernetes.zone_missing'],
    ],
    structuredMetadata: [
      ['id', '$id'],
      ['offset', '$offset'],
      ['method', '$method'],
    ],
    line: 'json',
  });
  const r1 = rec(0, ACCESS, { fields: { status: 200, method: 'GET' } });
  const r2 = rec(96, 'POST /x', { fields: { status: 404, method: 'POST' } });
  const r3 = rec(150, 'unparsed');
  const body = String(enc.body([r1, r2, r3].map((r) => enc.encode(r))));
  t.same(lokiPushProblems(body), []);
  const push = JSON.parse(body);
  t.same(
    push.streams.map((s: { stream: unknown }) => s.stream),
    [{ app: 'web', status: '200' }, { app: 'web', status: '404' }, { app: 'web' }],
  );
  const first = push.streams[0].values[0];
  t.same(first[2], { id: 'a1b2c3d4e5f60718-0', offset: '0', method: 'GET' });
  const line = JSON.parse(first[1]);
  t.equal(line.message, ACCESS);
  t.equal(line['@timestamp'], '2026-11-25T21:00:00.123Z');
  t.equal(line.id, 'a1b2c3d4e5f60718-0');
  t.same(push.streams[2].values[0][2], { id: 'a1b2c3d4e5f60718-96', offset: '150' }, 'absent fields are left out');
});

t.test('a label set that resolves to nothing still has one label (Loki refuses none)', async (t) => {
  const bare = { ...ctx, kubernetes: {} };
  const enc = lokiEncoder(bare, opts({ labels: [['namespace', '$kubernetes.namespace']] }));
  const body = String(enc.body([enc.encode(rec(0, 'x'))]));
  t.same(JSON.parse(body).streams[0].stream, { job: 'tailship' });
  t.same(lokiPushProblems(body), []);
});

t.test('label names', async (t) => {
  for (const ok of ['job', 'k8s_pod', '_x', 'A1']) t.ok(isValidLokiLabelName(ok), ok);
  for (const bad of ['1a', 'a-b', 'a.b', '__name__', '', 'é']) t.notOk(isValidLokiLabelName(bad), bad);
});

t.test('size counts the entry', async (t) => {
  const enc = lokiEncoder(ctx, opts());
  const e = enc.encode(rec(0, 'héllo'));
  t.equal(enc.size(e), Buffer.byteLength(`["${T0}694632","héllo"]`) + 1);
});

t.test('bug: an empty file name gave an empty `$file` label value, which Loki refuses; it is left out like any empty value', async (t) => {
  const enc = lokiEncoder(ctx, opts({ labels: [['filename', '$file']] }));
  const body = String(enc.body([enc.encode(rec(0, 'a', { file: '' }))]));
  t.same(lokiPushProblems(body), []);
  t.match(body, '{"stream":{"job":"tailship"}');
});
