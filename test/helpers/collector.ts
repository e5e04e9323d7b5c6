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

/** Decides the answer to a request: return a status (and optional headers/body), or 'hang'. */
export type Responder = (
  req: ReceivedRequest,
  n: number,
) => { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'destroy' | undefined;

/**
 * A real HTTP collector on 127.0.0.1, port 0, for end-to-end tests. It keeps every
 * request; records from 2xx answers of NDJSON bodies are parsed into `records`.
 */
export class TestCollector {
  readonly requests: ReceivedRequest[] = [];
  /** Records the collector accepted (2xx), in arrival order. */
  readonly records: Array<Record<string, any>> = [];
  responder: Responder | undefined;
  #server: Server;
  #hanging = new Set<ServerResponse>();
  #n = 0;

  constructor(responder?: Responder) {
    this.responder = responder;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#handle(req, res, Buffer.concat(chunks)));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/`;
  }

  #handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    const received: ReceivedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body,
      atMs: Date.now(),
    };
    this.requests.push(received);
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
    if (answer.status >= 200 && answer.status < 300) {
      for (const line of body.split('\n')) if (line) this.records.push(JSON.parse(line));
    }
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body ?? '');
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
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
