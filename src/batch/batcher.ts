import type { AckQueue } from '../ack/ack-queue.js';
import type { MemoryBudget } from '../ack/memory-budget.js';
import type { LogRecord, PlainLine, PlainRun } from '../record/log-record.js';
import { BatchBuilder, RUN_DONE, RUN_FULL, type Batch, type LineEncoding } from './batch.js';
import type { ByteFrame } from './byte-frame.js';

/** What the batcher needs of a protocol's encoder (ship/encoders/encoder.ts). */
export interface RecordEncoding<F> {
  encode(record: LogRecord): F;
  size(fragment: F): number;
  /** With `text`: records are written into the batch's body as text (batch.ts). */
  readonly frame?: ByteFrame;
  text?(record: LogRecord): string;
  /** With `frame`: plain lines' records written straight from their bytes. */
  readonly lines?: LineEncoding | undefined;
}


export interface BatcherOptions {
  readonly maxBytes: number;
  readonly maxEvents: number;
  /** The open batch is sealed when its first record has waited this long. */
  readonly lingerMs: number;
}

/**
 * The batching stage, in the shape of OpenTelemetry JS's batch processor: `add` records,
 * and the open batch is sealed and handed to `send` when it is full, when its first
 * record has waited `lingerMs` (an unref'd timer), or on `flush`; `shutdown` stops the
 * timer. The batch itself is built by the pure BatchBuilder.
 *
 * Memory: each record's bytes are reserved in the budget when added and released by
 * `acknowledge`, when its batch is settled. That is also where the files' checkpoints
 * may advance (docs/architecture.md, "Acknowledgement").
 */
export class Batcher<F> {
  readonly #builder: BatchBuilder<F>;
  readonly #encoding: RecordEncoding<F>;
  /** The encoder's text form, when records can be written into the batch as text. */
  readonly #text: ((record: LogRecord) => string) | undefined;
  readonly #lines: LineEncoding | undefined;
  readonly #runs: Required<LineEncoding> | undefined;
  readonly #lingerMs: number;
  readonly #budget: MemoryBudget;
  readonly #send: (batch: Batch<F>) => void;
  #timer: NodeJS.Timeout | undefined;
  #shutdown = false;
  #lastAcknowledgedMs = Date.now();

  constructor(encoding: RecordEncoding<F>, opts: BatcherOptions, budget: MemoryBudget, send: (batch: Batch<F>) => void) {
    this.#encoding = encoding;
    this.#text = encoding.frame ? encoding.text?.bind(encoding) : undefined;
    this.#lines = encoding.frame ? encoding.lines : undefined;
    this.#runs = this.#lines?.renderRun ? (this.#lines as Required<LineEncoding>) : undefined;
    this.#lingerMs = opts.lingerMs;
    this.#budget = budget;
    this.#send = send;
    this.#builder = new BatchBuilder(
      opts.maxBytes,
      opts.maxEvents,
      encoding.frame,
      // At most the read limit, the batch being filled and the overshoot of the read that
      // reached the limit are in use at once: more arenas would never be taken again.
      budget.limitBytes + 2 * (opts.maxBytes + 1024),
    );
  }

  /** Records in the open batch. */
  get open(): number {
    return this.#builder.count;
  }

  /** When a batch was last acknowledged (ms), for liveness. */
  get lastAcknowledgedMs(): number {
    return this.#lastAcknowledgedMs;
  }

  /** The hot path: one record → one encoded fragment in the open batch. */
  add(record: LogRecord, queue: AckQueue, end: number): void {
    let size: number;
    if (this.#text !== undefined) {
      // A framed protocol: the record's text goes straight into the batch's buffer.
      const text = this.#text(record);
      size = Buffer.byteLength(text);
      if (this.#builder.wouldOverflow(size)) this.flush();
      this.#builder.addText(text, size, queue, end);
    } else {
      const fragment = this.#encoding.encode(record);
      size = this.#encoding.size(fragment);
      if (this.#builder.wouldOverflow(size)) this.flush();
      this.#builder.add(fragment, size, queue, end);
    }
    this.#added(size);
  }

  /**
   * The plain path (no parser, no multiline): the line's record is written into the open
   * batch from its bytes, with no record object. False when the encoder cannot (another
   * protocol, or a line that is not valid UTF-8): then `add` the record.
   */
  addLine(line: PlainLine, queue: AckQueue, end: number): boolean {
    const lines = this.#lines;
    if (lines === undefined) return false;
    let size = this.#builder.addRendered(lines, line, queue, end);
    if (size === 0) {
      this.flush();
      size = this.#builder.addRendered(lines, line, queue, end);
    }
    if (size < 0) return false;
    this.#added(size);
    return true;
  }

  /** Can `addRun` take runs of lines? (A framed protocol whose encoder renders them.) */
  get takesRuns(): boolean {
    return this.#runs !== undefined;
  }

  /**
   * The plain path for a run of lines (tail/line-splitter.ts hands them so): their records
   * written into the open batch from their bytes, sealing batches as they fill; `run`
   * moves past the lines taken. True when all were; false when the line at `run.from`
   * must go the record way (`add`), then the rest of the run here again.
   */
  addRun(run: PlainRun, queue: AckQueue): boolean {
    const runs = this.#runs!;
    for (;;) {
      const before = this.#builder.bytes;
      const status = this.#builder.addRun(runs, run, queue);
      this.#budget.reserve(this.#builder.bytes - before);
      if (status === RUN_FULL) {
        this.flush();
        continue;
      }
      if (this.#builder.count > 0) this.#added(0);
      return status === RUN_DONE;
    }
  }

  #added(size: number): void {
    this.#budget.reserve(size);
    if (this.#builder.full) this.flush();
    else if (this.#timer === undefined && !this.#shutdown) {
      this.#timer = setTimeout(() => this.flush(), this.#lingerMs).unref();
    }
  }

  /** Seals the open batch, if any, and sends it. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#builder.seal();
    if (batch) this.#send(batch);
  }

  /**
   * A batch is settled (delivered or dead-lettered): its ack segments are acknowledged,
   * so each file's checkpoint may advance over its records; its bytes leave the budget
   * (waking a reader held at the limit) and its buffer is reused — unless `bufferFree` is
   * false: its bytes may still be in a socket's send queue (ship/shipper.ts says when).
   */
  acknowledge(batch: Batch<F>, bufferFree = true): void {
    for (const { queue, segment } of batch.acks) queue.ack(segment);
    if (bufferFree) this.#builder.recycle(batch);
    this.#budget.release(batch.bytes);
    this.#lastAcknowledgedMs = Date.now();
  }

  /** Stops the linger timer for good; what is in the open batch stays unsent and unacknowledged. */
  shutdown(): void {
    this.#shutdown = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
