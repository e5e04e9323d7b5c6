// Collectors that speak each protocol the way the real one does, for end-to-end tests:
// they check every request against the protocol's rules (protocol-rules.ts), keep what
// they accepted, and answer in the protocol's own shape (Loki 204, bulk items with 409
// for a known _id, OTLP `{}`, HEC `{"text":"Success","code":0}`).
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { bulkProblems, hecProblems, lokiPushProblems, otlpLogsProblems, parseHecEvents } from './protocol-rules.js';

export type Protocol = 'ndjson' | 'json' | 'loki' | 'elasticsearch' | 'otlp' | 'splunk_hec';

const PATHS: Record<Protocol, string> = {
  ndjson: '/',
  json: '/',
  loki: '/loki/api/v1/push',
  elasticsearch: '/_bulk',
  otlp: '/v1/logs',
  splunk_hec: '/services/collector/event',
};

/** One line as the collector stored it. */
export interface StoredLine {
  readonly message: string;
  readonly file?: string | undefined;
  readonly id?: string | undefined;
}

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** Per-document override for the bulk receiver: a status and error for this document, or undefined. */
export type BulkFault = (doc: Record<string, unknown>, id: string, attempt: number) => { status: number; type: string } | undefined;

export class ProtocolReceiver {
  readonly protocol: Protocol;
  readonly lines: StoredLine[] = [];
  readonly requests: ReceivedRequest[] = [];
  /** Rule violations seen in request bodies (must stay empty). */
  readonly problems: string[] = [];
  /** Elasticsearch: documents by _id, 409s answered, attempts per _id. */
  readonly docs = new Map<string, Record<string, unknown>>();
  conflicts = 0;
  readonly attempts = new Map<string, number>();
  bulkFault: BulkFault | undefined;
  /** Decides whether a request's headers are authorised (undefined: all are). */
  authorize: ((headers: IncomingMessage['headers']) => boolean) | undefined;
  /** Answer for OTLP success (e.g. a partialSuccess). */
  otlpAnswer = '{}';
  /** Answer each request this much later (a slow collector). */
  delayMs = 0;
  readonly #server: Server;
  readonly #secure: boolean;

  constructor(protocol: Protocol, tls?: ServerOptions) {
    this.protocol = protocol;
    this.#secure = tls !== undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (this.delayMs > 0) setTimeout(() => this.#handle(req, res, body), this.delayMs);
        else this.#handle(req, res, body);
      });
    };
    this.#server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  /** The base URL, without the protocol's path (tailship adds it). */
  get url(): string {
    return `${this.#secure ? 'https' : 'http'}://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Messages stored, counted (a message seen twice counts 2). */
  counts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const l of this.lines) out.set(l.message, (out.get(l.message) ?? 0) + 1);
    return out;
  }

  #handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    let body: string;
    try {
      body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    } catch {
      this.problems.push('body is not valid gzip');
      res.writeHead(400).end('bad gzip');
      return;
    }
    const path = (req.url ?? '').split('?')[0]!;
    this.requests.push({ path, headers: req.headers, body });
    if (path !== PATHS[this.protocol]) {
      this.problems.push(`request to ${path}, expected ${PATHS[this.protocol]}`);
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
        for (const line of body.split('\n')) if (line) this.#storeRecord(JSON.parse(line));
        res.writeHead(200).end();
        return;
      case 'json': {
        const docs = JSON.parse(body) as unknown;
        if (!Array.isArray(docs)) this.problems.push('json body is not an array');
        else for (const d of docs) this.#storeRecord(d as Record<string, unknown>);
        res.writeHead(201).end();
        return;
      }
      case 'loki':
        return this.#loki(body, res);
      case 'elasticsearch':
        return this.#bulk(body, res);
      case 'otlp':
        return this.#otlp(body, req, res);
      case 'splunk_hec':
        return this.#hec(body, res);
    }
  }

  #storeRecord(r: Record<string, unknown>): void {
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

  #otlp(body: string, req: IncomingMessage, res: ServerResponse): void {
    if (req.headers['content-type'] !== 'application/json') this.problems.push(`content-type ${req.headers['content-type']}`);
    const problems = otlpLogsProblems(body);
    if (problems.length > 0) {
      this.problems.push(...problems);
      json(res, 400, { code: 3, message: problems[0] });
      return;
    }
    type KV = { key: string; value: { stringValue?: string } };
    const parsed = JSON.parse(body) as {
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
