import type { AckQueue, AckSegment } from '../ack/ack-queue.js';
import type { PlainLine, PlainRun } from '../record/log-record.js';
import type { ByteFrame } from './byte-frame.js';

/** A sealed batch: encoded records and, per file, the ack segment it completes. */
export interface Batch<F> {
  readonly seq: number;
  readonly count: number;
  /** Sum of the records' sizes: about the body size before compression. */
  readonly bytes: number;
  /** The records as the encoder made them (for a byte batch, views made on first use). */
  readonly fragments: readonly F[];
  /** The whole request body, uncompressed, when the records were laid out as bytes. */
  readonly body: Buffer | undefined;
  readonly acks: ReadonlyArray<{ readonly queue: AckQueue; readonly segment: AckSegment }>;
  /** The buffer `body` lives in, handed back with `recycle` once the batch is settled. */
  readonly arena?: Buffer | undefined;
}


/** Renders plain lines' records into a buffer, in place. */
export interface LineEncoding {
  /** At most how many bytes the record of `line` takes. */
  most(line: PlainLine): number;
  /**
   * Writes the record of `line` at `pos` of `target`, which has `most(line)` bytes of room;
   * returns the position after it, or -1 when the line must go the record way (invalid UTF-8).
   */
  render(line: PlainLine, target: Buffer, pos: number): number;
  /**
   * Renders the records of a run of lines for the open batch described by `target`, as
   * many as it takes (see RunResult), and moves `run` past them. The result and its views
   * are valid until the next call.
   */
  renderRun?(run: PlainRun, target: RunTarget): RunResult;
}

/** The open batch as the rendering of a run sees it (BatchBuilder.addRun). */
export interface RunTarget {
  readonly frame: ByteFrame;
  /** Records in the batch and their bytes (leads and frame not counted). */
  count: number;
  bytes: number;
  readonly maxEvents: number;
  readonly maxBytes: number;
  /** Bytes left in the arena for leads and records: only an empty batch takes more. */
  room: number;
  /** Where in the arena the staged bytes will go: the spans count from there. */
  spanBase: number;
}

/** Every line of the run was taken. */
export const RUN_DONE = 0;
/** The batch is full: seal it, then go on with the run. */
export const RUN_FULL = 1;
/** Copy the staged records out, then call again. */
export const RUN_AGAIN = 2;
/** The line at `run.from` must go the record way (not valid UTF-8). */
export const RUN_REFUSED = 3;

export interface RunResult {
  status: typeof RUN_DONE | typeof RUN_FULL | typeof RUN_AGAIN | typeof RUN_REFUSED;
  /** The records rendered, each after its lead, to be copied to the arena at `spanBase`. */
  staged: Uint8Array;
  /** [start, end) of each record in the arena, flattened. */
  spans: Int32Array;
  records: number;
  /** Their bytes (leads not counted). */
  bytes: number;
  /** The file offset past the last line taken. */
  end: number;
}

/**
 * Collects records until a limit is reached. Pure: the linger timer lives in the shell.
 * Per file only the highest end offset is kept, since a batch carries a contiguous run
 * of each file's lines.
 *
 * With a `frame` (the encoder's records are bytes joined into the body), each record is
 * copied into one growing buffer laid out as the request body: a batch of thousands of
 * records is then one allocation off the V8 heap instead of thousands of small Buffer
 * objects on it — the difference between a memory budget that bounds RSS and one that
 * does not. Arenas of settled batches are reused, up to `maxPooledBytes` of them (the
 * memory budget: no more can be in use at once): a freed Buffer's memory returns only
 * when V8 next collects, which it delays until external memory has grown by tens of MiB,
 * so a fresh arena per batch let RSS run a budget's worth past the budget when a backlog
 * drained (measured: 252 MiB peak with a 64 MiB budget, 2 GiB backlog).
 */
export class BatchBuilder<F> {
  readonly maxBytes: number;
  readonly maxEvents: number;
  readonly #frame: ByteFrame | undefined;
  #fragments: F[] = [];
  #count = 0;
  #bytes = 0;
  #ends = new Map<AckQueue, number>();
  #seq = 0;
  #arena: Buffer | undefined;
  #pos = 0;
  /** [start, end) of each record in the arena, flattened (the first 2 × count). */
  #spans = new Int32Array(256);
  readonly #pool: Buffer[] = [];
  readonly #target: RunTarget;

