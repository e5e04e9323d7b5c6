// The health server over real HTTP: each path answers from its source, /metrics refreshes
// the state gauges first, HEAD has no body, and nothing is cached.
import t from 'tap';
import { Registry, Gauge } from 'prom-client';
import { HealthServer, type HealthSource } from '../../src/health/health-server.js';

async function start(t: { teardown(fn: () => unknown): void }, source: HealthSource, registry = new Registry()) {
  const server = new HealthServer(source, registry, '1.2.3');
  const { port } = await server.listen(0, '127.0.0.1');
  t.teardown(() => server.close());
  return (path: string, method = 'GET') => fetch(`http://127.0.0.1:${port}${path}`, { method });
}

type Source = { ready: boolean; live: boolean; refreshed: number } & HealthSource;

function source(over: Partial<HealthSource> = {}): Source {
  const s: Source = {
    ready: true,
    live: true,
    refreshed: 0,
    status: () => ({ started: true }),
    refreshMetrics() {
      s.refreshed++;
    },
    ...over,
  };
  return s;
}

t.test('/healthz and /readyz answer from the source, 200 or 503', async (t) => {
  const s = source();
  const get = await start(t, s);
  t.equal((await get('/healthz')).status, 200);
  t.equal((await get('/readyz')).status, 200);
  s.live = false;
  s.ready = false;
  const healthz = await get('/healthz');
  t.equal(healthz.status, 503);
  t.match(await healthz.text(), /wedged/);
  const readyz = await get('/readyz');
  t.equal(readyz.status, 503);
  t.equal(await readyz.text(), 'starting\n');
  t.equal(readyz.headers.get('cache-control'), 'no-store');
});

t.test('/status: the source\'s document with the version, as JSON', async (t) => {
  const get = await start(t, source({ status: () => ({ files: [], collector: { lastSuccessMs: 1 } }) }));
  const res = await get('/status?pretty=1');
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'application/json');
  t.same(await res.json(), { version: '1.2.3', files: [], collector: { lastSuccessMs: 1 } });
});

t.test('/metrics: gauges refreshed from the state, then the registry in Prometheus text', async (t) => {
  const registry = new Registry();
  const gauge = new Gauge({ name: 'tailship_test_gauge', help: 'x', registers: [registry] });
  const s = source({});
  s.refreshMetrics = () => {
    s.refreshed++;
    gauge.set(42);
  };
  const get = await start(t, s, registry);
  const res = await get('/metrics');
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/plain/);
  t.match(await res.text(), /^tailship_test_gauge 42$/m);
  t.equal(s.refreshed, 1);
});

t.test('HEAD answers without a body; an unknown path is 404 naming the paths', async (t) => {
  const get = await start(t, source());
  const head = await get('/healthz', 'HEAD');
  t.equal(head.status, 200);
  t.equal(await head.text(), '');
  const missing = await get('/nope');
  t.equal(missing.status, 404);
  t.match(await missing.text(), /\/healthz \/readyz \/metrics \/status/);
});

t.test('a busy port is an error from listen, not a crash', async (t) => {
  const first = new HealthServer(source(), new Registry(), '1');
  const { port } = await first.listen(0, '127.0.0.1');
  t.teardown(() => first.close());
  const second = new HealthServer(source(), new Registry(), '1');
  await t.rejects(second.listen(port, '127.0.0.1'), { code: 'EADDRINUSE' });
});
