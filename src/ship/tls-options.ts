import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type ConnectionOptions } from 'node:tls';
import { TailshipError } from '../errors.js';

/** TLS to the collector (TAILSHIP_TLS_*): files are PEM paths. */
export interface CollectorTlsOptions {
  readonly caFile: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly serverName: string | undefined;
  readonly insecureSkipVerify: boolean;
}

/**
 * The TLS options for the collector connection, read from the configured files at
 * start-up and checked by building a secure context, so a wrong path or a bad PEM is a
 * clear start-up error rather than a failed request later. Undefined: Node's defaults
 * (the system CAs, verification on).
 */
export function tlsConnectOptions(tls: CollectorTlsOptions): ConnectionOptions | undefined {
  const opts: ConnectionOptions = {};
  if (tls.serverName !== undefined) opts.servername = tls.serverName;
  if (tls.insecureSkipVerify) opts.rejectUnauthorized = false;
  if (tls.caFile === undefined && tls.certFile === undefined) return Object.keys(opts).length > 0 ? opts : undefined;
  // Added to the system CAs rather than replacing them: a private CA for one hop does
  // not stop a public certificate elsewhere from being trusted.
  const ca = tls.caFile === undefined ? undefined : [...rootCertificates, readPem(tls.caFile, 'TAILSHIP_TLS_CA_FILE')];
  const cert = tls.certFile === undefined ? undefined : readPem(tls.certFile, 'TAILSHIP_TLS_CERT_FILE');
  const key = tls.keyFile === undefined ? undefined : readPem(tls.keyFile, 'TAILSHIP_TLS_KEY_FILE');
  try {
    // One context for every connection: the CA bundle is parsed once, not per connect.
    opts.secureContext = createSecureContext({ ca, cert, key });
  } catch (error) {
    const message = (error as Error).message;
    throw new TailshipError('ERR_TLS_CONFIG', `TLS files cannot be used: ${message}`, { cause: error });
  }
  return opts;
}

function readPem(path: string, variable: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'EUNKNOWN';
    throw new TailshipError('ERR_TLS_CONFIG', `${variable}: cannot read ${path} (${code})`);
  }
  if (!text.includes('-----BEGIN ')) {
    throw new TailshipError('ERR_TLS_CONFIG', `${variable}: ${path} is not a PEM file`);
  }
  return text;
}
