// TLS and credentials through the built process: a local HTTPS collector with a CA made
// in the test; mTLS; a bearer token file rotated while tailship runs.
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { makePki } from '../helpers/certs.js';
import { TestCollector } from '../helpers/collector.js';
import { FAST_SETTINGS } from '../helpers/setup.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

const pki = makePki();

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-tls-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const file = join(logs, 'access.log');
  const lines = Array.from({ length: 2000 }, (_, i) => `GET /tls/${i} 200`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const env = (url: string, extra: Record<string, string>) => ({
    ...FAST_SETTINGS,
    TAILSHIP_COLLECTOR_URL: url,
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_STATE_DIR: join(dir, 'state'),
    TAILSHIP_DRAIN_TIMEOUT: '1s',
    ...extra,
  });
  return { dir, file, lines, env };
}

async function mtlsReceiver(t: { teardown(fn: () => unknown): void }) {
  const rx = new TestCollector({
    protocol: 'otlp',
    tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true },
  });
  t.teardown(() => rx.close());
  await rx.start();
  return rx;
}

t.test('https with mTLS: delivered with the CA and the client certificate', async (t) => {
  const rx = await mtlsReceiver(t);
  const { lines, env } = workspace();
  const ts = new TailshipProcess(
    env(rx.url, {
      TAILSHIP_SINK: 'otlp',
      TAILSHIP_TLS_CA_FILE: pki.caFile,
      TAILSHIP_TLS_CERT_FILE: pki.clientCertFile,
      TAILSHIP_TLS_KEY_FILE: pki.clientKeyFile,
    }),
  );
  t.teardown(() => ts.kill());
  await ts.ready();
  await waitFor('all lines over mTLS', () => rx.lines.length >= lines.length, { timeoutMs: 20_000 });
  await ts.stop();
  t.same(rx.problems, []);
  t.equal(rx.lines.length, lines.length);
});

t.test('https failures: no CA, or no client certificate: nothing delivered, the reason in /status', async (t) => {
  const rx = await mtlsReceiver(t);
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['without the CA', { TAILSHIP_TLS_CERT_FILE: pki.clientCertFile, TAILSHIP_TLS_KEY_FILE: pki.clientKeyFile }, /SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i],
    ['without the client certificate', { TAILSHIP_TLS_CA_FILE: pki.caFile }, /./],
  ];
  for (const [name, extra, reason] of cases) {
    const { env } = workspace();
    const ts = new TailshipProcess(env(rx.url, { TAILSHIP_SINK: 'otlp', ...extra }));
    t.teardown(() => ts.kill());
    await ts.ready();
    const status = await waitFor(`a failed attempt (${name})`, async () => {
      const s = await ts.status();
      return s.collector.consecutiveFailures >= 2 ? s : undefined;
    }, { timeoutMs: 20_000 });
    t.match(status.collector.lastError, reason, `${name}: ${status.collector.lastError}`);
    t.equal(await ts.metric('tailship_records_sent_total'), 0, `${name}: nothing delivered`);
    await ts.kill();
  }
  t.equal(rx.lines.length, 0);
});

t.test('https verification off: logged loudly at start, delivered', async (t) => {
  const rx = new TestCollector({ tls: { key: pki.serverKey, cert: pki.serverCert } });
  t.teardown(() => rx.close());
  await rx.start();
  const { lines, env } = workspace();
  const ts = new TailshipProcess(env(rx.url, { TAILSHIP_TLS_INSECURE_SKIP_VERIFY: 'true' }));
  t.teardown(() => ts.kill());
  await ts.ready();
  await waitFor('all lines', () => rx.lines.length >= lines.length, { timeoutMs: 20_000 });
  await ts.stop();
  const warning = ts.logs.find((l) => /verification is OFF/.test(String(l['msg'])));
  t.equal(warning?.['level'], 'warn');
});

