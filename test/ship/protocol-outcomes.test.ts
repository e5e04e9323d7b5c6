// The response readers through the real Shipper: which records go out again, which are
// dead-lettered, and that the batch settles once.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import type { Batch } from '../../src/batch/batch.js';
import { DeadLetterFile } from '../../src/ship/dead-letter.js';
import type { HttpResult } from '../../src/ship/http-transport.js';
import { createProtocol, type ProtocolOptions, type SinkKind } from '../../src/ship/protocol.js';
import { Shipper, type ShipObserver } from '../../src/ship/shipper.js';
import { parseHecEvents } from '../helpers/protocol-rules.js';
import { ctx, rec } from '../helpers/records.js';

type Answer = (body: string, n: number) => HttpResult;

const noOptions: ProtocolOptions = {
  kind: 'ndjson',
  loki: { labels: [], structuredMetadata: [], line: 'message' },
  elasticsearch: { index: 'logs' },
  splunk: { sourcetype: undefined, index: undefined },
};

async function ship(kind: SinkKind, count: number, answer: Answer) {
  const protocol = createProtocol({ ...noOptions, kind }, ctx, '1.0.0');
  const encoder = protocol.encoder;
  const dir = mkdtempSync(join(tmpdir(), 'tailship-outcomes-'));
  const bodies: string[] = [];
  const events: string[] = [];
  const transport = {
    async post(body: Buffer | string): Promise<HttpResult> {
      const text = typeof body === 'string' ? body : gunzipSync(body).toString('utf8');
      bodies.push(text);
      return answer(text, bodies.length);
    },
  };
  const observer: ShipObserver = {
    delivered: (n) => events.push(`delivered ${n}`),
    attemptFailed: (reason) => events.push(`failed ${reason}`),
    retryScheduled: () => events.push('retry'),
    collectorDropped: (n, reason) => events.push(`dropped ${n} ${reason}`),
    split: () => events.push('split'),
    deadLettered: (n, reason) => events.push(`dead-lettered ${n} ${reason}`),
  };
  const settled: Array<Batch<unknown>> = [];
  const shipper = new Shipper(
    protocol,
    transport,
    { maxInFlight: 1, backoff: { initialMs: 1, maxMs: 2 }, retryLimit: Infinity, compression: 'gzip', gzipLevel: 1 },
    new DeadLetterFile(dir, 1 << 20),
    observer,
    (b) => settled.push(b),
    () => 0,
  );
  const fragments = Array.from({ length: count }, (_, i) => encoder.encode(rec(i * 100, `line ${i}`)));
  shipper.enqueue({ seq: 1, count: fragments.length, fragments, bytes: 0, body: undefined, acks: [] });
  await shipper.idle();
  let deadLetters: Array<{ reason: string; request: string }> = [];
  try {
    deadLetters = readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  } catch {
    deadLetters = [];
  }
  return { bodies, events, settled, deadLetters };
}

const ok = (body: string): HttpResult => ({ kind: 'response', status: 200, body, retryAfterMs: undefined });

t.test('bulk 201/409/429/400: the 429 item alone is sent again, the 400 item dead-lettered', async (t) => {
  const { bodies, deadLetters, settled } = await ship('elasticsearch', 4, (body, n) => {
    if (n === 1) {
      return ok(
        JSON.stringify({
          errors: true,
          items: [
            { create: { status: 201 } },
            { create: { status: 409, error: { type: 'version_conflict_engine_exception', reason: 'exists' } } },
            { create: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } } },
            { create: { status: 400, error: { type: 'document_parsing_exception', reason: 'bad field' } } },
          ],
        }),
      );
    }
    return ok(JSON.stringify({ errors: false, items: body.trim().split('\n').filter((_, i) => i % 2 === 0).map(() => ({ create: { status: 201 } })) }));
  });
  t.equal(bodies.length, 2);
  const ids = (b: string) => b.trim().split('\n').filter((_, i) => i % 2 === 0).map((l) => JSON.parse(l).create._id);
  t.same(ids(bodies[0]!), ['a1b2c3d4e5f60718-0', 'a1b2c3d4e5f60718-64', 'a1b2c3d4e5f60718-c8', 'a1b2c3d4e5f60718-12c']);
  t.same(ids(bodies[1]!), ['a1b2c3d4e5f60718-c8'], 'only the 429 item again');
  t.equal(deadLetters.length, 1);
  t.equal(deadLetters[0]!.reason, 'bulk item 400 document_parsing_exception: bad field');
  t.match(deadLetters[0]!.request, /"_id":"a1b2c3d4e5f60718-12c"/);
  t.match(deadLetters[0]!.request, /"message":"line 3"/);
  t.equal(settled.length, 1, 'the batch settles once');
});

t.test('HEC invalid event: dead-lettered alone, the others sent again', async (t) => {
  const { bodies, deadLetters, settled } = await ship('splunk_hec', 3, (_, n) =>
    n === 1
      ? { kind: 'response', status: 400, body: '{"text":"Invalid data format","code":6,"invalid-event-number":1}', retryAfterMs: undefined }
      : ok('{"text":"Success","code":0}'),
  );
  t.same(parseHecEvents(bodies[1]!).map((e) => (e as { event: string }).event), ['line 0', 'line 2']);
  t.same(deadLetters.map((d) => d.reason), ['HEC code 6 Invalid data format (HTTP 400)']);
  t.equal(settled.length, 1);
});

t.test('OTLP partial success: counted, logged, not sent again', async (t) => {
  const { bodies, events, deadLetters } = await ship('otlp', 5, () =>
    ok('{"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"2 log records exceed the size limit"}}'),
  );
  t.equal(bodies.length, 1);
  t.same(deadLetters, []);
  t.ok(events.includes('dropped 2 2 log records exceed the size limit'));
});
