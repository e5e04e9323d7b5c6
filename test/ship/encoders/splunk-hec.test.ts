import t from 'tap';
import { splunkHecEncoder } from '../../../src/ship/encoders/splunk-hec.js';
import { hecProblems, parseHecEvents } from '../../helpers/protocol-rules.js';
import { ACCESS, ctx, rec } from '../../helpers/records.js';

const FIELDS = '"fields":{"pod":"web-7d4b9","namespace":"shop","node":"worker-1","pod_ip":"10.1.2.3","container":"nginx-container","env":"prod"}';

t.test('golden: one event object per record, epoch seconds, line or parsed object', async (t) => {
  const enc = splunkHecEncoder(ctx, { sourcetype: 'nginx:plus:access', index: 'web' });
  t.equal(enc.defaultPath, '/services/collector/event');
  t.equal(enc.contentType, 'application/json');
  const body = String(enc.body(
    [rec(0, ACCESS), rec(96, 'parsed', { fields: { status: 200, method: 'GET' } }), rec(110, '')].map((r) => enc.encode(r)),
  ));
  const head = '{"time":1795640400.123,"host":"web-7d4b9","source":"/pod-data/access.log","sourcetype":"nginx:plus:access","index":"web"';
  const expected =
    `${head},"event":${JSON.stringify(ACCESS)},${FIELDS}}\n` +
    `${head},"event":{"message":"parsed","status":200,"method":"GET"},${FIELDS}}\n` +
    `${head},"event":{"message":""},${FIELDS}}\n`;
  t.equal(body, expected);
  t.same(hecProblems(body), []);
  t.equal(parseHecEvents(body).length, 3);
});

t.test('sourcetype and index are left to the token when not set', async (t) => {
  const enc = splunkHecEncoder({ ...ctx, kubernetes: {}, fields: [] }, { sourcetype: undefined, index: undefined });
  t.equal(
    String(enc.encode(rec(0, 'x', { timeMs: 1795640400007 }))),
    '{"time":1795640400.007,"host":"web-7d4b9","source":"/pod-data/access.log","event":"x"}\n',
  );
});

t.test('the HEC rules catch what HEC would refuse', async (t) => {
  t.match(hecProblems('{"event":""}').join(), /not blank/);
  t.match(hecProblems('{"event":"x","fields":{"a":{"b":1}}}').join(), /indexed field a/);
  t.match(hecProblems('{"event":"x","time":1795640400123}').join(), /epoch seconds/);
});

t.test('bug: a first record with an empty file name made the event invalid JSON (`"source":,`)', async (t) => {
  // The per-file cache started at '', so an empty name looked cached and got no source.
  const enc = splunkHecEncoder(ctx, { sourcetype: undefined, index: undefined });
  const body = String(enc.body([rec(0, 'a', { file: '' }), rec(2, 'b')].map((r) => enc.encode(r))));
  t.same(hecProblems(body), []);
  t.same((parseHecEvents(body) as Array<{ source: string }>).map((e) => e.source), ['', '/pod-data/access.log']);
});
