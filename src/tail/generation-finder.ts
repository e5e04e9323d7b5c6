import { join } from 'node:path';
import type { CheckpointEntry } from '../checkpoint/checkpoint-format.js';
import { fileKey } from '../record/record-id.js';
import type { FileRegistry, Orphan } from './file-registry.js';
import { bornMs, identityOf, type DirEntry, type FileStat, type TailFs } from './file-system.js';
import { fingerprintHash, fingerprintMatches } from './fingerprint.js';
import { discard, openFile, type OpenedFile } from './open-file.js';
import { rotatedBaseOf } from './rotated-name.js';
import { mayBeCopyOf, startsWithHead } from './truncation.js';

/** A file found in a watched directory that is to be read; it is open already. */
export type Adoption =
  /** A checkpointed file with bytes past its checkpoint: read on from there. */
  | { readonly kind: 'resume'; readonly file: OpenedFile; readonly entry: CheckpointEntry }
  /** A rotated generation tailship never saw at its watched path `path`: read it from 0. */
  | { readonly kind: 'generation'; readonly file: OpenedFile; readonly path: string }
  /** The copy of a truncated generation, found after the truncation: read on from its position. */
  | { readonly kind: 'copy'; readonly file: OpenedFile; readonly orphan: Orphan };

export interface FinderOptions {
  readonly host: string;
  /**
   * Files that appeared before this (ms) and that tailship does not know were there
   * before it watched: history, not read. The last checkpoint's time after a restart (a
   * generation rotated away while tailship was down is read), the start on a first run.
   */
  readonly knownSinceMs: number;
  /** A watched path waiting for a descriptor slot: discovery's to open, not a rotated file. */
  readonly waitingForSlot?: (path: string) => boolean;
}

/** A directory unchanged for this long is looked at anyway: a late writer to a rotated file. */
const LOOK_EVERY_MS = 10_000;

interface Candidate {
  readonly path: string;
  readonly name: string;
  readonly st: FileStat;
  /** The watched file it is a rotated form of, if any. */
  readonly of: string | undefined;
}

/**
 * Finds, in the directories of watched files, the rotated generations tailship has to
 * read although it never saw them at a watched path — rename rotation faster than
 * discovery, copies of truncated generations that appeared late, generations rotated
 * while tailship was down — and keeps every other rotated file known, so none is read
 * twice. Rules, for each rotated form of a watched name (see rotated-name.ts):
 *
 * - known identity (being read, or checkpointed with a matching fingerprint): nothing,
 *   unless it holds bytes past its checkpoint (a late writer; or a restart): read on;
 * - unknown, and it starts with a truncated generation's head: that generation's copy;
 * - unknown, and a copy of a file being read (a copytruncate copy not yet followed by the
 *   truncation): left for the truncation to claim;
 * - unknown, and a copy of a checkpointed generation (logrotate's `delaycompress` gzips
 *   a rotated file we read): known from now on, not read;
 * - unknown, there before tailship watched the directory: known from now on, not read;
 * - unknown otherwise: a generation never seen, read from 0.
 *
 * On the first look at a directory every name is checked against the checkpoints (a file
 * renamed while tailship was down may have any name); after that only rotated forms.
 */
export class GenerationFinder {
  readonly #fs: TailFs;
  readonly #registry: FileRegistry;
  readonly #opts: FinderOptions;
  /** Directories looked at: their mtime then, and when. */
  readonly #looks = new Map<string, { mtimeMs: number; atMs: number }>();

  constructor(fs: TailFs, registry: FileRegistry, opts: FinderOptions) {
    this.#fs = fs;
    this.#registry = registry;
    this.#opts = opts;
  }

  /**
   * Looks at every directory of watched files whose listing changed since the last look,
   * that has a truncated generation waiting for its copy, or that was not looked at for
   * LOOK_EVERY_MS (a late writer to a closed rotated file does not change the directory).
   * `listings`: directories just listed by discovery.
   */
  async lookAround(listings: ReadonlyMap<string, readonly DirEntry[]>, nowMs: number): Promise<Adoption[]> {
    const out: Adoption[] = [];
    for (const dir of this.#registry.directories()) {
      const mtimeMs = await this.#mtime(dir);
      const last = this.#looks.get(dir);
      if (mtimeMs === undefined) continue;
      // A change in the same clock tick as the last look may not move the mtime: look again.
      const changed = last === undefined || mtimeMs !== last.mtimeMs || mtimeMs >= last.atMs - 1000;
      const waiting = this.#registry.orphans.some((o) => o.dir === dir);
      if (changed || waiting || nowMs - last.atMs >= LOOK_EVERY_MS) out.push(...(await this.look(dir, listings.get(dir), nowMs)));
    }
    return out;
  }

  /** Looks at `dir` (its entries, when just listed) and returns what is to be read, oldest first. */
  async look(dir: string, entries: readonly DirEntry[] | undefined, nowMs: number): Promise<Adoption[]> {
    const mtimeMs = await this.#mtime(dir);
    const first = !this.#looks.has(dir);
    const candidates = await this.#candidates(dir, entries ?? (await this.#list(dir)), first);
    if (candidates === undefined || mtimeMs === undefined) return [];
    this.#looks.set(dir, { mtimeMs, atMs: nowMs });
    const out: Adoption[] = [];
    for (const c of candidates) {
      const adoption = await this.#judge(dir, c, first, nowMs).catch(() => undefined);
      if (adoption !== undefined) out.push(adoption);
    }
    return out;
  }