  readonly #maxPooled: number;

  constructor(maxBytes: number, maxEvents: number, frame?: ByteFrame, maxPooledBytes = 8 * maxBytes) {
    this.maxBytes = maxBytes;
    this.maxEvents = maxEvents;
    this.#frame = frame;
    this.#maxPooled = Math.floor(maxPooledBytes / this.#standardSize);
    this.#target = { frame: frame!, count: 0, bytes: 0, maxEvents, maxBytes, room: 0, spanBase: 0 };
  }

  get count(): number {
    return this.#count;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Would adding `size` bytes overflow the open batch? (An empty batch takes anything.) */
  wouldOverflow(size: number): boolean {
    return this.#count > 0 && this.#bytes + size > this.maxBytes;
  }

  get full(): boolean {
    return this.#count >= this.maxEvents || this.#bytes >= this.maxBytes;
  }

  add(fragment: F, size: number, queue: AckQueue, end: number): void {
    if (this.#frame) this.#copy(fragment as unknown as Buffer, this.#frame);
    else this.#fragments.push(fragment);
    this.#count++;
    this.#bytes += size;
    this.#ends.set(queue, end);
  }

  /**
   * Adds a record given as text, `size` bytes of UTF-8 (framed builders only): written
   * straight into the arena, with no Buffer made for it.
   */
  addText(text: string, size: number, queue: AckQueue, end: number): void {
    const frame = this.#frame!;
    this.#lead(frame, size);
    this.#pos += this.#arena!.write(text, this.#pos, size, 'utf8');
    this.#count++;
    this.#bytes += size;
    this.#ends.set(queue, end);
  }

  /**
   * Adds a plain line's record rendered in place by `lines` (framed builders only).
   * Returns its size; -1 when `lines` refused the line (nothing added); 0 when it would
   * overflow the open batch (nothing added: seal, then add it to the next).
   */
  addRendered(lines: LineEncoding, line: PlainLine, queue: AckQueue, end: number): number {
    const frame = this.#frame!;
    const lead = this.#count === 0 ? frame.head : frame.separator;
    const room = lead.length + lines.most(line) + frame.tail.length;
    // Near the end of the arena a batch is full anyway: no growing it for a worst case.
    if (this.#count > 0 && (!this.#arena || this.#pos + room > this.#arena.length)) return 0;
    this.#reserve(room);
    const arena = this.#arena!;
    arena.set(lead, this.#pos);
    const start = this.#pos + lead.length;
    const stop = lines.render(line, arena, start);
    if (stop < 0) return -1;
    const size = stop - start;
    if (this.#count > 0 && this.#bytes + size > this.maxBytes) return 0;
    this.#pos = stop;
    this.#span(start, stop);
    this.#count++;
    this.#bytes += size;
    this.#ends.set(queue, end);
    return size;
  }

  /**
   * Adds the records of a run of plain lines rendered by `lines` (framed builders only),
   * as many as the batch takes; `run` moves past them. Returns RUN_DONE (all taken),
   * RUN_FULL (seal, then add the rest) or RUN_REFUSED (the line at `run.from` must go
   * the record way).
   */
  addRun(lines: Required<LineEncoding>, run: PlainRun, queue: AckQueue): RunResult['status'] {
    const frame = this.#frame!;
    const target = this.#target;
    for (;;) {
      if (!this.#arena) this.#reserve(0);
      target.count = this.#count;
      target.bytes = this.#bytes;
      target.room = this.#arena!.length - this.#pos - frame.tail.length;
      target.spanBase = this.#pos;
      const r = lines.renderRun(run, target);
      if (r.records > 0) {
        this.#reserve(r.staged.length + frame.tail.length);
        this.#arena!.set(r.staged, this.#pos);
        this.#pos += r.staged.length;
        const at = 2 * this.#count;
        if (at + r.spans.length > this.#spans.length) this.#growSpans(at + r.spans.length);
        this.#spans.set(r.spans, at);
        this.#count += r.records;
        this.#bytes += r.bytes;
        this.#ends.set(queue, r.end);
      }
      if (r.status !== RUN_AGAIN) return r.status;
    }
  }

  #span(start: number, end: number): void {
    const at = 2 * this.#count;
    if (at + 2 > this.#spans.length) this.#growSpans(at + 2);
    this.#spans[at] = start;
    this.#spans[at + 1] = end;
  }

  #growSpans(need: number): void {
    const grown = new Int32Array(Math.max(need, 2 * this.#spans.length));
    grown.set(this.#spans.subarray(0, 2 * this.#count));
    this.#spans = grown;
  }

  #copy(record: Buffer, frame: ByteFrame): void {
    this.#lead(frame, record.length);
    this.#pos += record.copy(this.#arena!, this.#pos);
  }

  /** Makes room for a record of `size` bytes, writes what goes before it and notes its span. */
  #lead(frame: ByteFrame, size: number): void {
    const lead = this.#count === 0 ? frame.head : frame.separator;
    this.#reserve(lead.length + size + frame.tail.length);
    this.#pos += lead.copy(this.#arena!, this.#pos);
    this.#span(this.#pos, this.#pos + size);
  }

  /** Makes room for `n` more bytes, doubling the arena when it is too small. */
  #reserve(n: number): void {
    const need = this.#pos + n;
    if (this.#arena && need <= this.#arena.length) return;
    const standard = this.#standardSize;
    const size = Math.max(need, this.#arena ? this.#arena.length * 2 : standard);
    const grown = size === standard && this.#pool.length > 0 ? this.#pool.pop()! : Buffer.allocUnsafeSlow(size);
    if (this.#arena) this.#arena.copy(grown, 0, 0, this.#pos);
    this.#arena = grown;
  }

  get #standardSize(): number {
    return this.maxBytes + 1024;
  }

  /** Takes back a settled batch's arena for the next batches. Its body must no longer be used. */
  recycle(batch: Batch<F>): void {
    const arena = batch.arena;
    if (arena && arena.length === this.#standardSize && this.#pool.length < this.#maxPooled) this.#pool.push(arena);
  }

  /** Closes the open batch, registering its ack segments in read order. */
  seal(): Batch<F> | undefined {
    if (this.#count === 0) return undefined;
    const acks = [...this.#ends].map(([queue, end]) => ({ queue, segment: queue.add(end) }));
    const seq = ++this.#seq;
    const { count } = this;
    const bytes = this.#bytes;
    let batch: Batch<F>;
    if (this.#frame) {
      this.#pos += this.#frame.tail.copy(this.#arena!, this.#pos);
      // A batch sealed by the linger is often far smaller than the arena: keep only its bytes.
      const arena = this.#arena!;
      const used = arena.subarray(0, this.#pos);
      const small = this.#pos * 4 < arena.length;
      const body = small ? Buffer.from(used) : used;
      if (small) this.recycle({ arena } as Batch<F>);
      batch = byteBatch<F>(seq, count, bytes, body, this.#spans.slice(0, 2 * count), acks, small ? undefined : arena);
      this.#arena = undefined;
      this.#pos = 0;
    } else {
      batch = { seq, count, bytes, fragments: this.#fragments, body: undefined, acks };
      this.#fragments = [];
    }
    this.#count = 0;
    this.#bytes = 0;
    this.#ends = new Map();
    return batch;
  }
}

function byteBatch<F>(
  seq: number,
  count: number,
  bytes: number,
  body: Buffer,
  spans: Int32Array,
  acks: Batch<F>['acks'],
  arena: Buffer | undefined,
): Batch<F> {
  return {
    seq,
    count,
    bytes,
    body,
    acks,
    arena,
    // Views are made only when needed (reading a per-record response, a split, a dead
    // letter) and not kept: a batch waiting in the queue holds no object per record.
    get fragments(): readonly F[] {
      const out = new Array<Buffer>(count);
      for (let i = 0; i < count; i++) out[i] = body.subarray(spans[2 * i]!, spans[2 * i + 1]!);
      return out as unknown as readonly F[];
    },
  };
}
