import t from 'tap';
import { readHecResponse, splunkHecEncoder } from '../../../src/ship/encoders/splunk-hec.js';
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

t.test('responses: only code 0 is success', async (t) => {
  const three = 3;
  const r = (status: number, body: string, retryAfterMs?: number) => readHecResponse({ status, body, retryAfterMs }, three);
  t.same(r(200, '{"text":"Success","code":0}'), { kind: 'delivered' });
  t.same(r(200, '{"text":"Success","code":0,"ackId":7}'), { kind: 'delivered' });
  t.match(r(200, '{"text":"Server is busy","code":9}'), { kind: 'retry', reason: 'HEC code 9 Server is busy (HTTP 200)' });
  t.match(r(200, ''), { kind: 'retry', reason: /without a HEC code/ }, 'a 200 that is not HEC is not delivery');
  t.match(r(503, '{"text":"Server is busy","code":9}', 2000), { kind: 'retry', status: 503, retryAfterMs: 2000 });
  t.match(r(500, '{"text":"Internal server error","code":8}'), { kind: 'retry' });
  t.match(r(403, '{"text":"Invalid token","code":4}'), { kind: 'retry', status: 403 }, 'a rotated token may fix it');
  t.match(r(401, '{"text":"Token is required","code":2}'), { kind: 'retry' });
  t.match(r(403, '{"text":"Token disabled","code":1}'), { kind: 'retry' });
  t.same(r(400, '{"text":"Incorrect index","code":7,"invalid-event-number":1}'), {
    kind: 'partial',
    retry: [0, 2],
    reject: [{ index: 1, reason: 'HEC code 7 Incorrect index (HTTP 400)' }],
  });
  t.same(r(400, '{"text":"Invalid data format","code":6,"invalid-event-number":2}'), {
    kind: 'partial',
    retry: [0, 1],
    reject: [{ index: 2, reason: 'HEC code 6 Invalid data format (HTTP 400)' }],
  });
  t.same(r(400, '{"text":"Incorrect index","code":7}'), { kind: 'reject', reason: 'HEC code 7 Incorrect index (HTTP 400)', status: 400 });
  t.same(r(400, '{"text":"No data","code":5}'), { kind: 'reject', reason: 'HEC code 5 No data (HTTP 400)', status: 400 });
  t.match(r(400, '{"text":"Invalid data format","code":6,"invalid-event-number":99}'), { kind: 'reject' }, 'index out of range');
  t.match(r(413, '{"text":"Content too large","code":27}'), { kind: 'split' });
  t.match(r(502, '<html>bad gateway</html>'), { kind: 'retry' });
  t.match(r(404, 'not found'), { kind: 'reject' });
});
