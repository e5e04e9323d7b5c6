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
    const text = entries
      .map((e) => `${JSON.stringify({ time, status: e.status ?? null, reason: e.reason, request: e.request })}\n`)
      .join('');
    const run = this.#chain.then(() => this.#append(text, entries.length));
    this.#chain = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  async #append(text: string, lines: number): Promise<number> {
    if (this.#size < 0) {
      try {
        this.#size = (await stat(this.path)).size;
      } catch {
        this.#size = 0;
      }
    }
    let dropped = 0;
    const bytes = Buffer.byteLength(text);
    if (this.#size > 0 && this.#size + bytes > this.#maxBytes / 2) {
      await rename(this.path, `${this.path}.1`);
      dropped = this.#previousLines;
      this.#previousLines = this.#lines;
      this.#lines = 0;
      this.#size = 0;
    }
    await appendFile(this.path, text);
    this.#size += bytes;
    this.#lines += lines;
    return dropped;
  }
}
