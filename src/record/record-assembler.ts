import type { AckQueue } from '../ack/ack-queue.js';
import { RateLimit } from '../log/rate-limit.js';
import { FilePlanner, PLAIN, type FilePlan, type MultilineOptions } from './file-plan.js';
import type { LogRecord, PlainLine, PlainRun, RecordContext } from './log-record.js';
import { eachLine } from './line-run.js';
import type { LineParser, ParserName, ParserRule } from './parser.js';
import { joinedRecordId, recordId } from './record-id.js';
import { guardFields, reservedKeys } from './reserved-names.js';

/** The file a line came from, as the record side needs it. */
export interface LineSource {
  readonly key: string;
  /** The path that chooses the file's parser and multiline rule (globs match it). */
  readonly path: string;
  /** The path as records show it, when that differs (a file name that is not UTF-8). */
  readonly name?: string;
  readonly ackQueue: AckQueue;
}

/** Receives finished records; `end` is the offset past the record's last line. */
export type RecordHandler = (record: LogRecord, queue: AckQueue, end: number) => void;

/**
 * Takes a plain line as it is (the batch writes its record from the bytes), or returns
 * false to get it as a record. `line` is reused: valid only during the call.
 */
export type PlainLineHandler = (line: PlainLine, queue: AckQueue, end: number) => boolean;

/**
 * Takes the lines of a plain run (the batch writes their records from the bytes), moving
 * `run` past them: true when it took them all, false when the line at `run.from` must
 * come as a record. `run` is reused: valid only during the call.
 */
export type PlainRunHandler = (run: PlainRun, queue: AckQueue) => boolean;

export interface RecordOptions {
  readonly context: Pick<RecordContext, 'timestampField' | 'epochTimeField' | 'fields'>;
  /** First matching rule wins; no rule (or `none`) means lines ship as they are. */
  readonly parsers: readonly ParserRule[];
  /** TAILSHIP_PARSER_REGEX, needed when a rule names `regex`. */
  readonly parserRegex: string | undefined;
  readonly multiline: MultilineOptions | undefined;
  /** A joined record grows to at most this many bytes (TAILSHIP_MAX_LINE_BYTES). */
  readonly maxRecordBytes: number;
}

/** One summary of lines that did not parse, at most once per PARSE_WARNING_INTERVAL_MS. */
export interface ParseFailureReport {
  readonly parser: ParserName;
  readonly reason: string;
  readonly file: string;
  /** Lines that failed since the last report, this one included. */
  readonly count: number;
  /** The start of the line that triggered this report. */
  readonly sample: string;
}

/** What the record side reports; health/telemetry.ts turns it into metrics and logs. */
export interface RecordObserver {
  /** Every line that did not parse (cheap: a counter). */
  parseFailed(parser: ParserName): void;
  /** Rate-limited: a parse-error storm gives one of these per interval, not one per line. */
  parseFailures(report: ParseFailureReport): void;
}

export const PARSE_WARNING_INTERVAL_MS = 10_000;
const SAMPLE_CHARS = 200;
const EMPTY = Buffer.alloc(0);

/** Run numbers, unique in the process: an encoder shared by two assemblers must not mistake one's run for the other's. */
let runSeq = 0;
const nextRunSeq = (): number => ++runSeq;

const NO_OPTIONS: RecordOptions = {
  context: { timestampField: '@timestamp', fields: [] },
  parsers: [],
  parserRegex: undefined,
  multiline: undefined,
  maxRecordBytes: Infinity,
};

const NO_OBSERVER: RecordObserver = { parseFailed: () => {}, parseFailures: () => {} };

/** A multiline record being joined: lines of one file, from `start` to `end`. */
interface Pending {
  readonly src: LineSource;
  readonly key: string;
  readonly path: string;
  readonly queue: AckQueue;
  readonly plan: FilePlan;
  readonly start: number;
  readonly readTimeMs: number;
  readonly parts: string[];
  end: number;
  bytes: number;
  truncated: boolean;
  /** Read time of the last line joined: the timeout counts from it. */
  lastMs: number;
}

/**
 * Turns lines into records: decode, parse, join multiline records, id, time. Pure: no
 * timers (the timeout flush is driven by `expire(now)` from the shell in
 * timed-assembler.ts), no logger (failures go to the observer).
 *
 * Checkpoint invariant: a record is emitted with `end` = the offset past its last line,
 * and the checkpoint of a file only advances to the `end` of acknowledged records. A
 * multiline record held here has not been emitted, and nothing after it in the same file
 * is emitted before it (per file, records leave in file order), so no checkpoint can
 * pass the first line of a half-joined record: a crash re-reads and re-joins it whole.
 *
 * With no parser and no multiline configured (the default), `line` is the cheap path:
 * the line's bytes go to `plainLine` (the batch writes the record from them), or, when
 * it does not take them, one decode and one record object, no lookups.
 */
