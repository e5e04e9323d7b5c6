// The request on the wire, per protocol: method, path, exact headers, and the body after
// gunzip, through the real CollectorClient (URL, headers, pool) and Shipper (gzip).
import type { IncomingHttpHeaders } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load-config.js';
import { collectorClientOptions } from '../../src/config/stage-options.js';
import { CollectorClient } from '../../src/ship/collector-client.js';
import { DeadLetterFile } from '../../src/ship/dead-letter.js';
import { createProtocol } from '../../src/ship/protocol.js';
import { Shipper } from '../../src/ship/shipper.js';
import { TestCollector, type Protocol, type ReceivedRequest } from '../helpers/collector.js';
import { bulkProblems, hecProblems, lokiPushProblems, otlpLogsProblems } from '../helpers/protocol-rules.js';
import { ACCESS, ctx, rec } from '../helpers/records.js';

async function capture(env: Record<string, string>, answer: { status: number; body: string }): Promise<ReceivedRequest> {
  const collector = new TestCollector({
    protocol: (env['TAILSHIP_SINK'] ?? 'ndjson') as Protocol,
    responder: () => ({ ...answer, headers: { 'content-type': 'application/json' } }),
  });
  await collector.start();
  const { config } = loadConfig({ TAILSHIP_COLLECTOR_URL: collector.url, ...env });
  const protocol = createProtocol(config.sink, ctx, '9.9.9');
  const encoder = protocol.encoder;
  const noop = () => {};
  const client = new CollectorClient(collectorClientOptions(config), protocol, '9.9.9', { verificationOff: noop, rotated: noop, readFailed: noop });
  const shipper = new Shipper(
    protocol,
    client,
    { maxInFlight: 1, backoff: { initialMs: 1, maxMs: 1 }, retryLimit: 1, compression: config.sink.compression, gzipLevel: config.sink.compressionLevel },
    new DeadLetterFile(mkdtempSync(join(tmpdir(), 'tailship-golden-')), 1 << 20),
    { delivered: noop, attemptFailed: noop, retryScheduled: noop, split: noop, deadLettered: noop },
    noop,
  );
  shipper.enqueue({ seq: 1, count: 2, fragments: [rec(0, ACCESS), rec(96, 'second')].map((r) => encoder.encode(r)), bytes: 0, body: undefined, acks: [] });
  await shipper.idle();
  await client.destroy();
  await collector.close();
  const got = collector.requests[0];
  if (!got) throw new Error('no request');
  return got;
}

/** The headers tailship chose (not the ones Node's client adds for framing). */
function chosen(h: IncomingHttpHeaders): Record<string, unknown> {
  const { host: _h, connection: _c, 'content-length': _l, 'transfer-encoding': _te, ...rest } = h;
  return rest;
}

const base = { 'user-agent': 'tailship/9.9.9', 'content-encoding': 'gzip' };

t.test('ndjson', async (t) => {
  const req = await capture({}, { status: 200, body: '' });
  t.same([req.method, req.path], ['POST', '/']);
  t.same(chosen(req.headers), { ...base, 'content-type': 'application/x-ndjson' });
  t.equal(req.body.split('\n').length, 3);
  t.equal(JSON.parse(req.body.split('\n')[0]!).message, ACCESS);
});

t.test('ndjson with a Content-Type of its own (Fluent Bit takes NDJSON only as application/json)', async (t) => {
  const req = await capture({ TAILSHIP_HEADERS: 'Content-Type=application/json' }, { status: 201, body: '' });
  t.same(chosen(req.headers), { ...base, 'content-type': 'application/json' });
  t.equal(req.body.split('\n').length, 3, 'the body is NDJSON still');
});

t.test('json', async (t) => {
  const req = await capture({ TAILSHIP_SINK: 'json', TAILSHIP_HEADERS: 'X-Tag=nginx' }, { status: 201, body: '' });
  t.same(chosen(req.headers), { ...base, 'x-tag': 'nginx', 'content-type': 'application/json' });
  t.same(JSON.parse(req.body).map((r: { message: string }) => r.message), [ACCESS, 'second']);
});

t.test('loki', async (t) => {
  const req = await capture({ TAILSHIP_SINK: 'loki', TAILSHIP_TENANT_ID: 'team-a', TAILSHIP_AUTH_BEARER_TOKEN: 'tok' }, { status: 204, body: '' });
  t.same([req.method, req.path], ['POST', '/loki/api/v1/push']);
  t.same(chosen(req.headers), { ...base, 'x-scope-orgid': 'team-a', authorization: 'Bearer tok', 'content-type': 'application/json' });
  t.equal(
    req.body,
    '{"streams":[{"stream":{"container":"nginx-container","filename":"/pod-data/access.log","job":"tailship","namespace":"shop","pod":"web-7d4b9"},' +
      `"values":[["1795640400123694632",${JSON.stringify(ACCESS)}],["1795640400123694824","second"]]}]}`,
  );
  t.same(lokiPushProblems(req.body), []);
});

t.test('elasticsearch', async (t) => {
  const req = await capture(
    { TAILSHIP_SINK: 'elasticsearch', TAILSHIP_AUTH_BASIC_USER: 'elastic', TAILSHIP_AUTH_BASIC_PASSWORD: 'pw' },
    { status: 200, body: '{"took":1,"errors":false,"items":[]}' },
  );
  t.same([req.method, req.path], ['POST', '/_bulk']);
  t.same(chosen(req.headers), { ...base, authorization: `Basic ${Buffer.from('elastic:pw').toString('base64')}`, 'content-type': 'application/x-ndjson' });
  t.match(req.body, /^\{"create":\{"_index":"logs-tailship-default","_id":"a1b2c3d4e5f60718-0"\}\}\n\{"@timestamp":"2026-11-25T21:00:00.123Z","message":/);
  t.same(bulkProblems(req.body), []);
});

t.test('otlp', async (t) => {
  const req = await capture({ TAILSHIP_SINK: 'otlp', TAILSHIP_COMPRESSION_LEVEL: '9' }, { status: 200, body: '{}' });
  t.same([req.method, req.path], ['POST', '/v1/logs']);
  t.same(chosen(req.headers), { ...base, 'content-type': 'application/json' });
  t.match(req.body, /^\{"resourceLogs":\[\{"resource":\{"attributes":\[\{"key":"service.name","value":\{"stringValue":"nginx-container"\}\}/);
  t.match(req.body, /"scope":\{"name":"tailship","version":"9.9.9"\}/);
  t.same(otlpLogsProblems(req.body), []);
});

t.test('splunk_hec', async (t) => {
  const req = await capture({ TAILSHIP_SINK: 'splunk_hec', TAILSHIP_AUTH_BEARER_TOKEN: 'hec' }, { status: 200, body: '{"text":"Success","code":0}' });
  t.same([req.method, req.path], ['POST', '/services/collector/event']);
  const { 'x-splunk-request-channel': channel, ...rest } = chosen(req.headers);
  t.match(channel, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.same(rest, { ...base, authorization: 'Splunk hec', 'content-type': 'application/json' });
  t.match(req.body, /^\{"time":1795640400\.123,"host":"web-7d4b9","source":"\/pod-data\/access\.log","event":/);
  t.same(hecProblems(req.body), []);
});

t.test('no compression', async (t) => {
  const req = await capture({ TAILSHIP_COMPRESSION: 'none' }, { status: 200, body: '' });
  t.same(chosen(req.headers), { 'user-agent': 'tailship/9.9.9', 'content-type': 'application/x-ndjson' });
  t.equal(JSON.parse(req.body.split('\n')[1]!).message, 'second');
});
