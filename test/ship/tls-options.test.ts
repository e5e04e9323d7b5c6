// TLS against a real HTTPS server with a CA made in the test: verification, the server
// name, mTLS, and skipping verification.
import { createServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { TailshipError } from '../../src/errors.js';
import { HttpTransport } from '../../src/ship/http-transport.js';
import { tlsConnectOptions, type CollectorTlsOptions } from '../../src/ship/tls-options.js';
import { makePki } from '../helpers/certs.js';

const pki = makePki();
const none: CollectorTlsOptions = { caFile: undefined, certFile: undefined, keyFile: undefined, serverName: undefined, insecureSkipVerify: false };

async function httpsServer(t: { teardown(fn: () => unknown): void }, opts: ServerOptions): Promise<URL> {
  const server = createServer(opts, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`);
}

async function post(url: URL, tls: CollectorTlsOptions) {
  const opts = tlsConnectOptions(tls);
  const transport = new HttpTransport(url, { timeoutMs: 5000, connections: 1, ...(opts ? { tls: opts } : {}) });
  try {
    return await transport.post('{}', { 'content-type': 'application/json' });
  } finally {
    await transport.destroy();
  }
}

t.test('server verification: fails without the CA, works with it', async (t) => {
  const url = await httpsServer(t, { key: pki.serverKey, cert: pki.serverCert });
  const without = await post(url, none);
  t.match(without, { kind: 'error', code: /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/ }, 'system CAs do not know the test CA');
  t.match(await post(url, { ...none, caFile: pki.caFile }), { kind: 'response', status: 200 });
  t.match(await post(url, { ...none, insecureSkipVerify: true }), { kind: 'response', status: 200 }, 'verification off');
});

t.test('server name: a certificate for collector.test reached by IP', async (t) => {
  const url = await httpsServer(t, { key: pki.namedServerKey, cert: pki.namedServerCert });
  t.match(await post(url, { ...none, caFile: pki.caFile }), { kind: 'error', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  t.match(await post(url, { ...none, caFile: pki.caFile, serverName: 'collector.test' }), { kind: 'response', status: 200 });
});

t.test('mTLS: works with the client certificate, fails without it', async (t) => {
  const url = await httpsServer(t, {
    key: pki.serverKey,
    cert: pki.serverCert,
    ca: pki.ca,
    requestCert: true,
    rejectUnauthorized: true,
  });
  const withCert = await post(url, { ...none, caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile });
  t.match(withCert, { kind: 'response', status: 200 });
  const withoutCert = await post(url, { ...none, caFile: pki.caFile });
  t.equal(withoutCert.kind, 'error', `refused: ${JSON.stringify(withoutCert)}`);
});

t.test('unreadable or wrong files are start-up errors that name the variable', async (t) => {
  const notPem = join(pki.dir, 'not.pem');
  writeFileSync(notPem, 'hello');
  const cases: Array<[CollectorTlsOptions, RegExp]> = [
    [{ ...none, caFile: join(pki.dir, 'missing.pem') }, /TAILSHIP_TLS_CA_FILE: cannot read .*missing\.pem \(ENOENT\)/],
    [{ ...none, caFile: notPem }, /TAILSHIP_TLS_CA_FILE: .* is not a PEM file/],
    [{ ...none, certFile: pki.clientCertFile, keyFile: pki.serverKeyFile }, /TLS files cannot be used: .*key values mismatch/i],
  ];
  for (const [config, want] of cases) {
    let thrown: unknown;
    try {
      tlsConnectOptions(config);
    } catch (error) {
      thrown = error;
    }
    t.ok(thrown instanceof TailshipError, String(want));
    t.match(thrown, { code: 'ERR_TLS_CONFIG', message: want });
  }
  t.equal(tlsConnectOptions(none), undefined, 'nothing set: node defaults');
});
