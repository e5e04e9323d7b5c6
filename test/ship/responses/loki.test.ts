// Loki's push answers: what is delivered, retried, split and dead-lettered.
import t from 'tap';
import { readLokiResponse } from '../../../src/ship/responses/loki.js';

t.test('responses: what is delivered, retried, split and dead-lettered', async (t) => {
  const tooFar =
    "entry with timestamp 2026-11-25 20:00:00 +0000 UTC ignored, reason: 'entry too far behind, entry timestamp is: 2026-11-25T20:00:00Z, oldest acceptable timestamp is: 2026-11-25T20:30:00Z',\nuser 'fake', total ignored: 1 out of 3 for stream: {job=\"tailship\"}";
  const outOfOrder =
    "entry with timestamp 2026-11-25 20:00:00 +0000 UTC ignored, reason: 'entry out of order' for stream: {job=\"tailship\"},\ntotal ignored: 1 out of 1";
  const cases: Array<[number, string, number | undefined, string, RegExp | undefined]> = [
    [204, '', undefined, 'delivered', undefined],
    [200, '', undefined, 'delivered', undefined],
    [429, 'Ingestion rate limit exceeded for user fake', 3000, 'retry', /HTTP 429: Ingestion rate limit/],
    [500, 'internal', undefined, 'retry', /HTTP 500/],
    [503, '', undefined, 'retry', /HTTP 503/],
    [400, tooFar, undefined, 'reject', /entry too far behind/],
    [400, outOfOrder, undefined, 'reject', /entry out of order/],
    [413, 'request body too large', undefined, 'split', /HTTP 413/],
  ];
  for (const [status, body, retryAfterMs, kind, reason] of cases) {
    const out = readLokiResponse({ status, body, retryAfterMs }, 0);
    t.equal(out.kind, kind, `${status} ${body.slice(0, 30)}`);
    if (reason && 'reason' in out) t.match(out.reason, reason);
    if (retryAfterMs !== undefined && out.kind === 'retry') t.equal(out.retryAfterMs, retryAfterMs);
    if (out.kind === 'reject') t.equal(out.status, 400);
  }
});
