import { createRequire } from 'node:module';
import type { ConnectionOptions } from 'node:tls';
import type { Dispatcher, Pool as UndiciPool } from 'undici';
import { parseRetryAfter } from './retry-timing.js';

// undici's entry point loads all it offers (fetch, WebSocket, EventSource, caches, mocks,
// interceptors): 7–8 MiB of resident memory for the life of the process, measured, a
// tenth of what the memory bound leaves beyond the budget. Only the pool and its request
// method are used, so only they are loaded, from the files the entry point takes them
// from (package.json pins undici's exact version; every delivery test goes through these).
const require = createRequire(import.meta.url);
const Pool = require('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
const request = require('undici/lib/api/api-request.js') as (
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

/** The result of one POST, as a value: a response of any status, or a transport failure. */
export type HttpResult =
  | { readonly kind: 'response'; readonly status: number; readonly body: string; readonly retryAfterMs: number | undefined }
  | { readonly kind: 'error'; readonly code: string; readonly message: string };

export interface HttpTransportOptions {
  readonly timeoutMs: number;
  readonly connections: number;
  /** Largest response body read; the rest is discarded (bulk responses can be large). */
  readonly maxResponseBytes?: number;
  readonly tls?: ConnectionOptions;
}

/**
 * POSTs request bodies to one collector origin over a keep-alive undici pool. Knows
 * nothing about files or records. Every request has its own deadline covering
 * connection, headers and body.
 */
export class HttpTransport {
  readonly #pool: UndiciPool;
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;

  constructor(url: URL, opts: HttpTransportOptions) {
    this.#pool = new Pool(url.origin, {
      connections: opts.connections,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connectTimeout: Math.min(opts.timeoutMs, 10_000),
      keepAliveTimeout: 30_000,
      ...(opts.tls ? { connect: opts.tls } : {}),
    });
    this.#path = `${url.pathname}${url.search}`;
    this.#timeoutMs = opts.timeoutMs;
    this.#maxResponseBytes = opts.maxResponseBytes ?? 16 * 1024 * 1024;
  }

  async post(body: Buffer | string, headers: Record<string, string>): Promise<HttpResult> {
    try {
      const res = await request.call(this.#pool, {
        path: this.#path,
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await readCapped(res.body, this.#maxResponseBytes);
      const retryAfter = res.headers['retry-after'];
      return {
        kind: 'response',
        status: res.statusCode,
        body: text,
        retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now()),
      };
    } catch (error) {
      const e = error as { code?: string; name?: string; message?: string };
      const code = e.name === 'TimeoutError' ? 'ETIMEDOUT' : (e.code ?? e.name ?? 'EUNKNOWN');
      return { kind: 'error', code, message: e.message ?? String(error) };
    }
  }

  /** Waits for requests in flight, then closes the connections. */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  /** Aborts requests in flight and closes at once. */
  async destroy(): Promise<void> {
    await this.#pool.destroy();
  }
}

async function readCapped(body: AsyncIterable<Buffer>, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < max) {
      parts.push(chunk);
      size += chunk.length;
    }
  }
  return Buffer.concat(parts).toString('utf8').slice(0, max);
}
