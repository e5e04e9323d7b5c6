// OTLP/HTTP answers, as the OTLP specification defines them.
import t from 'tap';
import { readOtlpResponse } from '../../../src/ship/responses/otlp.js';

t.test('responses: partial success counted not retried; 429/502/503/504 retried; 400 dead-lettered', async (t) => {
  const r = (status: number, body = '', retryAfterMs?: number) => readOtlpResponse({ status, body, retryAfterMs });
  t.same(r(200, '{}'), { kind: 'delivered' });
  t.same(r(200, ''), { kind: 'delivered' });
  t.same(r(200, '{"partialSuccess":{}}'), { kind: 'delivered' });
  t.same(r(200, '{"partialSuccess":{"errorMessage":"a warning only"}}'), { kind: 'delivered' });
  t.same(r(200, '{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"3 records too large"}}'), {
    kind: 'delivered',
    dropped: { records: 3, reason: '3 records too large' },
  });
  t.same(r(200, '{"partialSuccess":{"rejectedLogRecords":2}}'), {
    kind: 'delivered',
    dropped: { records: 2, reason: 'rejected by the collector' },
  });
  for (const status of [429, 502, 503, 504]) {
    t.same(r(status, '{"code":14,"message":"unavailable"}', 5000), {
      kind: 'retry',
      reason: `HTTP ${status}: unavailable`,
      status,
      retryAfterMs: 5000,
    });
  }
  t.same(r(400, '{"code":3,"message":"ReadObjectCB: expect { or n, but found ["}'), {
    kind: 'reject',
    reason: 'HTTP 400: ReadObjectCB: expect { or n, but found [',
    status: 400,
  });
  t.equal(r(413).kind, 'split');
  t.equal(r(404, 'not found').kind, 'reject');
  t.equal(r(401).kind, 'retry', 'a rotated secret may fix it');
});
