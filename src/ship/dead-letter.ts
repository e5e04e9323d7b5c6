import { createReadStream } from 'node:fs';
import { appendFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const DEAD_LETTER_FILE = 'dead-letter.ndjson';

/**
 * Records the collector refused for good, one JSON line each, with the reason, the
 * status and the time. Bounded: the file is rolled over to `.1` at half the cap, so the
 * pair never holds more than the cap; what falls off is counted (`dropped`).
 */
export class DeadLetterFile {
  readonly path: string;
  readonly #maxBytes: number;
  #size = -1;
  #lines = 0;
  #previousLines = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(dir: string, maxBytes: number) {
    this.path = join(dir, DEAD_LETTER_FILE);
    this.#maxBytes = maxBytes;
  }

  /**
   * Appends entries; resolves with how many older entries were dropped to stay in bounds.
   * Calls are serialised so concurrent batches never interleave lines.
   */
  write(entries: ReadonlyArray<{ reason: string; status?: number | undefined; request: string }>, nowMs: number): Promise<number> {
    const time = new Date(nowMs).toISOString();
    const half = Math.floor(this.#maxBytes / 2);
    const lines = entries.map((e) => fitLine(time, e.status ?? null, e.reason, e.request, half));
    const run = this.#chain.then(() => this.#append(lines));
    this.#chain = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /**
   * Invariant: each of the two files holds at most half the cap, so the pair never holds
   * more than the cap. The roll-over is decided per line, not per write: one rejected
   * batch can be many times the cap (10,000 records, each with the response's first KiB
   * as its reason), and deciding per write let a single call overshoot without bound.
   */
  async #append(lines: readonly string[]): Promise<number> {
    if (this.#size < 0) await this.#load();
    const half = this.#maxBytes / 2;
    let dropped = 0;
    let text = '';
    let textBytes = 0;
    let textLines = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (this.#size + textBytes > 0 && this.#size + textBytes + bytes > half) {
        if (textBytes > 0) await appendFile(this.path, text);
        await rename(this.path, `${this.path}.1`);
        dropped += this.#previousLines;
        this.#previousLines = this.#lines + textLines;
        this.#lines = 0;
        this.#size = 0;
        text = '';
        textBytes = 0;
        textLines = 0;
      }
      text += line;
      textBytes += bytes;
      textLines++;
    }
    if (textBytes > 0) await appendFile(this.path, text);
    this.#size += textBytes;
    this.#lines += textLines;
    return dropped;
  }

  /**
   * First use in this process: what the files already hold, so that entries left by an
   * earlier run are counted when a roll-over drops them (not reported as 0 dropped).
   */
  async #load(): Promise<void> {
    this.#size = 0;
    try {
      this.#size = (await stat(this.path)).size;
      this.#lines = await countLines(this.path);
    } catch {
      this.#size = 0;
      this.#lines = 0;
    }
    this.#previousLines = await countLines(`${this.path}.1`).catch(() => 0);
  }
}

/** Newlines in a file, read in chunks (the files are at most half the cap each). */
async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n;
}

/**
 * One dead-letter line, cut to fit in `limit` bytes: a single entry larger than half the
 * cap would otherwise break the bound. The reason is kept to its first KiB and the
 * request is shortened, with `truncated` and the original size, so the line still says
 * what was refused and why.
 */
function fitLine(time: string, status: number | null, reason: string, request: string, limit: number): string {
  const line = `${JSON.stringify({ time, status, reason, request })}\n`;
  if (Buffer.byteLength(line) <= limit) return line;
  const requestBytes = Buffer.byteLength(request);
  const shortReason = reason.slice(0, 1024);
  let keep = request.length;
  for (;;) {
    keep = Math.floor(keep / 2);
    const cut = `${JSON.stringify({ time, status, reason: shortReason, request: request.slice(0, keep), truncated: true, requestBytes })}\n`;
    // At the smallest cap (1 KiB) the fixed fields alone may not fit: written as is then.
    if (Buffer.byteLength(cut) <= limit || keep === 0) return cut;
  }
}
