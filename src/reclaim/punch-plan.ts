// Which bytes of a log file may be freed, and when the volume is near its limit. Pure.
import { FINGERPRINT_BYTES } from '../tail/fingerprint.js';

/** A byte range of a file, `offset` and `length` multiples of the file system's block. */
export interface PunchRange {
  readonly offset: number;
  readonly length: number;
}

/** Above this share of TAILSHIP_VOLUME_LIMIT the watched files are "near the limit". */
export const NEAR_LIMIT_SHARE = 0.8;

/**
 * The bytes of a file whose blocks may be freed now, or undefined when no whole block is
 * due. Only whole blocks of `blockBytes` (st_blksize) are freed, from `reclaimed` (freed
 * before) up to `acknowledged` rounded down: every byte below that offset is acknowledged
 * and recorded so in a checkpoint on disk (docs/architecture.md, "Reclaim"). The blocks
 * holding the fingerprinted head are never freed, so a file is recognised after a restart
 * exactly as before (tail/fingerprint.ts).
 */
export function punchRange(reclaimed: number, acknowledged: number, blockBytes: number): PunchRange | undefined {
  if (!(blockBytes > 0)) return undefined;
  const keep = Math.ceil(FINGERPRINT_BYTES / blockBytes) * blockBytes;
  const offset = Math.max(keep, Math.ceil(reclaimed / blockBytes) * blockBytes);
  const end = Math.floor(acknowledged / blockBytes) * blockBytes;
  return end > offset ? { offset, length: end - offset } : undefined;
}

/** Whether the watched files use more than NEAR_LIMIT_SHARE of the volume's limit (none set: never). */
export function nearVolumeLimit(usedBytes: number, limitBytes: number | undefined): boolean {
  return limitBytes !== undefined && usedBytes > limitBytes * NEAR_LIMIT_SHARE;
}
