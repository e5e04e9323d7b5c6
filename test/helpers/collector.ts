// The one test collector: a real HTTP(S) server on 127.0.0.1, port 0, that speaks each
// protocol the way the real collector does. It checks every request against the
// protocol's rules (protocol-rules.ts), keeps what it accepted, and answers in the
// protocol's own shape (Loki 204, bulk items with 409 for a known _id, OTLP `{}`, HEC
// `{"text":"Success","code":0}`). A `responder` can answer instead, to make it fail,
// hang, drop connections or answer late; `down()` and `up()` take it away and back.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { bulkProblems, hecProblems, lokiPushProblems, otlpLogsProblems, parseHecEvents } from './protocol-rules.js';

export type Protocol = 'ndjson' | 'json' | 'loki' | 'elasticsearch' | 'otlp' | 'splunk_hec';

/** Where each protocol posts; ndjson and json take any path (Fluentd's tag is the path). */
const PATHS: Partial<Record<Protocol, string>> = {
  loki: '/loki/api/v1/push',
  elasticsearch: '/_bulk',
  otlp: '/v1/logs',
  splunk_hec: '/services/collector/event',
};

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  /** `url` without its query. */
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  /** The body after gunzip, as text. */
  readonly body: string;
  /** When it arrived (ms). */
  readonly atMs: number;
}

/** One line as the collector stored it, in any protocol. */
export interface StoredLine {
  readonly message: string;
  readonly file?: string | undefined;
  readonly id?: string | undefined;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Answer this much later. */
  readonly delayMs?: number;
}

/**
 * Decides the answer to a request instead of the protocol: an answer (a 2xx one stores
 * the records of an ndjson or json body), 'hang' (never answer), 'destroy' (drop the
 * connection), or undefined (answer as the protocol does).
 */
export type Responder = (req: ReceivedRequest, n: number) => Answer | 'hang' | 'destroy' | undefined;

/** Per-document override for the bulk protocol: a status and error for this document, or undefined. */
export type BulkFault = (doc: Record<string, unknown>, id: string, attempt: number) => { status: number; type: string } | undefined;

export interface CollectorOptions {
  readonly protocol?: Protocol;
  /** Serve HTTPS with these options. */
  readonly tls?: ServerOptions;
  readonly responder?: Responder;
}

export class TestCollector {
  readonly protocol: Protocol;
  readonly requests: ReceivedRequest[] = [];
  /** Records accepted, as objects (ndjson and json), in arrival order. */
  readonly records: Array<Record<string, any>> = [];
  /** Lines accepted, in any protocol, in arrival order. */
  readonly lines: StoredLine[] = [];
  /** Rule violations seen in requests (must stay empty). */
  readonly problems: string[] = [];
  /** Elasticsearch: documents by _id, 409s answered, attempts per _id. */
  readonly docs = new Map<string, Record<string, unknown>>();
  conflicts = 0;
  readonly attempts = new Map<string, number>();
  bulkFault: BulkFault | undefined;
  /** Decides whether a request's headers are authorised (undefined: all are). */
  authorize: ((headers: IncomingMessage['headers']) => boolean) | undefined;
  /** The OTLP success answer (e.g. a partialSuccess). */
  otlpAnswer = '{}';
  /** Handle every request this much later (a slow collector). */
  delayMs = 0;
  responder: Responder | undefined;
  /**
   * Keep requests, records and lines in memory (the default). For large volumes set it to
   * false and count with `onAccepted` instead.
   */
  keep = true;
  /** Called with the records (JSON text) of every ndjson body answered 2xx. */
  onAccepted: ((lines: string[], req: ReceivedRequest) => void) | undefined;
  readonly #tls: ServerOptions | undefined;
  #server: Server;
  #port = 0;
  #down = false;
  readonly #hanging = new Set<ServerResponse>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #n = 0;

  constructor(options: CollectorOptions = {}) {
    this.protocol = options.protocol ?? 'ndjson';
    this.#tls = options.tls;
    this.responder = options.responder;
    this.#server = this.#create();
  }

