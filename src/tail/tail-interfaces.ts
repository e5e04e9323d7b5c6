// What the tail side is given (options) and what it hands on (lines to a LineSink) and
// reports (a TailObserver, per-file status). The pipeline wires these; nothing else of
// tail/ is visible outside it.
import type { AdmissionOptions, RefusalReason } from './file-admission.js';
import type { FileTailer } from './file-tailer.js';

export interface TailOptions {
  readonly host: string;
  readonly startAt: 'beginning' | 'end';
  /** No checkpoint file existed: the first run. Only then does `startAt: 'end'` apply. */
  readonly firstRun: boolean;
  /**
   * When the last run last recorded what it knew (the checkpoint's time); a rotated file
   * that appeared after it and is not known was never read. Default: now.
   */
  readonly knownSinceMs?: number;
  readonly maxLineBytes: number;
  readonly readChunkBytes: number;
  readonly pollIntervalMs: number;
  readonly pollOnly: boolean;
  readonly rotateWaitMs: number;
  /** Checkpoint entries of files not open for this long are forgotten. */
  readonly checkpointTtlMs: number;
  /**
   * How long a truncated generation whose copy is not there waits for it (a compressor
   * may still be writing it) before what it had unread is reported lost. Default 10 s.
   */
  readonly copyWaitMs?: number;
  /** TAILSHIP_MAX_OPEN_FILES: descriptors for tailed files (default 512), capped by `nofile`. */
  readonly maxOpenFiles?: number;
  /** TAILSHIP_CLOSE_INACTIVE: a file read to its end and quiet this long is parked (default 5 min). */
  readonly closeInactiveMs?: number;
  /** The `nofile` soft limit; default: read from /proc/self/limits (null: none). */
  readonly nofileSoftLimit?: number | null;
}

/** Receives every complete line, in file order per file. */
export interface LineSink {
  line(tailer: FileTailer, line: Buffer, start: number, end: number, truncated: boolean, readTimeMs: number): void;
  /**
   * Or the complete lines of a chunk at once, when the sink has this: bytes [from, to) of
   * `chunk`, whole lines, the first at file offset `offset` (LineSplitter's RunHandler).
   */
  lines?(tailer: FileTailer, chunk: Buffer, from: number, to: number, offset: number, maxLineBytes: number, readTimeMs: number): void;
  /** The file is closing: nothing more will come from it (a held multiline record may go). */
  end(tailer: FileTailer): void;
}

/** What the tail side reports; main turns these into logs and metrics. */
export interface TailObserver {
  fileOpened(path: string, offset: number, resumed: boolean): void;
  fileClosed(path: string, deleted: boolean): void;
  truncated(path: string, previousOffset: number): void;
  /** A file left every watched path (renamed away, replaced or deleted). */
  rotated(path: string): void;
  /** A rotated generation of `path` never seen there, found as `found`: read from 0. */
  generationFound?(path: string, found: string): void;
  /** The copy of `path`'s truncated generation, `copy`, is read from `offset`. */
  copyFound?(path: string, copy: string, offset: number): void;
  /** Bytes of `path` that can no longer be read, and why; `bytes` undefined when not known. */
  lost?(path: string, bytes: number | undefined, reason: string): void;
  openFailed(path: string, code: string): void;
  /** A file is not read, and never will be while `path` leads to it (file-admission.ts). */
  refused?(path: string, reason: RefusalReason): void;
  /** Out of descriptors (EMFILE/ENFILE) opening `path`: it waits for a slot and is opened later. */
  descriptorsExhausted?(path: string, code: string): void;
  /** The limit on open files applied (`requested` lowered to fit `nofile`, when known). */
  openFileLimit?(effective: number, requested: number, nofile: number | undefined): void;
  bytesRead(n: number): void;
  /** Discovery work failed unexpectedly (an I/O error); it is tried again next tick. */
  failed(error: unknown): void;
}

/** What the admission of opened files needs from the configuration (file-admission.ts). */
export type AdmissionConfig = Omit<AdmissionOptions, 'roots'>;

export interface FileStatus {
  /** As text (`nameText`): a byte of the name that is not UTF-8 shows as `\xNN`. */
  readonly path: string;
  readonly identity: string;
  readonly readOffset: number;
  readonly ackedOffset: number;
  readonly size: number;
  /** File size minus acknowledged offset. */
  readonly bytesBehind: number;
  /** `parked`: closed to free its descriptor, opened again when it grows. */
  readonly state: 'open' | 'parked' | 'rotated' | 'closed';
}
