// The HTTP transport against a real server on port 0: what is sent, every answer as a
// value (status, body, Retry-After), failures as values with a code, the response cap,
// the per-request deadline, and destroy() cutting a request in flight.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { HttpTransport } from '../../src/ship/http-transport.js';
import { waitFor } from '../helpers/wait-for.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

async function server(
  t: { teardown(fn: () => unknown): void },
  answer: (seen: Seen, res: ServerResponse) => void,
): Promise<{ url: URL; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const one = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(one);
      answer(one, res);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    s.closeAllConnections();
    return new Promise<void>((resolve) => s.close(() => resolve()));
  });
  return { url: new URL(`http://127.0.0.1:${(s.address() as AddressInfo).port}/v1/logs?x=1`), seen, server: s };
}

function transport(t: { teardown(fn: () => unknown): void }, url: URL, opts: { timeoutMs?: number; maxResponseBytes?: number } = {}) {
  const tr = new HttpTransport(url, { timeoutMs: opts.timeoutMs ?? 5_000, connections: 2, ...(opts.maxResponseBytes ? { maxResponseBytes: opts.maxResponseBytes } : {}) });
  t.teardown(() => tr.destroy());
  return tr;
}

t.test('POSTs the body and headers to the URL path with its query; the answer is a value', async (t) => {
  const { url, seen } = await server(t, (_, res) => res.writeHead(202, { 'retry-after': '7' }).end('accepted'));
  const body = gzipSync('{"a":1}\n');
  const result = await transport(t, url).post(body, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip', 'x-team': 'web' });
  t.same(result, { kind: 'response', status: 202, body: 'accepted', retryAfterMs: 7000 });
  t.equal(seen[0]!.method, 'POST');
  t.equal(seen[0]!.url, '/v1/logs?x=1');
  t.same(seen[0]!.body, body, 'the body byte for byte');
  t.equal(seen[0]!.headers['x-team'], 'web');
  t.equal(seen[0]!.headers['content-encoding'], 'gzip');
});

t.test('error statuses are responses, not failures; a missing or unreadable Retry-After is undefined', async (t) => {
  const statuses = [503, 429, 400];
  let i = 0;
  const { url } = await server(t, (_, res) => {
    const status = statuses[i++]!;
    res.writeHead(status, status === 429 ? { 'retry-after': 'soon' } : {}).end(`status ${status}`);
  });
  const tr = transport(t, url);
  for (const status of statuses) {
    t.same(await tr.post('x', {}), { kind: 'response', status, body: `status ${status}`, retryAfterMs: undefined }, `${status}`);
  }
});

t.test('a refused connection is a failure value with its code', async (t) => {
  const { url, server: s } = await server(t, (_, res) => res.end());
  await new Promise<void>((resolve) => s.close(() => resolve()));
  const result = await transport(t, url).post('x', {});
  t.match(result, { kind: 'error', code: 'ECONNREFUSED' });
});

t.test('a collector that never answers: ETIMEDOUT after the request deadline', async (t) => {
  const { url } = await server(t, () => {});
  const started = Date.now();
  const result = await transport(t, url, { timeoutMs: 300 }).post('x', {});
  t.match(result, { kind: 'error', code: 'ETIMEDOUT' });
  t.ok(Date.now() - started >= 290, 'not before the deadline');
});

t.test('a large response body is read up to the cap and the rest discarded', async (t) => {
  const { url } = await server(t, (_, res) => res.writeHead(200).end('y'.repeat(100_000)));
  const result = await transport(t, url, { maxResponseBytes: 1000 }).post('x', {});
  t.equal(result.kind === 'response' ? result.body.length : -1, 1000);
});

t.test('destroy() cuts a request in flight: it fails as a value, it does not hang', async (t) => {
  const { url, seen } = await server(t, () => {});
  const tr = transport(t, url);
  const pending = tr.post('x', {});
  await waitFor('the request to arrive', () => seen.length === 1, { timeoutMs: 5_000 });
  await tr.destroy();
  t.match(await pending, { kind: 'error' });
});
