import { Credentials, type AuthEvents, type AuthOptions } from './auth.js';
import { collectorUrl } from './collector-url.js';
import { HttpTransport, type HttpResult } from './http-transport.js';
import type { Protocol } from './protocol.js';
import type { Transport } from './shipper.js';
import { tlsConnectOptions, type CollectorTlsOptions } from './tls-options.js';

export interface CollectorClientOptions {
  /** TAILSHIP_COLLECTOR_URL; credentials in it are sent as basic auth. */
  readonly url: URL;
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

/** What the client reports; the owner turns these into logs (never with a secret). */
export interface CollectorClientEvents extends AuthEvents {
  /** TAILSHIP_TLS_INSECURE_SKIP_VERIFY is on. */
  verificationOff(): void;
}

/**
 * Sends request bodies to the collector: the URL (with the protocol's path), the pool
 * with its TLS options, and the headers of each request (user agent, credentials kept
 * current, TAILSHIP_HEADERS, tenant, the protocol's own). What a body holds and what an
 * answer means are the protocol's; when to send again is the shipper's.
 */
export class CollectorClient implements Transport {
  readonly url: URL;
  readonly #transport: HttpTransport;
  readonly #credentials: Credentials;
  readonly #base: Readonly<Record<string, string>>;

  /** Throws ERR_TLS_CONFIG or ERR_AUTH_FILE when a configured file cannot be used. */
  constructor(
    c: CollectorClientOptions,
    protocol: Pick<Protocol, 'encoder' | 'tokenScheme' | 'headers'>,
    version: string,
    events: CollectorClientEvents,
  ) {
    this.url = collectorUrl(c.url, protocol.encoder.defaultPath);
    const tls = this.url.protocol === 'https:' ? tlsConnectOptions(c.tls) : undefined;
    if (c.tls.insecureSkipVerify) events.verificationOff();
    this.#credentials = Credentials.fromOptions(c.auth, protocol.tokenScheme, c.url, events);
    const base: Record<string, string> = { 'user-agent': `tailship/${version}` };
    for (const { name, secretValue } of c.headers) base[name.toLowerCase()] = secretValue;
    if (c.tenantId !== undefined) base['x-scope-orgid'] = c.tenantId;
    Object.assign(base, protocol.headers);
    this.#base = base;
    this.#transport = new HttpTransport(this.url, {
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

  /**
   * POSTs a body with these headers and the client's. The client's go last: a
   * Content-Type in TAILSHIP_HEADERS replaces the protocol's (Fluent Bit's http input
   * takes NDJSON only as application/json).
   */
  async post(body: Buffer | string, headers: Record<string, string>): Promise<HttpResult> {
    const result = await this.#transport.post(body, { ...headers, ...this.headers() });
    // 401/403: a mounted Secret may have been rotated; read it again before the retry.
    if (result.kind === 'response' && (result.status === 401 || result.status === 403)) void this.#credentials.refresh();
    return result;
  }

  /**
   * Stops watching credential files and cuts requests in flight (their batches stay
   * unacknowledged and are sent again next run).
   */
  async destroy(): Promise<void> {
    this.#credentials.close();
    await this.#transport.destroy();
  }
}
