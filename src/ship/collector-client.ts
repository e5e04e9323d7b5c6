import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Credentials, type AuthOptions } from './auth.js';
import { collectorUrl } from './collector-url.js';
import type { Encoder } from './encoders/encoder.js';
import { HttpTransport } from './http-transport.js';
import type { SinkKind } from './protocol.js';
import { tlsConnectOptions, type CollectorTlsOptions } from './tls-options.js';

export interface CollectorClientOptions {
  /** TAILSHIP_COLLECTOR_URL; credentials in it are sent as basic auth. */
  readonly url: URL;
  readonly kind: SinkKind;
  readonly requestTimeoutMs: number;
  /** Connections in the pool: one per request in flight. */
  readonly connections: number;
  /** TAILSHIP_HEADERS. */
  readonly headers: ReadonlyArray<{ readonly name: string; readonly secretValue: string }>;
  /** Sent as X-Scope-OrgID. */
  readonly tenantId: string | undefined;
  readonly auth: AuthOptions;
  readonly tls: CollectorTlsOptions;
}

/**
 * Everything about talking to the collector that is not the body: the URL (with the
 * protocol's path), the pool with its TLS options, and the headers of each request
 * (user agent, credentials kept current, TAILSHIP_HEADERS, tenant, protocol headers).
 */
export class CollectorClient {
  readonly url: URL;
  readonly transport: HttpTransport;
  readonly #credentials: Credentials;
  readonly #base: Readonly<Record<string, string>>;

  constructor(c: CollectorClientOptions, encoder: Encoder<unknown>, version: string, log: Logger) {
    this.url = collectorUrl(c.url, encoder.defaultPath);
    const tls = this.url.protocol === 'https:' ? tlsConnectOptions(c.tls) : undefined;
    if (c.tls.insecureSkipVerify) {
      log.warn(
        { setting: 'TAILSHIP_TLS_INSECURE_SKIP_VERIFY' },
        'TLS certificate verification is OFF: anyone on the network path can read and alter what is sent',
      );
    }
    this.#credentials = Credentials.fromOptions(c.auth, c.kind === 'splunk_hec' ? 'Splunk' : 'Bearer', c.url, {
      rotated: (path) => log.info({ path }, 'credentials file changed; using the new secret'),
      readFailed: (path, code) => log.warn({ path, code }, 'cannot read the credentials file; keeping the previous secret'),
    });
    const base: Record<string, string> = { 'user-agent': `tailship/${version}` };
    for (const { name, secretValue } of c.headers) base[name.toLowerCase()] = secretValue;
    if (c.tenantId !== undefined) base['x-scope-orgid'] = c.tenantId;
    // HEC wants a channel when indexer acknowledgement is on (code 10 otherwise); harmless when off.
    if (c.kind === 'splunk_hec') base['x-splunk-request-channel'] = randomUUID();
    this.#base = base;
    this.transport = new HttpTransport(this.url, {
      timeoutMs: c.requestTimeoutMs,
      connections: c.connections,
      ...(tls ? { tls } : {}),
    });
  }

  /** The headers of the next request (a fresh object; the credential as of now). */
  headers(): Record<string, string> {
    const auth = this.#credentials.header;
    return auth === undefined ? { ...this.#base } : { ...this.#base, authorization: auth };
  }

  /** A failed attempt: on 401/403 a mounted secret may have been rotated; read it again. */
  attemptFailed(status: number | undefined): void {
    if (status === 401 || status === 403) void this.#credentials.refresh();
  }

  /** Stops watching credential files (the pool is closed by its owner). */
  close(): void {
    this.#credentials.close();
  }
}
