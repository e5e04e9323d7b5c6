// A throwaway PKI for TLS tests, made with the openssl CLI: a CA, server certificates
// (one valid for 127.0.0.1, one only for the name collector.test) and a client
// certificate for mTLS. EC P-256 keys: generated in milliseconds.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  /** Paths of PEM files. */
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly namedServerCertFile: string;
  readonly namedServerKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** The same, as text, for node's own servers. */
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly namedServerCert: string;
  readonly namedServerKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function leaf(dir: string, name: string, cn: string, ext: string): void {
  openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-pki-'));
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tailship test CA']);
  leaf(dir, 'server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf(dir, 'named', 'collector.test', 'subjectAltName=DNS:collector.test\nextendedKeyUsage=serverAuth\n');
  leaf(dir, 'client', 'tailship', 'extendedKeyUsage=clientAuth\n');
  const p = (f: string) => join(dir, f);
  const r = (f: string) => readFileSync(p(f), 'utf8');
  return {
    dir,
    caFile: p('ca.pem'),
    serverCertFile: p('server.pem'),
    serverKeyFile: p('server.key'),
    namedServerCertFile: p('named.pem'),
    namedServerKeyFile: p('named.key'),
    clientCertFile: p('client.pem'),
    clientKeyFile: p('client.key'),
    ca: r('ca.pem'),
    serverCert: r('server.pem'),
    serverKey: r('server.key'),
    namedServerCert: r('named.pem'),
    namedServerKey: r('named.key'),
  };
}