  async #mtime(dir: string): Promise<number | undefined> {
    try {
      return (await this.#fs.stat(dir)).mtimeMs;
    } catch {
      return undefined;
    }
  }

  async #list(dir: string): Promise<DirEntry[] | undefined> {
    try {
      return await this.#fs.readdir(dir);
    } catch {
      return undefined;
    }
  }

  async #candidates(dir: string, entries: readonly DirEntry[] | undefined, first: boolean): Promise<Candidate[] | undefined> {
    if (entries === undefined) return undefined;
    const names = this.#registry.watchedNamesIn(dir);
    const out: Candidate[] = [];
    for (const e of entries) {
      if (!e.isFile) continue;
      // The name first: in a directory of 10,000 watched files, no path made for each.
      const of = rotatedBaseOf(e.name, (base) => names.has(base));
      if (of === undefined && !first) continue;
      const path = join(dir, e.name);
      if (this.#registry.at(path) !== undefined || this.#opts.waitingForSlot?.(path)) continue; // a watched path: discovery's
      try {
        const st = await this.#fs.stat(path);
        if (st.isFile()) out.push({ path, name: e.name, st, of });
      } catch {
        // gone since the listing
      }
    }
    return out.sort((a, b) => bornMs(a.st) - bornMs(b.st));
  }

  async #judge(dir: string, c: Candidate, first: boolean, nowMs: number): Promise<Adoption | undefined> {
    const reg = this.#registry;
    const id = identityOf(c.st);
    if (reg.tailers.has(id)) return undefined;
    const entry = reg.dormant.get(id);
    // Born after it was last seen: perhaps a new file on a reused inode. Else it is the file.
    if (entry !== undefined && bornMs(c.st) <= entry.seenMs) {
      reg.dormant.set(id, { ...entry, seenMs: nowMs });
      if (!(c.st.size > entry.offset || (first && c.name.endsWith('.gz')))) return undefined;
    }
    if (entry === undefined && c.of === undefined) return undefined;
    const file = await openFile(this.#fs, c.path);
    if (file.identity !== id) return this.#skip(file);
    if (entry !== undefined) {
      if (fingerprintMatches(file.head, entry.fpLen, entry.fpHash)) {
        reg.dormant.set(id, { ...entry, seenMs: nowMs });
        const holds = await file.source.contentSize();
        if (holds > entry.offset || (file.source.compressed && holds !== entry.offset % 2 ** 32)) {
          return { kind: 'resume', file, entry };
        }
        return this.#skip(file);
      }
      reg.dormant.delete(id); // a new file on the inode of an old one
      if (c.of === undefined) return this.#skip(file);
    }
    return this.#judgeUnknown(dir, c, file, first, nowMs);
  }

  async #judgeUnknown(dir: string, c: Candidate, file: OpenedFile, first: boolean, nowMs: number): Promise<Adoption | undefined> {
    const reg = this.#registry;
    if (file.head.length === 0) return this.#skip(file); // empty yet: looked at again later
    const holds = file.source.compressed ? Infinity : file.st.size;
    const orphan = reg.orphans.find(
      (o) => o.dir === dir && startsWithHead(file.head, o.generation.head) && holds >= o.generation.position,
    );
    if (orphan !== undefined) {
      reg.orphans.splice(reg.orphans.indexOf(orphan), 1);
      return { kind: 'copy', file, orphan };
    }
    if (reg.tailersIn(dir).some((t) => mayBeCopyOf(file.head, t.head))) return this.#skip(file);
    const copied = reg.dormantIn(dir).find((e) => e.fpLen > 0 && fingerprintMatches(file.head, e.fpLen, e.fpHash));
    if (copied !== undefined) {
      reg.dormant.set(file.identity, { ...copied, dev: file.st.dev, ino: file.st.ino, seenMs: nowMs });
      return this.#skip(file);
    }
    if (first && bornMs(file.st) < this.#opts.knownSinceMs) {
      reg.dormant.set(file.identity, await this.#history(file, c, nowMs));
      return this.#skip(file);
    }
    return { kind: 'generation', file, path: join(dir, c.of!) };
  }

  /** The entry of a rotated file that was there before tailship: known, read no further than now. */
  async #history(file: OpenedFile, c: Candidate, nowMs: number): Promise<CheckpointEntry> {
    return {
      key: fileKey(this.#opts.host, file.st.dev, file.st.ino, file.head),
      dev: file.st.dev,
      ino: file.st.ino,
      fpLen: file.head.length,
      fpHash: fingerprintHash(file.head, file.head.length),
      offset: await file.source.contentSize(),
      path: c.of === undefined ? c.path : join(c.path, '..', c.of),
      seenMs: nowMs,
    };
  }

  async #skip(file: OpenedFile): Promise<undefined> {
    await discard(file);
    return undefined;
  }
}
