import { eachLine, type LineHandler } from '../record/line-run.js';

export type { LineHandler };

/**
 * Receives complete lines a run at a time: bytes [from, to) of `chunk`, each line ending
 * with `\n`, the first at file offset `offset`; each line is what `eachLine` makes of it.
 * `chunk` is valid only during the call.
 */
export type RunHandler = (chunk: Buffer, from: number, to: number, offset: number, maxLineBytes: number) => void;

const NL = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines without decoding it.
 *
 * Invariants: `next` is the file offset of the next byte expected by `push`. Bytes of a
 * line whose newline has not arrived are held in `partial` (a copy, since chunks are
 * reused), never more than `maxLineBytes` of them; past that the line is marked
 * truncated and the rest of it is dropped up to its newline. A line's `end` is the
 * offset just past its `\n`, so a checkpoint at `end` never splits a line.
 */
export class LineSplitter {
  readonly maxLineBytes: number;
  #partial: Buffer[] = [];
  #partialBytes = 0;
  #partialStart = 0;
  #discarding = false;
  #next: number;

  constructor(maxLineBytes: number, startOffset = 0) {
    this.maxLineBytes = maxLineBytes;
    this.#next = startOffset;
    this.#partialStart = startOffset;
  }

  /** Offset of the next byte `push` expects. */
  get next(): number {
    return this.#next;
  }

  /** Offset where the held partial line starts (= `next` when none is held). */
  get pendingStart(): number {
    return this.#partialBytes > 0 || this.#discarding ? this.#partialStart : this.#next;
  }

  /** Bytes of an incomplete line held in memory. */
  get pendingBytes(): number {
    return this.#partialBytes;
  }

  /** Forgets any partial line and restarts at `offset` (after a truncation). */
  reset(offset: number): void {
    this.#partial = [];
    this.#partialBytes = 0;
    this.#discarding = false;
    this.#next = offset;
    this.#partialStart = offset;
  }

  /**
   * Emits a held incomplete line as if its newline had come (its `end` is `next`).
   * Only for a file that will not grow again (rotated away and quiet).
   */
  flush(onLine: LineHandler): void {
    if (this.#partialBytes > 0 || this.#discarding) this.#emitHeld(this.#next, onLine);
  }

  /**
   * Takes the next bytes of the file. A line begun in an earlier chunk goes to `onLine`
   * once complete; the lines wholly inside `chunk` go to `onRun` as one run, with no copy
   * (or, without it, to `onLine` one by one, as views); an incomplete last line is held.
   */
  push(chunk: Buffer, onLine: LineHandler, onRun?: RunHandler): void {
    const base = this.#next;
    let pos = 0;
    const len = chunk.length;
    if (this.#partialBytes > 0 || this.#discarding) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) {
        this.#hold(chunk, 0, len, base);
        this.#next = base + len;
        return;
      }
      this.#hold(chunk, 0, nl, base);
      this.#emitHeld(base + nl + 1, onLine);
      pos = nl + 1;
    }
    const last = pos < len ? chunk.lastIndexOf(NL) : -1;
    if (last >= pos) {
      if (onRun !== undefined) onRun(chunk, pos, last + 1, base + pos, this.maxLineBytes);
      else eachLine(chunk, pos, last + 1, base + pos, this.maxLineBytes, onLine);
      pos = last + 1;
    }
    if (pos < len) this.#hold(chunk, pos, len, base);
    this.#next = base + len;
  }

  /** Keeps bytes [from, to) of `chunk` as part of the current partial line, up to the cap. */
  #hold(chunk: Buffer, from: number, to: number, base: number): void {
    if (this.#partialBytes === 0 && !this.#discarding) this.#partialStart = base + from;
    if (this.#discarding) return;
    const room = this.maxLineBytes + 1 - this.#partialBytes; // +1 keeps a possible '\r'
    const take = Math.min(room, to - from);
    if (take > 0) {
      this.#partial.push(Buffer.from(chunk.subarray(from, from + take)));
      this.#partialBytes += take;
    }
    if (to - from > take) this.#discarding = true;
  }

  #emitHeld(end: number, onLine: LineHandler): void {
    let line = this.#partial.length === 1 ? this.#partial[0]! : Buffer.concat(this.#partial, this.#partialBytes);
    let truncated = this.#discarding;
    if (line.length > 0 && line[line.length - 1] === CR && !truncated) line = line.subarray(0, line.length - 1);
    if (line.length > this.maxLineBytes) {
      line = line.subarray(0, this.maxLineBytes);
      truncated = true;
    }
    const start = this.#partialStart;
    this.#partial = [];
    this.#partialBytes = 0;
    this.#discarding = false;
    onLine(line, start, end, truncated);
  }
}
