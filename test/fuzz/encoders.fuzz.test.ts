// Every protocol's encoder, through the batch framing, the shipper's splits and gzip, on
// arbitrary records: each request body is valid for its protocol (the rules of
// test/helpers/protocol-rules.ts), carries each record once, and gives back each
// record's message and file name exactly — so a line that is valid UTF-8 comes back
// byte for byte (invalid bytes: see the record-stage rule in parsers.fuzz.test.ts).
import { isUtf8 } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import t from 'tap';
import { AckQueue } from '../../src/ack/ack-queue.js';
import { MemoryBudget } from '../../src/ack/memory-budget.js';
import type { Batch } from '../../src/batch/batch.js';
import { Batcher } from '../../src/batch/batcher.js';
import type { LogRecord, RecordContext } from '../../src/record/log-record.js';
import { RecordAssembler } from '../../src/record/record-assembler.js';
import { DeadLetterFile } from '../../src/ship/dead-letter.js';
import type { Encoder } from '../../src/ship/encoders/encoder.js';
import { indexPatternProblem } from '../../src/ship/encoders/es-index.js';
import { fieldRefProblem } from '../../src/ship/encoders/field-ref.js';
import { isValidLokiLabelName } from '../../src/ship/encoders/loki.js';
import { createProtocol, type SinkKind } from '../../src/ship/protocol.js';
import { readHttpStatus } from '../../src/ship/responses/http-status.js';
import { Shipper } from '../../src/ship/shipper.js';
import { bulkProblems, hecProblems, lokiPushProblems, otlpLogsProblems, parseHecEvents } from '../helpers/protocol-rules.js';
import { anyString, context, fileName, holds, lineBytes, record } from './arbitraries.js';

/** What a collector reads back of one record. */
interface Seen {
  readonly message: string;
  /** The file name, where the protocol carries it per record. */
  readonly file: string | undefined;
}

interface ProtocolCase {
  readonly kind: SinkKind;
  readonly encoder: Encoder;
  /** The protocol's rules, broken: empty when the body is valid. */
  problems(body: string): string[];
  /** The records in a valid body, in body order. */
  read(body: string): Seen[];
  /** Whether each record's file name is in the body (Loki's raw lines carry only the line). */
  readonly carriesFile: boolean;
}

type Json = Record<string, unknown>;

function recordJson(o: Json): Seen {
  return { message: o['message'] as string, file: o['file'] as string };
}

function ndjsonProblems(body: string): string[] {
  if (body.length > 0 && !body.endsWith('\n')) return ['does not end with a newline'];
  return body
    .split('\n')
    .slice(0, -1)
    .flatMap((line, i) => {
      try {
        const v: unknown = JSON.parse(line);
        return v !== null && typeof v === 'object' && !Array.isArray(v) ? [] : [`line ${i}: not an object`];
      } catch (error) {
        return [`line ${i}: ${(error as Error).message}`];
      }
    });
}

function jsonArrayProblems(body: string): string[] {
  try {
    const v: unknown = JSON.parse(body);
    if (!Array.isArray(v)) return ['not an array'];
    return v.every((o) => o !== null && typeof o === 'object' && !Array.isArray(o)) ? [] : ['an element is not an object'];
  } catch (error) {
    return [(error as Error).message];
  }
}

interface LokiSettings {
  readonly labels: Array<[string, string]>;
  readonly metadata: Array<[string, string]>;
  readonly line: 'message' | 'json';
}

/** Label names and templates as TAILSHIP_LOKI_LABELS takes them (config/collector-config.ts). */
const lokiTemplate = fc.oneof(
  anyString(20).filter((s) => fieldRefProblem(s) === undefined),
  fc.constantFrom('$file', '$host', '$kubernetes.pod', '$kubernetes.namespace', '$level', '$status', '$message', '$a.b', '$env', '$$lit'),
);
const lokiName = fc
  .oneof(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/), anyString(6))
  .filter((n) => isValidLokiLabelName(n));
