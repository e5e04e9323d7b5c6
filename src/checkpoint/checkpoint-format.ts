// The checkpoint file's format: versioned JSON, parsed defensively. Pure.

export const CHECKPOINT_VERSION = 1;

/** What tailship remembers of one file identity between runs. */
export interface CheckpointEntry {
  /** The file's key (part of every record id); kept so ids survive restarts. */
  readonly key: string;
  readonly dev: number;
  readonly ino: number;
  /** Length of the fingerprinted head and a hash of it: resume only when both match. */
  readonly fpLen: number;
  readonly fpHash: string;
  /** Every byte below this offset is acknowledged by the collector. */
  readonly offset: number;
  /** Last path the file had (for people reading the file and /status). */
  readonly path: string;
  /** When the file was last open (ms since the epoch), for pruning. */
  readonly seenMs: number;
  /**
   * Bytes below this offset may be holes: their blocks were freed after the collector
   * acknowledged them (TAILSHIP_RECLAIM_ACKED; never above `offset`). Optional, so files
   * written before it existed, or with reclaim off, read as version 1 still.
   */
  readonly reclaimed?: number;
}

export function serializeCheckpoints(entries: readonly CheckpointEntry[], nowMs: number): string {
  return `${JSON.stringify({ version: CHECKPOINT_VERSION, writtenMs: nowMs, files: entries })}\n`;
}

const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Parses a checkpoint file; throws with a reason when it is not one we can trust. */
export function parseCheckpoints(text: string): CheckpointEntry[] {
  return parseCheckpointFile(text).files;
}

/**
 * The whole file: its entries and when it was written (ms since the epoch; 0 when not
 * recorded). The store rewrites the file only when what it knows changes, so that time
 * is when the writer last learned of a file: one that appeared since was never seen.
 */
export function parseCheckpointFile(text: string): { writtenMs: number; files: CheckpointEntry[] } {
  const doc = JSON.parse(text) as { version?: unknown; writtenMs?: unknown; files?: unknown };
  if (doc.version !== CHECKPOINT_VERSION) throw new Error(`unsupported checkpoint version ${String(doc.version)}`);
  if (!Array.isArray(doc.files)) throw new Error('checkpoint has no files array');
  const files = doc.files.map((f: Record<string, unknown>, i: number) => {
    const ok =
      typeof f['key'] === 'string' &&
      isNat(f['dev']) &&
      isNat(f['ino']) &&
      isNat(f['fpLen']) &&
      typeof f['fpHash'] === 'string' &&
      isNat(f['offset']) &&
      typeof f['path'] === 'string' &&
      isNat(f['seenMs']) &&
      (f['reclaimed'] === undefined || (isNat(f['reclaimed']) && f['reclaimed'] <= f['offset']));
    if (!ok) throw new Error(`checkpoint entry ${i} is malformed`);
    return f as unknown as CheckpointEntry;
  });
  return { writtenMs: isNat(doc.writtenMs) ? doc.writtenMs : 0, files };
}
