/** Receives each complete line. `line` is valid only during the call (it may view a reused buffer). */
export type LineHandler = (line: Buffer, start: number, end: number, truncated: boolean) => void;

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

  push(chunk: Buffer, onLine: LineHandler): void {
    const base = this.#next;
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      const nl = chunk.indexOf(NL, pos);
      if (nl === -1) {
        this.#hold(chunk, pos, len, base);
        break;
      }
      const end = base + nl + 1;
      if (this.#partialBytes === 0 && !this.#discarding) {
        // Fast path: the whole line lies in this chunk; hand out a view, no copy.
        let stop = nl;
        if (stop > pos && chunk[stop - 1] === CR) stop--;
        if (stop - pos > this.maxLineBytes) onLine(chunk.subarray(pos, pos + this.maxLineBytes), base + pos, end, true);
        else onLine(chunk.subarray(pos, stop), base + pos, end, false);
      } else {
        this.#hold(chunk, pos, nl, base);
        this.#emitHeld(end, onLine);
      }
      pos = nl + 1;
    }
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