const lokiSettings: fc.Arbitrary<LokiSettings> = fc.record({
  labels: fc.uniqueArray(fc.tuple(lokiName, lokiTemplate), { maxLength: 4, selector: ([n]) => n }),
  metadata: fc.uniqueArray(
    fc.tuple(lokiName, fc.oneof(lokiTemplate, fc.constantFrom('$id', '$offset'))),
    { maxLength: 3, selector: ([n]) => n },
  ),
  line: fc.constantFrom('message', 'json'),
});

function protocolCase(kind: SinkKind, ctx: RecordContext, loki: LokiSettings, esIndex: string | undefined): ProtocolCase {
  const { encoder } = createProtocol(
    {
      kind,
      loki: { labels: loki.labels, structuredMetadata: loki.metadata, line: loki.line },
      elasticsearch: { index: esIndex },
      splunk: { sourcetype: 'nginx', index: undefined },
    },
    ctx,
    '0.0.0-fuzz',
  );
  const carriesFile = kind !== 'loki' || loki.line === 'json';
  switch (kind) {
    case 'ndjson':
      return {
        kind,
        carriesFile,
        encoder,
        problems: ndjsonProblems,
        read: (body) =>
          body
            .split('\n')
            .slice(0, -1)
            .map((l) => recordJson(JSON.parse(l) as Json)),
      };
    case 'json':
      return { kind, carriesFile, encoder, problems: jsonArrayProblems, read: (body) => (JSON.parse(body) as Json[]).map(recordJson) };
    case 'elasticsearch':
      return {
        kind,
        carriesFile,
        encoder,
        problems: bulkProblems,
        read: (body) =>
          body
            .split('\n')
            .filter((_, i) => i % 2 === 1)
            .map((l) => recordJson(JSON.parse(l) as Json)),
      };
    case 'loki':
      return {
        kind,
        carriesFile,
        encoder,
        problems: lokiPushProblems,
        read: (body) =>
          (JSON.parse(body) as { streams: Array<{ values: Array<[string, string]> }> }).streams.flatMap((s) =>
            s.values.map(([, line]) => (loki.line === 'json' ? recordJson(JSON.parse(line) as Json) : { message: line, file: undefined })),
          ),
      };
    case 'otlp':
      return {
        kind,
        carriesFile,
        encoder,
        problems: otlpLogsProblems,
        read: (body) =>
          (
            JSON.parse(body) as {
              resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ body: { stringValue: string }; attributes: Array<{ key: string; value: { stringValue?: string } }> }> }> }>;
            }
          ).resourceLogs
            .flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords))
            .map((lr) => ({
              message: lr.body.stringValue,
              file: lr.attributes.find((a) => a.key === 'log.file.path')?.value.stringValue,
            })),
      };
    case 'splunk_hec':
      return {
        kind,
        carriesFile,
        encoder,
        problems: hecProblems,
        read: (body) =>
          (parseHecEvents(body) as Json[]).map((e) => ({
            message: typeof e['event'] === 'string' ? e['event'] : ((e['event'] as Json)['message'] as string),
            file: e['source'] as string,
          })),
      };
  }
}

const KINDS: readonly SinkKind[] = ['ndjson', 'json', 'loki', 'elasticsearch', 'otlp', 'splunk_hec'];

