import { constants, fstat, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { CheckpointEntry } from '../checkpoint/checkpoint-format.js';
import { fsPath } from '../tail/file-system.js';
import { fingerprintMatches } from '../tail/fingerprint.js';
import { punchHole } from './hole-punch.js';
import { nearVolumeLimit, punchRange } from './punch-plan.js';

export interface ReclaimOptions {
  /** TAILSHIP_RECLAIM_ACKED: free the blocks of acknowledged bytes. */
  readonly enabled: boolean;
  /** TAILSHIP_VOLUME_LIMIT, in bytes; undefined: no limit to warn about. */
  readonly volumeLimitBytes: number | undefined;
}

/** What the reclaimer reports; health/telemetry.ts turns it into metrics and logs. */
export interface ReclaimObserver {
  /** The blocks of `bytes` acknowledged bytes of `path` were freed. */
  reclaimed(path: string, bytes: number): void;
  /**
   * Freeing was refused with `code`: for the whole file system (`fileSystem`: EOPNOTSUPP,
   * or ENOSYS where no fallocate can be called; reported once per file system, never
   * tried there again) or for one file (EACCES, EROFS…: reported once per file and code,
   * tried again when its checkpoint moves or 30 s on). Shipping goes on.
   */
  refused(path: string, code: string, fileSystem: boolean): void;
  /** The watched files crossed NEAR_LIMIT_SHARE of the volume limit, upwards or back down. */
  volumeLimit(near: boolean, usedBytes: number, limitBytes: number): void;
}

/** The log volume's space as /status and the gauges show it. */
export interface DiskStatus {
  readonly reclaim: boolean;
  /** Summed st_blocks × 512 of the watched files found at the last look. */
  readonly filesDiskBytes: number;
  readonly reclaimedBytes: number;
  readonly volumeLimitBytes: number | undefined;
  readonly nearLimit: boolean;
}

/** The descriptor the tail reads a file identity with, if that identity is open with that key. */
export type DescriptorOf = (identity: string, key: string) => number | undefined;
/** The largest size the tail has seen a file identity at, if it tails it. */
export type KnownSizeOf = (identity: string) => number | undefined;

const fstatAsync = promisify(fstat);
/**
 * A file whose checkpoint did not move is measured again after this long, unless the tail
 * saw it at the size it was measured at (an appended file's blocks follow its size): with
 * 10,000 quiet files, a stat of each at every checkpoint interval was most of the idle
 * CPU. A file whose checkpoint moved is looked at after every write (it may have bytes to
 * free).
 */
const REMEASURE_MS = 30_000;

/** Nothing in the entry that reclaiming depends on changed. */
const sameCheckpoint = (a: CheckpointEntry, b: CheckpointEntry): boolean =>
  a === b || (a.key === b.key && a.offset === b.offset && a.fpHash === b.fpHash && a.path === b.path);

interface Measure {
  readonly entry: CheckpointEntry;
  readonly atMs: number;
  readonly diskBytes: number;
  readonly size: number;
}

/** The same entry objects, in the same order. */
function sameEntries(a: readonly CheckpointEntry[], b: readonly CheckpointEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const NOT_THROUGH_LINKS = constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

const entryKey = (e: Pick<CheckpointEntry, 'dev' | 'ino' | 'key'>) => `${e.dev}:${e.ino}:${e.key}`;

/**
 * The log volume's disk space: after each checkpoint write, measures the watched files'
 * blocks (and warns near TAILSHIP_VOLUME_LIMIT) and, with reclaim on, frees the blocks of
 * the bytes that checkpoint records as acknowledged (docs/architecture.md, "Reclaim").
 *
 * Invariant: a byte is freed only when a checkpoint on disk says it was acknowledged, for
 * the same file identity and key (a truncated file has a new key: its new bytes are never
 * freed for the old content's acknowledgements). So after a crash reading resumes at or
 * past every hole and never ships one. Before each punch the file is opened again for
 * writing — through /proc/self/fd/<the tail's descriptor> when the tail has it open (the
 * same inode even if renamed), else by its path — and must still be that identity, hold
 * the checkpoint's fingerprint and reach the range's end.
 */
export class Reclaimer {
  readonly #opts: ReclaimOptions;
  readonly #descriptorOf: DescriptorOf;
  readonly #sizeOf: KnownSizeOf;
  readonly #observer: ReclaimObserver;
  /** Per identity and key: the offset below which blocks were freed. */
  #reclaimed = new Map<string, number>();
  /** File systems (st_dev) that refused to punch holes. */
  readonly #unsupported = new Set<number>();
  /** Per identity: the code a file refused with, reported once. */
  readonly #refusedFiles = new Map<string, string>();
  /** Per identity: the entry last measured, when, the blocks the file used then and its size. */
  #measured = new Map<string, Measure>();
  /** The annotated form of each entry handed out last (entries are dropped with their files). */
  readonly #annotated = new WeakMap<CheckpointEntry, CheckpointEntry>();
  /** The entries of the last pass, and when a file in them is next due to be measured again. */
  #lastEntries: readonly CheckpointEntry[] = [];
  #nextDueMs = 0;
  #filesDiskBytes = 0;
  #reclaimedBytes = 0;
  #nearLimit = false;

  constructor(opts: ReclaimOptions, descriptorOf: DescriptorOf, observer: ReclaimObserver, sizeOf: KnownSizeOf = () => undefined) {
    this.#opts = opts;
    this.#descriptorOf = descriptorOf;
    this.#sizeOf = sizeOf;
    this.#observer = observer;
  }

  /** Takes in what the last run freed, from the checkpoints it left. */
  resume(loaded: readonly CheckpointEntry[]): void {
    for (const e of loaded) if (e.reclaimed) this.#reclaimed.set(entryKey(e), e.reclaimed);
  }

  get status(): DiskStatus {
    return {
      reclaim: this.#opts.enabled,
      filesDiskBytes: this.#filesDiskBytes,
      reclaimedBytes: this.#reclaimedBytes,
      volumeLimitBytes: this.#opts.volumeLimitBytes,
      nearLimit: this.#nearLimit,
    };
  }

  /** The entries to write, each with what was freed of it (`reclaimed`), when anything was. */
  annotate(entries: readonly CheckpointEntry[]): readonly CheckpointEntry[] {
    // Nothing freed (reclaim off, or nothing acknowledged yet): no key to make per entry.
    if (this.#reclaimed.size === 0) return entries;
    return entries.map((e) => {
      const reclaimed = this.#reclaimed.get(entryKey(e));
      if (reclaimed === undefined) return e;
      // The same object for the same entry and figure: the checkpoint store skips an
      // unchanged checkpoint by comparing entries by reference.
      const value = Math.min(reclaimed, e.offset);
      const last = this.#annotated.get(e);
      if (last?.reclaimed === value) return last;
      const annotated = { ...e, reclaimed: value };
      this.#annotated.set(e, annotated);
      return annotated;
    });
  }

  /**
   * The checkpoint file now holds `entries`: free what they acknowledge, then measure.
   * One file at a time; never rejects (an I/O error skips the file until the next write).
   */
  async written(entries: readonly CheckpointEntry[], nowMs = Date.now()): Promise<void> {
    // The same entries (the tail hands the same objects while nothing in them changed) and
    // nobody due: nothing to free or measure. With 1,000 quiet files, walking them at every
    // checkpoint interval (keys made and hashed per entry) was a fifth of the idle CPU.
    if (nowMs < this.#nextDueMs && sameEntries(entries, this.#lastEntries)) return;
    this.#lastEntries = entries;
    // A file that could not be measured (gone, unreadable) is tried again this long on too.
    let nextDueMs = nowMs + REMEASURE_MS;
    let diskBytes = 0;
    const seen = new Set<string>();
    const kept = new Map<string, number>();
    const measured = new Map<string, Measure>();
    for (const e of entries) {
      const identity = `${e.dev}:${e.ino}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
      const done = this.#reclaimed.get(entryKey(e));
      if (done !== undefined) kept.set(entryKey(e), done);
      let last = this.#measured.get(identity);
      if (last !== undefined && sameCheckpoint(last.entry, e)) {
        // Still the size it was measured at, as far as the tail knows: as good as measured now.
        if (nowMs - last.atMs >= REMEASURE_MS && this.#sizeOf(identity) === last.size) last = { ...last, atMs: nowMs };
        if (nowMs - last.atMs < REMEASURE_MS) {
          measured.set(identity, last);
          diskBytes += last.diskBytes;
          nextDueMs = Math.min(nextDueMs, last.atMs + REMEASURE_MS);
          continue;
        }
      }
      try {
        const st = await this.#stat(e);
        if (st === undefined) continue;
        const used = (await this.#reclaim(e, st, kept)) ?? st.blocks * 512;
        measured.set(identity, { entry: e, atMs: nowMs, diskBytes: used, size: st.size });
        diskBytes += used;
        nextDueMs = Math.min(nextDueMs, nowMs + REMEASURE_MS);
      } catch {
        // Gone or unreadable since the checkpoint: it is not on the volume, or the tail reports it.
      }
    }
    // Entries no longer checkpointed are forgotten: the maps stay as small as the checkpoint.
    this.#reclaimed = kept;
    this.#measured = measured;
    this.#nextDueMs = nextDueMs;
    for (const identity of this.#refusedFiles.keys()) if (!seen.has(identity)) this.#refusedFiles.delete(identity);
    this.#filesDiskBytes = diskBytes;
    const limit = this.#opts.volumeLimitBytes;
    const near = nearVolumeLimit(diskBytes, limit);
    if (near !== this.#nearLimit && limit !== undefined) this.#observer.volumeLimit(near, diskBytes, limit);
    this.#nearLimit = near;
  }

  /** The file's stat now, when `e`'s identity is still what its descriptor or path leads to. */
  async #stat(e: CheckpointEntry): Promise<Stats | undefined> {
    const fd = this.#descriptorOf(`${e.dev}:${e.ino}`, e.key);
    const st = fd !== undefined ? await fstatAsync(fd) : await stat(fsPath(e.path));
    return st.dev === e.dev && st.ino === e.ino ? st : undefined;
  }

  /** Frees what `e` allows; returns the file's disk bytes after, or undefined when nothing was tried. */
  async #reclaim(e: CheckpointEntry, st: Stats, kept: Map<string, number>): Promise<number | undefined> {
    if (!this.#opts.enabled || this.#unsupported.has(st.dev)) return undefined;
    const range = punchRange(kept.get(entryKey(e)) ?? 0, e.offset, st.blksize);
    if (range === undefined || st.size < range.offset + range.length) return undefined;
    const identity = `${e.dev}:${e.ino}`;
    let fh: FileHandle;
    try {
      fh = await this.#openForWriting(e);
    } catch (error) {
      this.#refusedFile(identity, e.path, (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN');
      return undefined;
    }
    try {
      const now = await fh.stat();
      if (now.dev !== e.dev || now.ino !== e.ino || now.size < range.offset + range.length) return undefined;
      const head = Buffer.alloc(e.fpLen);
      const { bytesRead } = await fh.read(head, 0, e.fpLen, 0);
      if (!fingerprintMatches(head.subarray(0, bytesRead), e.fpLen, e.fpHash)) return undefined;
      const code = punchHole(fh.fd, range.offset, range.length);
      if (code === 'EOPNOTSUPP' || code === 'ENOSYS') {
        this.#unsupported.add(st.dev);
        this.#observer.refused(e.path, code, true);
        return undefined;
      }
      if (code !== undefined) {
        this.#refusedFile(identity, e.path, code);
        return undefined;
      }
      this.#refusedFiles.delete(identity);
      kept.set(entryKey(e), range.offset + range.length);
      // The range, not st_blocks before minus after: a writer appending meanwhile adds blocks.
      this.#reclaimedBytes += range.length;
      this.#observer.reclaimed(e.path, range.length);
      return (await fh.stat()).blocks * 512;
    } finally {
      await fh.close();
    }
  }

  /**
   * Read-write (the head is read to check the fingerprint): through the tail's descriptor
   * when it has one — /proc/self/fd reopens that inode, whatever its name now — else by path.
   */
  #openForWriting(e: CheckpointEntry): Promise<FileHandle> {
    const fd = this.#descriptorOf(`${e.dev}:${e.ino}`, e.key);
    if (fd !== undefined) return open(`/proc/self/fd/${fd}`, constants.O_RDWR);
    // By path: not through a link, not blocking on what is not a file; the identity is checked after.
    return open(fsPath(e.path), constants.O_RDWR | NOT_THROUGH_LINKS);
  }

  #refusedFile(identity: string, path: string, code: string): void {
    if (this.#refusedFiles.get(identity) === code) return;
    this.#refusedFiles.set(identity, code);
    this.#observer.refused(path, code, false);
  }
}
