import type { CheckpointEntry } from './checkpoint-format.js';
import type { CheckpointStore } from './checkpoint-store.js';

/** What the writer reports; the owner turns it into a log line. */
export interface CheckpointObserver {
  /** A write failed (disk full, state dir gone); the next interval tries again. */
  writeFailed(error: unknown): void;
}

/**
 * Told what the checkpoint file holds after each successful write (or an unchanged one,
 * skipped): offsets that a crash can no longer take back. Runs inside the serialised
 * write, so it never sees an older file than the one on disk. Must not reject.
 */
export type CheckpointsWritten = (entries: readonly CheckpointEntry[]) => Promise<void>;

/**
 * Writes the checkpoints every `intervalMs` (an unref'd timer) and on demand. Writes are
 * serialised, so two never race on the temp file; a failed write is logged and tried
 * again at the next interval. The entries are read at write time: acknowledged offsets
 * only (docs/architecture.md, "Checkpoints").
 */
export class CheckpointWriter {
  readonly #store: CheckpointStore;
  readonly #entries: (nowMs: number) => readonly CheckpointEntry[];
  readonly #intervalMs: number;
  readonly #observer: CheckpointObserver;
  readonly #written: CheckpointsWritten | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    store: CheckpointStore,
    entries: (nowMs: number) => readonly CheckpointEntry[],
    intervalMs: number,
    observer: CheckpointObserver,
    written?: CheckpointsWritten,
  ) {
    this.#store = store;
    this.#entries = entries;
    this.#intervalMs = intervalMs;
    this.#observer = observer;
    this.#written = written;
  }

  start(): void {
    this.#timer = setInterval(() => void this.write(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Writes now, after any write under way. Never rejects. */
  write(): Promise<void> {
    const run = this.#writing.then(async () => {
      const now = Date.now();
      const entries = this.#entries(now);
      try {
        await this.#store.write(entries, now);
      } catch (error) {
        this.#observer.writeFailed(error);
        return;
      }
      await this.#written?.(entries);
    });
    this.#writing = run;
    return run;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