  #create(): Server {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#later(this.delayMs, res, () => this.#handle(req, res, Buffer.concat(chunks))));
    };
    return this.#tls ? createHttpsServer(this.#tls, handler) : createHttpServer(handler);
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this.url;
  }

  /** The base URL; tailship adds the protocol's path. */
  get url(): string {
    return `${this.#tls ? 'https' : 'http'}://127.0.0.1:${this.#port}/`;
  }

  /** Requests received so far (also counted when `keep` is false). */
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

  /** Messages stored, counted (a message seen twice counts 2). */
  counts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const l of this.lines) out.set(l.message, (out.get(l.message) ?? 0) + 1);
    return out;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Runs `fn` after `ms` (at once for 0); cancelled by down() and close(). */
  #later(ms: number, res: ServerResponse, fn: () => void): void {
    if (ms <= 0) return fn();
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#down || res.destroyed) res.destroy();
      else fn();
    }, ms);
    this.#timers.add(timer);
  }

  #handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    if (this.#down) {
      req.socket.destroy();
      return;
    }
    let body: string;
    try {
      body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    } catch {
      this.problems.push('body is not valid gzip');
      res.writeHead(400).end('bad gzip');
      return;
    }
    const url = req.url ?? '';
    const received: ReceivedRequest = {
      method: req.method ?? '',
      url,
      path: url.split('?')[0]!,
      headers: req.headers,
      body,
      atMs: Date.now(),
    };
    if (this.keep) this.requests.push(received);
    const answer = this.responder?.(received, this.#n++);
    if (answer === 'hang') {
      this.#hanging.add(res);
      res.on('close', () => this.#hanging.delete(res));
      return;
    }
    if (answer === 'destroy') {
      req.socket.destroy();
      return;
    }
    if (answer === undefined) return this.#answer(received, res);
    this.#later(answer.delayMs ?? 0, res, () => {
      if (this.#down || res.destroyed) return void res.destroy();
      const json = this.protocol === 'ndjson' || this.protocol === 'json';
      if (json && answer.status >= 200 && answer.status < 300) this.#store(received);
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  }

  /** Answers as the protocol's collector would. */
  #answer(req: ReceivedRequest, res: ServerResponse): void {
    const path = PATHS[this.protocol];
    if (path !== undefined && req.path !== path) {
      this.problems.push(`request to ${req.path}, expected ${path}`);
      res.writeHead(404).end('not found');
      return;
    }
    if (this.authorize && !this.authorize(req.headers)) {
      if (this.protocol === 'splunk_hec') json(res, 403, { text: 'Invalid token', code: 4 });
      else res.writeHead(401).end('unauthorized');
      return;
    }
    switch (this.protocol) {
      case 'ndjson':
        this.#store(req);
        res.writeHead(200).end();
        return;
      case 'json':
        this.#store(req);
        res.writeHead(201).end();
        return;
      case 'loki':
        return this.#loki(req.body, res);
      case 'elasticsearch':
        return this.#bulk(req.body, res);
      case 'otlp':
        return this.#otlp(req, res);
      case 'splunk_hec':
        return this.#hec(req.body, res);
    }
  }

  /** Stores the records of an accepted ndjson or json body. */
  #store(req: ReceivedRequest): void {
    if (this.protocol === 'json') {
      const docs = JSON.parse(req.body) as unknown;
      if (!Array.isArray(docs)) this.problems.push('json body is not an array');
      else for (const d of docs) this.#storeRecord(d as Record<string, unknown>);
      return;
    }
    const lines = req.body.split('\n').filter(Boolean);
    if (this.keep) for (const line of lines) this.#storeRecord(JSON.parse(line) as Record<string, unknown>);
    this.onAccepted?.(lines, req);
  }

  #storeRecord(r: Record<string, unknown>): void {
    this.records.push(r);
    this.lines.push({ message: String(r['message']), file: r['file'] as string, id: r['id'] as string });
  }

  #loki(body: string, res: ServerResponse): void {
    const problems = lokiPushProblems(body);
    if (problems.length > 0) {
      this.problems.push(...problems);
      res.writeHead(400).end(problems[0]);
      return;
    }
    const push = JSON.parse(body) as { streams: Array<{ stream: Record<string, string>; values: Array<[string, string, Record<string, string>?]> }> };
    for (const s of push.streams) {
      for (const [, line, meta] of s.values) this.lines.push({ message: line, file: s.stream['filename'], id: meta?.['id'] });
    }
    res.writeHead(204).end();
  }

  #bulk(body: string, res: ServerResponse): void {
    const problems = bulkProblems(body);
    if (problems.length > 0) {
      this.problems.push(...problems);
      json(res, 400, { error: { type: 'illegal_argument_exception', reason: problems[0] }, status: 400 });
      return;
    }
    const lines = body.split('\n');
    const items: unknown[] = [];
    let errors = false;
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const action = JSON.parse(lines[i]!) as { create: { _id: string; _index?: string } };
      const doc = JSON.parse(lines[i + 1]!) as Record<string, unknown>;
      const id = action.create._id;
      const attempt = (this.attempts.get(id) ?? 0) + 1;
      this.attempts.set(id, attempt);
      const index = action.create._index ?? 'from-url';
      const fault = this.bulkFault?.(doc, id, attempt);
      if (fault) {
        errors = true;
        items.push({ create: { _index: index, _id: id, status: fault.status, error: { type: fault.type, reason: `injected ${fault.type}` } } });
      } else if (this.docs.has(id)) {
        errors = true;
        this.conflicts++;
        items.push({
          create: {
            _index: index,
            _id: id,
            status: 409,
            error: { type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists (current version [1])` },
          },
        });
      } else {
        this.docs.set(id, doc);
        this.lines.push({ message: String(doc['message']), file: doc['file'] as string, id });
        items.push({ create: { _index: index, _id: id, _version: 1, result: 'created', status: 201 } });
      }
    }
    json(res, 200, { took: 3, errors, items });
  }

  #otlp(req: ReceivedRequest, res: ServerResponse): void {
    if (req.headers['content-type'] !== 'application/json') this.problems.push(`content-type ${req.headers['content-type']}`);
    const problems = otlpLogsProblems(req.body);
    if (problems.length > 0) {
      this.problems.push(...problems);
      json(res, 400, { code: 3, message: problems[0] });
      return;
    }
    type KV = { key: string; value: { stringValue?: string } };
    const parsed = JSON.parse(req.body) as {
      resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ body: { stringValue: string }; attributes: KV[] }> }> }>;
    };
    for (const rl of parsed.resourceLogs) {
      for (const sl of rl.scopeLogs) {
        for (const lr of sl.logRecords) {
          const attr = (k: string) => lr.attributes.find((a) => a.key === k)?.value.stringValue;
          this.lines.push({ message: lr.body.stringValue, file: attr('log.file.path'), id: attr('log.record.uid') });
        }
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(this.otlpAnswer);
  }

  #hec(body: string, res: ServerResponse): void {
    const problems = hecProblems(body);
    if (problems.length > 0) {
      this.problems.push(...problems);
      json(res, 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': 0 });
      return;
    }
    for (const e of parseHecEvents(body) as Array<{ event: string | { message: string }; source: string }>) {
      this.lines.push({ message: typeof e.event === 'string' ? e.event : e.event.message, file: e.source });
    }
    json(res, 200, { text: 'Success', code: 0 });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
