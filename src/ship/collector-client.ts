import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { Credentials } from './auth.js';
import { collectorUrl } from './collector-url.js';
import type { Encoder } from './encoders/encoder.js';
import { HttpTransport } from './http-transport.js';
import { tlsConnectOptions } from './tls-options.js';

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

  constructor(config: Config, encoder: Encoder<unknown>, version: string, log: Logger) {
    const c = config;
    this.url = collectorUrl(c.delivery.url, encoder.defaultPath);
    const tls = this.url.protocol === 'https:' ? tlsConnectOptions(c.tls) : undefined;
    if (c.tls.insecureSkipVerify) {
      log.warn(
        { setting: 'TAILSHIP_TLS_INSECURE_SKIP_VERIFY' },
        'TLS certificate verification is OFF: anyone on the network path can read and alter what is sent',
      );
    }
    this.#credentials = Credentials.fromConfig(c.auth, c.sink.kind === 'splunk_hec' ? 'Splunk' : 'Bearer', c.delivery.url, {
      rotated: (path) => log.info({ path }, 'credentials file changed; using the new secret'),
      readFailed: (path, code) => log.warn({ path, code }, 'cannot read the credentials file; keeping the previous secret'),
    });
    const base: Record<string, string> = { 'user-agent': `tailship/${version}` };
    for (const { name, secretValue } of c.sink.headers) base[name.toLowerCase()] = secretValue;
    if (c.sink.tenantId !== undefined) base['x-scope-orgid'] = c.sink.tenantId;
    // HEC wants a channel when indexer acknowledgement is on (code 10 otherwise); harmless when off.
    if (c.sink.kind === 'splunk_hec') base['x-splunk-request-channel'] = randomUUID();
    this.#base = base;
    this.transport = new HttpTransport(this.url, {
      timeoutMs: c.delivery.requestTimeoutMs,
      connections: c.delivery.maxInFlight,
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
