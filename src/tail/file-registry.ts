import { basename, dirname } from 'node:path';
import type { CheckpointEntry } from '../checkpoint/checkpoint-format.js';
import type { FileTailer, Generation } from './file-tailer.js';
import { fingerprintMatches } from './fingerprint.js';
import type { OpenedFile } from './open-file.js';
import { rotatedBaseOf } from './rotated-name.js';
import type { FileStatus } from './tail-interfaces.js';
import { mayBeCopyOf } from './truncation.js';

/** A truncated generation whose copy was not found yet (a compressor may still be writing it). */
export interface Orphan {
  readonly generation: Generation;
  /** The watched path it was read at; its copy is looked for in the same directory. */
  readonly path: string;
  readonly dir: string;
  readonly expiresMs: number;
}

/**
 * Every file identity the tail side knows: the ones being read (tailers), which watched
 * path leads to which, the checkpoints of files not open now (dormant: from the last run,
 * closed rotated files, rotated files that were there before tailship watched), and the
 * truncated generations waiting for their copy. Knowing an identity is what keeps a file
 * from being read twice; not knowing one in a watched directory is what gets a missed
 * generation read.
 */
export class FileRegistry {
  /** Open and closing tailers, by identity. */
  readonly tailers = new Map<string, FileTailer>();
  /** Which identity each watched path leads to now. */
  readonly #paths = new Map<string, string>();
  readonly dormant = new Map<string, CheckpointEntry>();
  readonly orphans: Orphan[] = [];
  /** Names of watched files by directory: every name a watched path had in this run or the last. */
  readonly #names = new Map<string, Set<string>>();

  constructor(checkpoints: readonly CheckpointEntry[]) {
    for (const c of checkpoints) {
      this.dormant.set(`${c.dev}:${c.ino}`, c);
      this.#addName(c.path);
    }
  }

  #addName(path: string): void {
    const dir = dirname(path);
    let names = this.#names.get(dir);
    if (names === undefined) this.#names.set(dir, (names = new Set()));
    names.add(path.slice(dir.length + 1));
  }

  knows(identity: string): boolean {
    return this.tailers.has(identity) || this.dormant.has(identity);
  }

  /** The identity a watched path led to at the last look. */
  at(path: string): string | undefined {
    return this.#paths.get(path);
  }

  get watchedPaths(): IterableIterator<string> {
    return this.#paths.keys();
  }

  map(path: string, t: FileTailer): void {
    this.#paths.set(path, t.identity);
    this.#addName(path);
    t.attach(path);
  }

  /** `path` leads elsewhere or nowhere now. Returns its tailer when that left its last watched path. */
  unmap(path: string, nowMs: number): FileTailer | undefined {
    const id = this.#paths.get(path);
    if (id === undefined) return undefined;
    this.#paths.delete(path);
    const t = this.tailers.get(id);
    return t?.detach(path, nowMs) ? t : undefined;
  }

  /** Directories that hold a watched path or a dormant file: where rotated generations are looked for. */
  directories(): Set<string> {
    const dirs = new Set<string>();
    // Asked every poll: a path in the directory of the one before (most are) makes no new string.
    let dir = '';
    const add = (path: string) => {
      const inDir = dir !== '' && path.length > dir.length + 1 && path.charCodeAt(dir.length) === 0x2f && path.startsWith(dir) && path.indexOf('/', dir.length + 1) === -1;
      if (!inDir) dirs.add((dir = dirname(path)));
    };
    for (const path of this.#paths.keys()) add(path);
    for (const t of this.tailers.values()) add(t.path);
    for (const e of this.dormant.values()) add(e.path);
    return dirs;
  }

  /** Names watched files have (had) in `dir`: rotated generations are rotated forms of these. */
  watchedNamesIn(dir: string): ReadonlySet<string> {
    return this.#names.get(dir) ?? new Set();
  }

  tailersIn(dir: string): FileTailer[] {
    return [...this.tailers.values()].filter((t) => dirname(t.path) === dir);
  }

  dormantIn(dir: string): CheckpointEntry[] {
    return [...this.dormant.values()].filter((e) => dirname(e.path) === dir);
  }

  /** Where a file opened at a watched path resumes: its checkpoint, if identity and fingerprint match. */
  resumePoint(file: OpenedFile): { offset: number; key: string } | undefined {
    const saved = this.dormant.get(file.identity);
    if (saved === undefined || !fingerprintMatches(file.head, saved.fpLen, saved.fpHash) || saved.offset > file.st.size) {
      return undefined;
    }
    return { offset: saved.offset, key: saved.key };
  }

  /**
   * Is a file the globs match at `path` a copy of a file being read — copytruncate's,
   * made before it truncates? Its truncation claims it (copy-finder.ts); read now, it
   * would ship that file's lines again.
   */
  copyOfOneBeingRead(path: string, file: OpenedFile): boolean {
    const dir = dirname(path);
    const names = this.watchedNamesIn(dir);
    return (
      rotatedBaseOf(basename(path), (base) => names.has(base)) !== undefined &&
      this.tailersIn(dir).some((t) => t.identity !== file.identity && mayBeCopyOf(file.head, t.head))
    );
  }

  /** Per-file state for /status and metrics. */
  statuses(): FileStatus[] {
    return [...this.tailers.values()].map((t) => ({
      path: t.name,
      identity: t.identity,
      readOffset: t.position,
      ackedOffset: t.ackQueue.committed,
      size: t.size,
      bytesBehind: Math.max(0, t.size - t.ackQueue.committed),
      state: !t.open ? 'closed' : t.detached ? 'rotated' : t.parked ? 'parked' : 'open',
    }));
  }

  /** A closed file, all acknowledged: keep only its checkpoint (a deleted one, not even that). */
  retire(t: FileTailer, nowMs: number): void {
    this.tailers.delete(t.identity);
    if (!t.deleted) this.dormant.set(t.identity, t.checkpoint(nowMs));
  }

  /** Forgets checkpoints of files not seen for `ttlMs`. */
  prune(nowMs: number, ttlMs: number): void {
    for (const [id, e] of this.dormant) if (nowMs - e.seenMs > ttlMs) this.dormant.delete(id);
  }

  /** Every known identity at its acknowledged offset. */
  checkpoints(nowMs: number): CheckpointEntry[] {
    const out: CheckpointEntry[] = [...this.dormant.values()];
    for (const t of this.tailers.values()) if (!t.deleted) out.push(t.checkpoint(nowMs));
    return out;
  }
}