t.test('a bearer token file rotated while running: the new token is used, the old one never logged', async (t) => {
  const OLD = 'old-token-4f2a9c';
  const NEW = 'new-token-8d1e3b';
  const rx = new TestCollector();
  t.teardown(() => rx.close());
  let accepted = OLD;
  rx.authorize = (h) => h['authorization'] === `Bearer ${accepted}`;
  await rx.start();
  const { dir, file, lines, env } = workspace();
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${OLD}\n`);
  const ts = new TailshipProcess(env(rx.url, { TAILSHIP_AUTH_BEARER_TOKEN_FILE: tokenFile, TAILSHIP_LOG_LEVEL: 'debug' }));
  t.teardown(() => ts.kill());
  await ts.ready();
  await waitFor('the first lines with the old token', () => rx.lines.length >= lines.length, { timeoutMs: 20_000 });

  // The Secret is updated (write aside + rename, as the kubelet's atomic swap) and the
  // collector accepts only the new token from now on.
  accepted = NEW;
  writeFileSync(`${tokenFile}.tmp`, `${NEW}\n`);
  renameSync(`${tokenFile}.tmp`, tokenFile);
  const more = Array.from({ length: 500 }, (_, i) => `GET /after-rotation/${i} 200`);
  appendFileSync(file, `${more.join('\n')}\n`);
  await waitFor('the later lines with the new token', () => rx.lines.length >= lines.length + more.length, { timeoutMs: 20_000 });
  const statusText = (await ts.get('/status')).body;
  const metricsText = (await ts.get('/metrics')).body;
  await ts.stop();

  t.equal(rx.lines.length, lines.length + more.length, 'every line once');
  const after = rx.requests.filter((r) => r.body.includes('/after-rotation/'));
  // A request already on its way with the old token is refused (401) and sent again.
  t.ok(after.some((r) => r.headers['authorization'] === `Bearer ${NEW}`), 'new token used');
  t.ok(after.every((r) => [`Bearer ${NEW}`, `Bearer ${OLD}`].includes(String(r.headers['authorization']))));
  t.equal(after.at(-1)!.headers['authorization'], `Bearer ${NEW}`);
  t.ok(ts.hasLog('credentials file changed; using the new secret'), 'rotation logged');
  for (const [what, text] of [['logs', ts.stdout + ts.stderr], ['/status', statusText], ['/metrics', metricsText]] as const) {
    t.notOk(text.includes(OLD), `old token not in ${what}`);
    t.notOk(text.includes(NEW), `new token not in ${what}`);
  }
});

t.test('a missing, empty or non-PEM TLS or credentials file: one line, exit 78, the same from --check-config', async (t) => {
  const { dir, env } = workspace();
  const notPem = join(dir, 'not.pem');
  writeFileSync(notPem, 'hello\n');
  const empty = join(dir, 'empty-token');
  writeFileSync(empty, '\n');
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ TAILSHIP_TLS_CA_FILE: join(dir, 'no-ca.pem') }, /TAILSHIP_TLS_CA_FILE: cannot read .*no-ca\.pem \(ENOENT\)/],
    [{ TAILSHIP_TLS_CA_FILE: notPem }, /TAILSHIP_TLS_CA_FILE: .*not\.pem is not a PEM file/],
    [{ TAILSHIP_TLS_CERT_FILE: pki.clientCertFile, TAILSHIP_TLS_KEY_FILE: notPem }, /TAILSHIP_TLS_KEY_FILE: .*not\.pem is not a PEM file/],
    [{ TAILSHIP_TLS_CERT_FILE: pki.clientCertFile, TAILSHIP_TLS_KEY_FILE: pki.serverKeyFile }, /TLS files cannot be used: .*key values mismatch/i],
    [{ TAILSHIP_AUTH_BEARER_TOKEN_FILE: join(dir, 'no-token') }, /TAILSHIP_AUTH_BEARER_TOKEN_FILE: cannot read .*no-token \(ENOENT\)/],
    [{ TAILSHIP_AUTH_BASIC_USER: 'shipper', TAILSHIP_AUTH_BASIC_PASSWORD_FILE: empty }, /TAILSHIP_AUTH_BASIC_PASSWORD_FILE: .*empty-token is empty/],
  ];
  for (const [extra, want] of cases) {
    const ts = new TailshipProcess(env('https://127.0.0.1:9/', extra));
    const check = new TailshipProcess(env('https://127.0.0.1:9/', extra), ['--check-config']);
    t.teardown(() => ts.kill());
    t.equal((await ts.exited).code, 78);
    t.match(ts.stderr, /^tailship: configuration error: [^\n]+\n$/, 'one line on stderr');
    t.match(ts.stderr, want);
    t.equal(ts.stdout, '', 'no JSON log instead');
    t.equal((await check.exited).code, 78, '--check-config exits 78 too');
    t.equal(check.stderr, ts.stderr, 'with the same message');
  }
});
