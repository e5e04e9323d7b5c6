import type { MemoryBudget } from '../ack/memory-budget.js';
import { errorCode } from './file-system.js';
import type { FileTailer } from './file-tailer.js';

/** What the read loop reports. */
export interface ReadHandlers {
  /** A complete line of `tailer`; `line` is valid only during the call. */
  line(tailer: FileTailer, line: Buffer, start: number, end: number, truncated: boolean, readTimeMs: number): void;
  /** Or, when given, the complete lines of a chunk at once (LineSplitter's RunHandler). */
  lines?(tailer: FileTailer, chunk: Buffer, from: number, to: number, offset: number, maxLineBytes: number, readTimeMs: number): void;
  bytesRead(n: number): void;
  readFailed(tailer: FileTailer, code: string): void;
  /** A read found the file truncated (its bytes were dropped): handle the truncation. */
  truncated(tailer: FileTailer): void;
  /** Read to its end and ready to close (rotated and quiet, or a copy done): close it. */
  closable(tailer: FileTailer): void;
  /** A read of `tailer` is done (data or its end): it may give its descriptor slot up now. */
  turnEnded?(tailer: FileTailer): void;
}

/**
 * The read loop: one shared buffer, one read at a time, so lines are handed on (and
 * encoded) before the buffer is reused. It stops when the memory budget is spent and
 * goes on when acknowledgements free room: the files are the buffer.
 *
 * Order: files that left their watched path (rotated generations, copies of truncated
 * ones) before the files at watched paths, oldest first, so a backlog is shipped in the
 * order it was written and rotated files are closed (and their space freed) soonest. A
 * file that filled the buffer goes to the back of its queue, so one busy file cannot
 * starve the others.
 */
export class ReadScheduler {
  readonly #buf: Buffer;
  readonly #budget: MemoryBudget;
  readonly #rotateWaitMs: number;
  readonly #on: ReadHandlers;
  readonly #rotated: FileTailer[] = [];
  readonly #watched: FileTailer[] = [];
  readonly #queued = new Set<FileTailer>();
  #pumping = false;
  #paused = false;
  #closed = false;
  #lastReadMs = 0;

  /** Resolves when reading may go on (undefined: now); see the constructor. */
  readonly #gate: () => Promise<void> | undefined;

  /**
   * `gate` is asked before every read. Discovery work (a rotation noticed, a directory to
   * look at, a truncation) goes first: each of its steps waits for the event loop, and
   * with a chunk of lines encoded between two steps it took seconds under a CPU limit —
   * long enough for a rotator keeping five generations at 200 ms to delete one unseen.
   * What discovery secures (an open descriptor) keeps the data; reading can wait.
   */
  constructor(
    readChunkBytes: number,
    rotateWaitMs: number,
    budget: MemoryBudget,
    handlers: ReadHandlers,
    gate: () => Promise<void> | undefined = () => undefined,
  ) {
    this.#buf = Buffer.allocUnsafe(readChunkBytes);
    this.#rotateWaitMs = rotateWaitMs;
    this.#budget = budget;
    this.#on = handlers;
    this.#gate = gate;
  }

  /** When a read last returned data (ms). */
  get lastReadMs(): number {
    return this.#lastReadMs;
  }

  /** Nothing queued and no read in flight. */
  get idle(): boolean {
    return this.#queued.size === 0 && !this.#pumping;
  }

  /** Whether `t` waits in the queue. */
  queued(t: FileTailer): boolean {
    return this.#queued.has(t);
  }

  /** Queues a file that has bytes to read or may be ready to close, and starts reading. */
  ready(t: FileTailer): void {
    if (!this.#enqueue(t)) return;
    void this.#pump();
  }

  /** Stops reading for good (shutdown); tailers keep their state. */
  pause(): void {
    this.#paused = true;
  }

  /** Stops reading and waits for a read in flight to finish. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#pumping) await new Promise((r) => setImmediate(r));
  }

  #enqueue(t: FileTailer): boolean {
    if (this.#queued.has(t) || !t.readable) return false;
    this.#queued.add(t);
    (t.detached ? this.#rotated : this.#watched).push(t);
    return true;
  }

  #next(): FileTailer | undefined {
    const t = this.#rotated.shift() ?? this.#watched.shift();
    if (t !== undefined) this.#queued.delete(t);
    return t;
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#closed && !this.#paused) {
        if (this.#budget.exhausted) {
          this.#budget.onRoom(() => void this.#pump());
          return;
        }
        const wait = this.#gate();
        if (wait !== undefined) {
          await wait;
          continue;
        }
        const t = this.#next();
        if (t === undefined) return;
        if (!t.readable) continue;
        const now = Date.now();
        let n: number;
        try {
          const on = this.#on;
          n = await t.read(
            this.#buf,
            (line, start, end, truncated) => on.line(t, line, start, end, truncated, now),
            now,
            on.lines && ((chunk, from, to, offset, max) => on.lines!(t, chunk, from, to, offset, max, now)),
          );
        } catch (error) {
          this.#on.readFailed(t, errorCode(error));
          continue;
        }
        if (n === 0) {
          if (t.truncating) this.#on.truncated(t);
          else if (t.readable && t.readyToClose(now, this.#rotateWaitMs)) {
            t.beginClose();
            this.#on.closable(t);
          } else this.#on.turnEnded?.(t);
          continue;
        }
        this.#lastReadMs = now;
        this.#on.bytesRead(n);
        if (n === this.#buf.length || t.unreadBytes > 0) this.#enqueue(t);
        this.#on.turnEnded?.(t);
      }
    } finally {
      this.#pumping = false;
    }
  }
}
