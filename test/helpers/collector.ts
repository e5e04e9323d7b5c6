import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** The body after gunzip, as text. */
  readonly body: string;
  readonly atMs: number;
}

/**
 * Decides the answer to a request: return a status (and optional headers/body, and a
 * delay before answering), or 'hang' (never answer), or 'destroy' (drop the connection).
 */
export type Responder = (
  req: ReceivedRequest,
  n: number,
) => { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang' | 'destroy' | undefined;

/**
 * A real HTTP collector on 127.0.0.1, port 0, for end-to-end tests. It keeps every
 * request; records from 2xx answers of NDJSON bodies are parsed into `records`.
 */
export class TestCollector {
  readonly requests: ReceivedRequest[] = [];
  /** Records the collector accepted (2xx), in arrival order. */
  readonly records: Array<Record<string, any>> = [];
  responder: Responder | undefined;
  /**
   * Keep requests and records in memory (the default). For large volumes set it to false
   * and count with `onAccepted` instead.
   */
  keep = true;
  /** Called with the lines of every body answered 2xx, as the answer is sent. */
  onAccepted: ((lines: string[], req: ReceivedRequest) => void) | undefined;
  #server: Server;
  #port = 0;
  #down = false;
  #hanging = new Set<ServerResponse>();
  #timers = new Set<NodeJS.Timeout>();
  #n = 0;

  constructor(responder?: Responder) {
    this.responder = responder;
    this.#server = this.#create();
  }

  #create(): Server {
    return createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#handle(req, res, Buffer.concat(chunks)));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/`;
  }

  /** Requests answered so far (also counted when `keep` is false). */
  get requestCount(): number {
    return this.#n;
  }

  /**
   * Stops listening: new connections are refused (ECONNREFUSED). Requests that arrive on
   * connections already open are dropped unanswered and not recorded, so nothing counts
   * as accepted that the client could not have seen accepted.
   */
  down(): void {
    this.#down = true;
    for (const res of this.#hanging) res.destroy();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#server.close();
    this.#server.closeIdleConnections();
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server = this.#create();
    this.#down = false;
    await this.start();
  }

  #handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    if (this.#down) {
      req.socket.destroy();
      return;
    }
    const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    const received: ReceivedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body,
      atMs: Date.now(),
    };
    if (this.keep) this.requests.push(received);
    const answer = this.responder?.(received, this.#n++) ?? { status: 200 };
    if (answer === 'hang') {
      this.#hanging.add(res);
      res.on('close', () => this.#hanging.delete(res));
      return;
    }
    if (answer === 'destroy') {
      req.socket.destroy();
      return;
    }
    const respond = () => {
      if (this.#down || res.destroyed) {
        res.destroy();
        return;
      }
      if (answer.status >= 200 && answer.status < 300) {
        const lines = body.split('\n').filter(Boolean);
        if (this.keep) for (const line of lines) this.records.push(JSON.parse(line));
        this.onAccepted?.(lines, received);
      }
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    };
    if (!answer.delayMs) return respond();
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      respond();
    }, answer.delayMs);
    this.#timers.add(timer);
  }

  /** Messages received, grouped by file, in arrival order. */
  messagesByFile(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.records) {
      const list = out.get(r['file']) ?? [];
      list.push(r['message']);
      out.set(r['file'], list);
    }
    return out;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
