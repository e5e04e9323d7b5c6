// Reading a `_bulk` answer: the request's status, then each item's.
import t from 'tap';
import { readBulkResponse, readElasticsearchResponse } from '../../../src/ship/responses/elasticsearch.js';

/** A bulk response as Elasticsearch writes it, one item per document, in request order. */
function bulkResponse(items: Array<[number, string?, string?]>): string {
  return JSON.stringify({
    took: 12,
    errors: items.some(([s]) => s >= 300),
    items: items.map(([status, type, reason], i) => ({
      create: {
        _index: 'logs-2026.11.25',
        _id: `id-${i}`,
        status,
        ...(type ? { error: { type, reason, index: 'logs-2026.11.25', shard: '0' } } : { _version: 1, result: 'created' }),
      },
    })),
  });
}

t.test('mixed item statuses: exactly the right items delivered, retried, dead-lettered', async (t) => {
  const body = bulkResponse([
    [201],
    [409, 'version_conflict_engine_exception', '[id-1]: version conflict, document already exists (current version [1])'],
    [429, 'es_rejected_execution_exception', 'rejected execution of coordinating operation'],
    [400, 'document_parsing_exception', "[1:15] failed to parse field [status] of type [long] in document with id 'id-3'"],
    [201],
    [503, 'unavailable_shards_exception', 'primary shard is not active'],
    [404, 'index_not_found_exception', 'no such index [logs-x]'],
  ]);
  const out = readBulkResponse(body, 7);
  t.same(out, {
    kind: 'partial',
    retry: [2, 5],
    reject: [
      {
        index: 3,
        reason:
          "bulk item 400 document_parsing_exception: [1:15] failed to parse field [status] of type [long] in document with id 'id-3'",
      },
      { index: 6, reason: 'bulk item 404 index_not_found_exception: no such index [logs-x]' },
    ],
  });
});

t.test('bulk responses that settle the whole request', async (t) => {
  t.same(readBulkResponse('{"took":3,"errors":false,"items":[{"create":{"status":201}}]}', 1), { kind: 'delivered' });
  t.same(
    readBulkResponse(bulkResponse([[409, 'version_conflict_engine_exception', 'exists'], [201]]), 2),
    { kind: 'delivered' },
    'only 409s: a re-send of stored documents',
  );
  t.equal(readBulkResponse('<html>proxy</html>', 1).kind, 'retry', 'unreadable 200 is not proof of delivery');
  t.match(readBulkResponse(bulkResponse([[429, 'x', 'y']]), 2), { kind: 'retry', reason: /1 items for 2 documents/ });
  const cause = JSON.stringify({
    errors: true,
    items: [{ create: { status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed', caused_by: { type: 'illegal_argument_exception', reason: 'bad date' } } } }],
  });
  t.match(readBulkResponse(cause, 1), { kind: 'partial', reject: [{ index: 0, reason: /caused by illegal_argument_exception: bad date/ }] });
});

t.test('HTTP status of the whole request', async (t) => {
  const one = 1;
  t.equal(readElasticsearchResponse({ status: 429, body: '', retryAfterMs: undefined }, one).kind, 'retry');
  t.equal(readElasticsearchResponse({ status: 413, body: '', retryAfterMs: undefined }, one).kind, 'split');
  t.equal(readElasticsearchResponse({ status: 400, body: '{"error":"bad"}', retryAfterMs: undefined }, one).kind, 'reject');
  t.equal(readElasticsearchResponse({ status: 200, body: bulkResponse([[201]]), retryAfterMs: undefined }, one).kind, 'delivered');
});