/** A protocol set up as config allows, with a context and a batch of records for it. */
const scenario = fc
  .record({
    kind: fc.constantFrom(...KINDS),
    ctx: context,
    loki: lokiSettings,
    esIndex: fc.oneof(
      fc.constantFrom(undefined, 'logs-tailship-default', 'logs-%Y.%m.%d', 'nginx-%Y-%m-%d-%H'),
      // Any pattern TAILSHIP_ES_INDEX takes (config/collector-config.ts).
      fc.stringMatching(/^[a-z0-9%YmdH._+#-]{1,12}$/).filter((p) => indexPatternProblem(p) === undefined),
    ),
    maxBytes: fc.integer({ min: 64, max: 64 * 1024 }),
    maxEvents: fc.integer({ min: 1, max: 50 }),
    /** Lines through the real record stage, so a record's message is a decoded line. */
    lines: fc.array(fc.tuple(lineBytes, fileName), { maxLength: 8 }),
  })
  .chain((s) => fc.record({ records: fc.array(record(s.ctx), { maxLength: 25 }) }).map(({ records }) => ({ ...s, records })));

/** The records the record stage makes of `lines` (no parser: the message is the line decoded). */
function recordsOf(lines: ReadonlyArray<readonly [Buffer, string]>): Array<{ record: LogRecord; line: Buffer }> {
  const out: Array<{ record: LogRecord; line: Buffer }> = [];
  let current: Buffer = Buffer.alloc(0);
  const assembler = new RecordAssembler((record) => out.push({ record, line: current }));
  let offset = 0;
  for (const [line, path] of lines) {
    current = line;
    assembler.line({ key: 'fedcba9876543210', path, ackQueue: new AckQueue(0) }, line, offset, offset + line.length + 1, false, 1_764_000_000_000);
    offset += line.length + 1;
  }
  return out;
}

/** Problems of one body: the protocol's rules, then what it carries against what was sent. */
function bodyProblems(p: ProtocolCase, body: string, sent: readonly LogRecord[]): string[] {
  const problems = p.problems(body);
  if (problems.length > 0) return problems;
  const seen = p.read(body);
  if (seen.length !== sent.length) return [`${seen.length} records in the body, ${sent.length} sent`];
  // Loki groups records by stream and sorts them by time: compare as multisets.
  const key = (s: Seen) => JSON.stringify([s.message, s.file ?? null]);
  const want = sent.map((r) => key({ message: r.message, file: p.carriesFile ? r.file : undefined }));
  const got = seen.map(key);
  if (p.kind === 'loki') {
    want.sort();
    got.sort();
  }
  const i = got.findIndex((g, j) => g !== want[j]);
  return i < 0 ? [] : [`record ${i}: got ${got[i]}, sent ${want[i]}`];
}

function bodyText(encoder: Encoder, batch: Batch<unknown>): string {
  const body = batch.body ?? encoder.body(batch.fragments);
  return typeof body === 'string' ? body : body.toString('utf8');
}

t.test('every encoder through the batcher: each body valid for its protocol, each record in it once and intact', async (t) => {
  const property = fc.property(scenario, fc.nat(), (s, cut) => {
    const p = protocolCase(s.kind, s.ctx, s.loki, s.esIndex);
    const fromLines = recordsOf(s.lines);
    const records = [...fromLines.map((x) => x.record), ...s.records];
    // A line that is valid UTF-8 is its record's message byte for byte (the record stage).
    for (const { record: r, line } of fromLines) {
      if (isUtf8(line) && !Buffer.from(r.message, 'utf8').equals(line)) throw new Error('a UTF-8 line changed in its record');
    }
    const budget = new MemoryBudget(1 << 30);
    const problems: string[] = [];
    let next = 0;
    let batches = 0;
    const batcher: Batcher<unknown> = new Batcher(
      p.encoder,
      { maxBytes: s.maxBytes, maxEvents: s.maxEvents, lingerMs: 60_000 },
      budget,
      (batch) => {
        batches++;
        const sent = records.slice(next, next + batch.count);
        next += batch.count;
        problems.push(...bodyProblems(p, bodyText(p.encoder, batch), sent).map((x) => `batch ${batches}: ${x}`));
        // A 413 splits a batch: any part of it is a valid body of its own (Shipper.#subset).
        const k = 1 + (cut % batch.count);
        const part = p.encoder.body(batch.fragments.slice(0, k));
        problems.push(...bodyProblems(p, typeof part === 'string' ? part : part.toString('utf8'), sent.slice(0, k)).map((x) => `part of batch ${batches}: ${x}`));
        // Settled at once: its buffer goes back to the pool and the next batch is written over it.
        batcher.acknowledge(batch);
      },
    );
    const queue = new AckQueue(0);
    // Lines go the way the pipeline sends them: as bytes where the protocol writes a plain
    // line's record itself (Batcher.addLine), as records otherwise.
    records.forEach((r, i) => {
      const line = i < fromLines.length ? fromLines[i]!.line : undefined;
      const plain = line && { line, key: 'fedcba9876543210', file: r.file, offset: r.offset, truncated: r.truncated, timeMs: r.timeMs };
      if (!(plain && batcher.addLine(plain, queue, i + 1))) batcher.add(r, queue, i + 1);
    });
    batcher.flush();
    batcher.shutdown();
    if (next !== records.length) problems.push(`${next} records sent of ${records.length}`);
    if (budget.usedBytes !== 0) problems.push(`${budget.usedBytes} bytes still reserved after every batch was acknowledged`);
    if (problems.length > 0) throw new Error(`${s.kind}: ${problems.slice(0, 5).join('\n')}`);
    return true;
  });
  await holds(t, 'encoders: arbitrary records through the batcher, every protocol', property, 300);
});

t.test('through the shipper: 413 splits down to one record, gzip, every body valid and every record delivered once', async (t) => {
  const dir = t.testdir();
  const property = fc.asyncProperty(scenario, fc.integer({ min: 1, max: 8 }), async (s, limit) => {
    const p = protocolCase(s.kind, s.ctx, s.loki, s.esIndex);
    const records = [...recordsOf(s.lines).map((x) => x.record), ...s.records];
    if (records.length === 0) return true;
    const problems: string[] = [];
    const delivered: Seen[] = [];
    const transport = {
      async post(body: Buffer | string, headers: Record<string, string>) {
        const raw = typeof body === 'string' ? Buffer.from(body) : body;
        if (headers['content-encoding'] !== 'gzip') problems.push('no content-encoding: gzip');
        const text = gunzipSync(raw).toString('utf8');
        const broken = p.problems(text);
        if (broken.length > 0) problems.push(...broken);
        const seen = broken.length > 0 ? [] : p.read(text);
        // A collector that takes at most `limit` records per request.
        if (seen.length > limit) return { kind: 'response' as const, status: 413, body: 'too large', retryAfterMs: undefined };
        delivered.push(...seen);
        return { kind: 'response' as const, status: 200, body: '', retryAfterMs: undefined };
      },
    };
    const noop = () => {};
    const shipper = new Shipper(
      { encoder: p.encoder, readResponse: readHttpStatus },
      transport,
      { maxInFlight: 2, backoff: { initialMs: 1, maxMs: 1 }, retryLimit: 3, compression: 'gzip', gzipLevel: 1 },
      new DeadLetterFile(dir, 1 << 20),
      { delivered: noop, attemptFailed: noop, retryScheduled: noop, split: noop, deadLettered: (n) => problems.push(`${n} dead-lettered`) },
      noop,
    );
    const batcher = new Batcher(p.encoder, { maxBytes: s.maxBytes, maxEvents: 50, lingerMs: 60_000 }, new MemoryBudget(1 << 30), (b) =>
      shipper.enqueue(b),
    );
    const queue = new AckQueue(0);
    records.forEach((r, i) => batcher.add(r, queue, i + 1));
    batcher.flush();
    batcher.shutdown();
    await shipper.idle();
    shipper.stop();
    const key = (x: Seen) => x.message;
    const got = delivered.map(key).sort();
    const want = records.map((r) => r.message).sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`delivered ${got.length} of ${want.length} records, or not as sent`);
    if (problems.length > 0) throw new Error(`${s.kind}: ${problems.slice(0, 5).join('\n')}`);
    return true;
  });
  await holds(t, 'shipper: arbitrary records split by 413 and gzipped, every protocol', property, 80);
});