export class RecordAssembler {
  readonly #emit: RecordHandler;
  readonly #observer: RecordObserver;
  readonly #plain: boolean;
  readonly #planner: FilePlanner;
  readonly #reserved: readonly string[];
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #warnings = new RateLimit(PARSE_WARNING_INTERVAL_MS);
  // Plans by source object (one per file identity); a WeakMap forgets closed files.
  readonly #plans = new WeakMap<LineSource, FilePlan>();
  #lastSrc: LineSource | undefined;
  #lastPlan: FilePlan = PLAIN;
  readonly #pending = new Map<LineSource, Pending>();
  readonly #plainLine: PlainLineHandler | undefined;
  /** One object for every plain line, refilled: the hot path allocates nothing per line. */
  readonly #scratch: PlainLine = { line: Buffer.alloc(0), key: '', file: '', offset: 0, truncated: false, timeMs: 0 };
  readonly #plainRun: PlainRunHandler | undefined;
  /** Likewise one object for every run. */
  readonly #run: PlainRun = {
    chunk: EMPTY,
    from: 0,
    to: 0,
    offset: 0,
    maxLineBytes: 0,
    key: '',
    file: '',
    timeMs: 0,
    lines: 0,
    truncated: 0,
    seq: 0,
  };

  constructor(
    emit: RecordHandler,
    options: RecordOptions = NO_OPTIONS,
    observer: RecordObserver = NO_OBSERVER,
    plainLine?: PlainLineHandler,
    plainRun?: PlainRunHandler,
  ) {
    this.#emit = emit;
    this.#plainLine = plainLine;
    this.#plainRun = plainRun;
    this.#observer = observer;
    this.#reserved = reservedKeys(options.context);
    const ml = options.multiline;
    this.#planner = new FilePlanner(options.parsers, options.parserRegex, ml, options.context.timestampField, this.#reserved);
    this.#timeoutMs = ml?.timeoutMs ?? Infinity;
    this.#maxBytes = options.maxRecordBytes;
    this.#plain = this.#planner.plain;
  }

  /**
   * The complete lines of a chunk: bytes [from, to) of `chunk`, the first at file offset
   * `offset` (tail/line-splitter.ts's RunHandler). Plain lines go to `plainRun` all at once
   * when there is one; any line it does not take, and every line otherwise, goes to `line`.
   */
  lines(src: LineSource, chunk: Buffer, from: number, to: number, offset: number, maxLineBytes: number, nowMs: number): void {
    const onLine = (line: Buffer, start: number, end: number, truncated: boolean) =>
      this.line(src, line, start, end, truncated, nowMs);
    if (!this.#plain || this.#plainRun === undefined) {
      eachLine(chunk, from, to, offset, maxLineBytes, onLine);
      return;
    }
    const run = this.#run;
    run.chunk = chunk;
    run.from = from;
    run.to = to;
    run.offset = offset;
    run.maxLineBytes = maxLineBytes;
    run.key = src.key;
    run.file = src.name ?? src.path;
    run.timeMs = nowMs;
    run.seq = nextRunSeq();
    while (!this.#plainRun(run, src.ackQueue)) {
      // The line at run.from, one the batch refused, goes the record way.
      const next = chunk.indexOf(0x0a, run.from) + 1;
      eachLine(chunk, run.from, next, run.offset, maxLineBytes, onLine);
      run.offset += next - run.from;
      run.from = next;
    }
    run.chunk = EMPTY;
  }

  line(src: LineSource, line: Buffer, start: number, end: number, truncated: boolean, nowMs: number): void {
    if (this.#plain) {
      if (this.#plainLine !== undefined) {
        const p = this.#scratch;
        p.line = line;
        p.key = src.key;
        p.file = src.name ?? src.path;
        p.offset = start;
        p.truncated = truncated;
        p.timeMs = nowMs;
        const taken = this.#plainLine(p, src.ackQueue, end);
        p.line = EMPTY;
        if (taken) return;
      }
      this.#emit(
        {
          // Invalid UTF-8 becomes U+FFFD here; JSON encoding escapes NUL and controls.
          message: line.toString('utf8'),
          timeMs: nowMs,
          readTimeMs: nowMs,
          file: src.name ?? src.path,
          offset: start,
          id: recordId(src.key, start),
          truncated,
        },
        src.ackQueue,
        end,
      );
      return;
    }
    const plan = this.#planFor(src);
    // Decoded now: `line` is a view of the tail's read buffer, reused after this call.
    const message = line.toString('utf8');
    if (plan.multiline === undefined) {
      this.#finish(src.key, src.name ?? src.path, src.ackQueue, plan, message, start, end, start, truncated, nowMs, nowMs);
      return;
    }
    let held = this.#pending.get(src);
    // A truncated file restarts its offsets under a new key and queue: what was held
    // belongs to the old content and leaves first.
    if (held !== undefined && (held.queue !== src.ackQueue || held.key !== src.key)) {
      this.#release(held);
      held = undefined;
    }
    const first = plan.multiline.test(message);
    if (held !== undefined) {
      if (!first && held.bytes + 1 + line.length <= this.#maxBytes) {
        held.parts.push(message);
        held.bytes += 1 + line.length;
        held.end = end;
        held.truncated ||= truncated;
        held.lastMs = nowMs;
        return;
      }
      this.#release(held);
    }
    // A start line, or a continuation with nothing to join (its start already left by
    // timeout or size): either begins a record that later continuations join.
    this.#pending.set(src, {
      src,
      key: src.key,
      path: src.name ?? src.path,
      queue: src.ackQueue,
      plan,
      start,
      readTimeMs: nowMs,
      parts: [message],
      end,
      bytes: line.length,
      truncated,
      lastMs: nowMs,
    });
  }

  /** Whether a multiline record is held (the shell then keeps a timer). */
  get holding(): boolean {
    return this.#pending.size > 0;
  }

  /** When the oldest held record times out (ms), or undefined when none is held. */
  get nextExpiryMs(): number | undefined {
    let next: number | undefined;
    for (const p of this.#pending.values()) {
      const at = p.lastMs + this.#timeoutMs;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** Emits held records whose last line is at least the timeout old. */
  expire(nowMs: number): void {
    for (const p of [...this.#pending.values()]) if (nowMs - p.lastMs >= this.#timeoutMs) this.#release(p);
  }

  /** Emits the record held for one file, which will not grow again (closed after rotation). */
  end(src: LineSource): void {
    const p = this.#pending.get(src);
    if (p !== undefined) this.#release(p);
  }

  /** Emits every held record (drain: the files are caught up, nothing more will join). */
  flush(): void {
    for (const p of [...this.#pending.values()]) this.#release(p);
  }

  #release(p: Pending): void {
    this.#pending.delete(p.src);
    const message = p.parts.length === 1 ? p.parts[0]! : p.parts.join('\n');
    this.#finish(p.key, p.path, p.queue, p.plan, message, p.start, p.end, p.parts.length > 1 ? p.end : p.start, p.truncated, p.readTimeMs, p.lastMs);
  }

  /** Builds and emits one record. `idEnd` is `start` for a single line, the end for a joined record (record-id.ts). */
  #finish(
    key: string,
    path: string,
    queue: AckQueue,
    plan: FilePlan,
    message: string,
    start: number,
    end: number,
    idEnd: number,
    truncated: boolean,
    readTimeMs: number,
    nowMs: number,
  ): void {
    let timeMs = readTimeMs;
    let fields: Record<string, unknown> | undefined;
    const parser = plan.parser;
    if (parser !== undefined) {
      const parsed = parser.parse(message);
      if (typeof parsed === 'string') {
        fields = { parse_error: parsed };
        this.#parseFailed(parser, parsed, path, message, nowMs);
      } else {
        fields = plan.guard ? guardFields(parsed.fields, this.#reserved) : parsed.fields;
        if (parsed.timeMs !== undefined) timeMs = parsed.timeMs;
      }
    }
    const id = idEnd === start ? recordId(key, start) : joinedRecordId(key, start, idEnd);
    this.#emit({ message, timeMs, readTimeMs, file: path, offset: start, id, truncated, fields, parsedBy: parser?.name }, queue, end);
  }

  #parseFailed(parser: LineParser, reason: string, file: string, message: string, nowMs: number): void {
    this.#observer.parseFailed(parser.name);
    const count = this.#warnings.hit(nowMs);
    if (count > 0) {
      this.#observer.parseFailures({ parser: parser.name, reason, file, count, sample: message.slice(0, SAMPLE_CHARS) });
    }
  }

  /**
   * The plan of the file, chosen by the path it had when its first line arrived: a file
   * rotated to `access.log.1` keeps the parser it was read with.
   */
  #planFor(src: LineSource): FilePlan {
    if (src === this.#lastSrc) return this.#lastPlan;
    let plan = this.#plans.get(src);
    if (plan === undefined) {
      plan = this.#planner.plan(src.path);
      this.#plans.set(src, plan);
    }
    this.#lastSrc = src;
    this.#lastPlan = plan;
    return plan;
  }
}
