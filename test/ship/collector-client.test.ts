// The collector client: the URL with the protocol's path, the headers of every request,
// and what it does with an answer that refuses the credentials.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load-config.js';
import { collectorClientOptions } from '../../src/config/stage-options.js';
import { CollectorClient, type CollectorClientEvents } from '../../src/ship/collector-client.js';
import { collectorUrl } from '../../src/ship/collector-url.js';
import { createProtocol } from '../../src/ship/protocol.js';
import { ctx } from '../helpers/records.js';
import { waitFor } from '../helpers/wait-for.js';

const quiet: CollectorClientEvents = { verificationOff: () => {}, rotated: () => {}, readFailed: () => {} };

function client(env: Record<string, string>, events = quiet) {
  const { config } = loadConfig(env);
  const c = new CollectorClient(collectorClientOptions(config), createProtocol(config.sink, ctx, '1.2.3'), '1.2.3', events);
  t.teardown(() => c.destroy());
  return c;
}
t.test('the protocol path is added to a URL without one; a URL with a path is kept', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['http://loki:3100', '/loki/api/v1/push', 'http://loki:3100/loki/api/v1/push'],
    ['http://loki:3100/', '/loki/api/v1/push', 'http://loki:3100/loki/api/v1/push'],
    ['http://gw/loki/api/v1/push?x=1', '/loki/api/v1/push', 'http://gw/loki/api/v1/push?x=1'],
    ['http://es:9200/?pipeline=nginx', '/_bulk', 'http://es:9200/_bulk?pipeline=nginx'],
    ['http://es:9200/web/_bulk', '/_bulk', 'http://es:9200/web/_bulk'],
    ['http://fluentbit:9880/nginx.access', '/', 'http://fluentbit:9880/nginx.access'],
    ['http://vector:8080', '/', 'http://vector:8080/'],
  ];
  for (const [url, path, want] of cases) t.equal(collectorUrl(new URL(url), path).href, want, url);
  const sinks: Array<[string, string]> = [
    ['ndjson', 'http://c:1/'],
    ['json', 'http://c:1/'],
    ['loki', 'http://c:1/loki/api/v1/push'],
    ['elasticsearch', 'http://c:1/_bulk'],
    ['otlp', 'http://c:1/v1/logs'],
    ['splunk_hec', 'http://c:1/services/collector/event'],
  ];
  for (const [sink, want] of sinks) {
    t.equal(client({ TAILSHIP_COLLECTOR_URL: 'http://c:1', TAILSHIP_SINK: sink }).url.href, want, sink);
  }
});

t.test('golden headers: user agent, credentials, extra headers, tenant', async (t) => {
  const loki = client({
    TAILSHIP_COLLECTOR_URL: 'http://loki:3100',
    TAILSHIP_SINK: 'loki',
    TAILSHIP_AUTH_BEARER_TOKEN: 'tok',
    TAILSHIP_HEADERS: 'X-Team=web,X-Env=prod',
    TAILSHIP_TENANT_ID: 'team-a',
  });
  t.same(loki.headers(), {
    'user-agent': 'tailship/1.2.3',
    'x-team': 'web',
    'x-env': 'prod',
    'x-scope-orgid': 'team-a',
    authorization: 'Bearer tok',
  });
  t.same(client({ TAILSHIP_COLLECTOR_URL: 'http://c:1' }).headers(), { 'user-agent': 'tailship/1.2.3' });
  const hec = client({ TAILSHIP_COLLECTOR_URL: 'https://splunk:8088', TAILSHIP_SINK: 'splunk_hec', TAILSHIP_AUTH_BEARER_TOKEN: 'hec-token' });
  const h = hec.headers();
  t.equal(h['authorization'], 'Splunk hec-token');
  t.match(h['x-splunk-request-channel'], /^[0-9a-f-]{36}$/);
  t.equal(hec.headers()['x-splunk-request-channel'], h['x-splunk-request-channel'], 'one channel per process');
  const basic = client({ TAILSHIP_COLLECTOR_URL: 'http://es:9200', TAILSHIP_SINK: 'elasticsearch', TAILSHIP_AUTH_BASIC_USER: 'elastic', TAILSHIP_AUTH_BASIC_PASSWORD: 'changeme' });
  t.equal(basic.headers()['authorization'], `Basic ${Buffer.from('elastic:changeme').toString('base64')}`);
});

t.test('post: the client headers and the caller\'s, to the URL; a 401 reads the token file again', async (t) => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    req.resume().on('end', () => {
      seen.push(req.headers);
      res.writeHead(seen.length === 1 ? 401 : 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const dir = mkdtempSync(join(tmpdir(), 'tailship-client-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'old\n');
  const rotated: string[] = [];
  const c = client(
    {
      TAILSHIP_COLLECTOR_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      TAILSHIP_SINK: 'loki',
      TAILSHIP_AUTH_BEARER_TOKEN_FILE: tokenFile,
    },
    { ...quiet, rotated: (path) => rotated.push(path) },
  );
  writeFileSync(tokenFile, 'new\n');
  const refused = await c.post('{}', { 'content-type': 'application/json' });
  t.match(refused, { kind: 'response', status: 401 });
  t.equal(seen[0]!.authorization, 'Bearer old');
  t.equal(seen[0]!['content-type'], 'application/json');
  t.equal(seen[0]!['user-agent'], 'tailship/1.2.3');
  // The refresh after a 401 runs at once: the file's stat poll would see the change only
  // after its 1 s interval.
  await waitFor('the token read again', () => rotated.length > 0, { timeoutMs: 900 });
  t.match(await c.post('{}', {}), { kind: 'response', status: 200 });
  t.equal(seen[1]!.authorization, 'Bearer new');
});
