import type { LineSource, RecordAssembler } from './record-assembler.js';

/** The clock and timer the assembler uses; tests pass their own. */
export interface AssemblerTimers {
  now(): number;
  set(fn: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

const REAL_TIMERS: AssemblerTimers = {
  now: () => Date.now(),
  set: (fn, delayMs) => setTimeout(fn, delayMs).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * The record stage: the pure RecordAssembler with the one timer it needs, armed only
 * while a multiline record is held, that emits records whose timeout passed
 * (TAILSHIP_MULTILINE_TIMEOUT). Every line passes straight through to the assembler.
 * It is the tail side's LineSink.
 */
export class TimedAssembler {
  readonly #core: RecordAssembler;
  readonly #timers: AssemblerTimers;
  #timer: unknown;
  #closed = false;

  constructor(core: RecordAssembler, timers: AssemblerTimers = REAL_TIMERS) {
    this.#core = core;
    this.#timers = timers;
  }

  line(src: LineSource, line: Buffer, start: number, end: number, truncated: boolean, nowMs: number): void {
    this.#core.line(src, line, start, end, truncated, nowMs);
    if (this.#timer === undefined && this.#core.holding) this.#arm();
  }

  /** The complete lines of a chunk, bytes [from, to) of `chunk` (tail/line-splitter.ts's RunHandler). */
  lines(src: LineSource, chunk: Buffer, from: number, to: number, offset: number, maxLineBytes: number, nowMs: number): void {
    this.#core.lines(src, chunk, from, to, offset, maxLineBytes, nowMs);
    if (this.#timer === undefined && this.#core.holding) this.#arm();
  }

  /** Emits what is held for a file that is closing, so its last record is not left behind. */
  end(src: LineSource): void {
    this.#core.end(src);
    if (!this.#core.holding) this.#disarm();
  }

  /** Emits everything held (drain, when the files are caught up). */
  flush(): void {
    this.#core.flush();
    this.#disarm();
  }

  /** Stops the timer; held records stay unsent, and their lines unacknowledged. */
  close(): void {
    this.#closed = true;
    this.#disarm();
  }

  #arm(): void {
    if (this.#closed) return;
    const next = this.#core.nextExpiryMs;
    if (next === undefined) return;
    this.#timer = this.#timers.set(() => this.#fire(), Math.max(1, next - this.#timers.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#core.expire(this.#timers.now());
    if (this.#core.holding) this.#arm();
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
  }
}
