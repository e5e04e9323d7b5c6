// The generic reading of an HTTP status: delivered, retried, split or rejected.
import t from 'tap';
import { classifyStatus, firstKiB, readHttpStatus } from '../../../src/ship/responses/http-status.js';
import type { SendOutcome } from '../../../src/ship/send-outcome.js';

t.test('every status class reads as the README says', async (t) => {
  // [status, kind]
  const table: Array<[number, SendOutcome['kind']]> = [
    [200, 'delivered'],
    [201, 'delivered'],
    [202, 'delivered'],
    [204, 'delivered'],
    [299, 'delivered'],
    // 3xx: a URL to fix, not data to throw away.
    [301, 'retry'],
    [302, 'retry'],
    [307, 'retry'],
    [400, 'reject'],
    // A Secret may be rotated under us: keep the data, try again.
    [401, 'retry'],
    [403, 'retry'],
    [404, 'reject'],
    [405, 'reject'],
    [408, 'retry'],
    [409, 'reject'],
    [410, 'reject'],
    [413, 'split'],
    [415, 'reject'],
    [422, 'reject'],
    [429, 'retry'],
    [451, 'reject'],
    [499, 'reject'],
    [500, 'retry'],
    [501, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [507, 'retry'],
    [599, 'retry'],
  ];
  for (const [status, kind] of table) t.equal(classifyStatus(status, '', undefined).kind, kind, `${status} → ${kind}`);
});

t.test('the reason names the status and the start of the body; status is kept', async (t) => {
  t.same(classifyStatus(400, 'bad field "x"', undefined), { kind: 'reject', reason: 'HTTP 400: bad field "x"', status: 400 });
  t.same(classifyStatus(503, '', undefined), { kind: 'retry', reason: 'HTTP 503', status: 503 });
  t.same(classifyStatus(413, 'too big', undefined), { kind: 'split', reason: 'HTTP 413: too big', status: 413 });
});

t.test('Retry-After is carried on retried statuses only', async (t) => {
  t.same(classifyStatus(429, '', 1_000), { kind: 'retry', reason: 'HTTP 429', status: 429, retryAfterMs: 1_000 });
  t.same(classifyStatus(503, 'later', 0), { kind: 'retry', reason: 'HTTP 503: later', status: 503, retryAfterMs: 0 });
  const noAfter = classifyStatus(429, '', undefined);
  t.notOk('retryAfterMs' in noAfter, 'absent, not undefined, when there was no header');
  t.notOk('retryAfterMs' in classifyStatus(400, '', 5_000), 'a rejection has nothing to retry');
});

t.test('a long response body is cut to its first KiB in the reason', async (t) => {
  const body = `${'e'.repeat(1_024)}TAIL`;
  const outcome = classifyStatus(400, body, undefined);
  t.equal(outcome.kind, 'reject');
  const reason = (outcome as { reason: string }).reason;
  t.equal(reason, `HTTP 400: ${'e'.repeat(1_024)}`);
  t.notMatch(reason, /TAIL/);
  t.equal(firstKiB('short'), 'short');
  t.equal(firstKiB('x'.repeat(1_024)).length, 1_024);
  t.equal(firstKiB('x'.repeat(5_000)).length, 1_024);
});

t.test('readHttpStatus (ndjson, json): any 2xx is delivered, Fluent Bit answers 201', async (t) => {
  for (const status of [200, 201, 204]) t.equal(readHttpStatus({ status, body: '', retryAfterMs: undefined }, 0).kind, 'delivered', `${status}`);
  t.equal(readHttpStatus({ status: 400, body: '', retryAfterMs: undefined }, 0).kind, 'reject');
});
