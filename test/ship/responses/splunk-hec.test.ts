// Splunk HEC answers: the HEC code decides, whatever the HTTP status.
import t from 'tap';
import { readHecResponse } from '../../../src/ship/responses/splunk-hec.js';

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
