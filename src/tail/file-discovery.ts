import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { DirEntry, TailFs } from './file-system.js';
import type { GlobSet } from './glob-set.js';

const MAX_DEPTH = 16;

/** One scan: the paths the globs match, and each listed directory's entries. */
export interface Scan {
  readonly paths: readonly string[];
  /** The same paths, to look one up. */
  readonly seen: ReadonlySet<string>;
  /** Every directory listed, with all its entries (the rotation side looks at the others). */
  readonly dirs: ReadonlyMap<string, readonly DirEntry[]>;
}

/** A directory as last listed: its entries, the matching paths and subdirectories in it. */
interface Listing {
  readonly mtimeMs: number;
  /** When it was listed (ms, wall clock). */
  readonly listedMs: number;
  readonly entries: DirEntry[];
  readonly paths: string[];
  readonly dirs: string[];
}

/**
 * Finds the files the globs match: filesystem events (chokidar) for low latency, and a
 * full scan on every poll tick as the safety net, so a missed event delays a file, never
 * loses it. Directories that do not exist yet are picked up when they appear.
 */
export class FileDiscovery {
  readonly #globs: GlobSet;
  readonly #fs: TailFs;
  readonly #onPath: (path: string) => void;
  #watcher: FSWatcher | undefined;
  readonly #watchedRoots = new Set<string>();
  readonly #useEvents: boolean;
  readonly #listings = new Map<string, Listing>();
  /** The last scan and the listings it was made of. */
  #last: { readonly listed: ReadonlyMap<string, Listing>; readonly scan: Scan } | undefined;

  constructor(globs: GlobSet, fs: TailFs, useEvents: boolean, onPath: (path: string) => void) {
    this.#globs = globs;
    this.#fs = fs;
    this.#useEvents = useEvents;
    this.#onPath = onPath;
  }

  get watching(): boolean {
    return !this.#useEvents || this.#watcher !== undefined;
  }

  /**
   * Walks every root and returns the matching paths that are not directories. When no
   * directory was listed anew (the usual poll), it is the same Scan as the last one: the
   * poll makes no array and no set of 10,000 paths each second.
   */
  async scan(): Promise<Scan> {
    const listed = new Map<string, Listing>();
    for (const root of this.#globs.roots) await this.#walk(root.dir, root.recursive ? MAX_DEPTH : 0, listed, true);
    const last = this.#last;
    if (last !== undefined && sameListings(last.listed, listed)) return last.scan;
    const paths: string[] = [];
    const dirs = new Map<string, readonly DirEntry[]>();
    for (const [dir, listing] of listed) {
      dirs.set(dir, listing.entries);
      for (const path of listing.paths) paths.push(path);
    }
    const scan: Scan = { paths, seen: new Set(paths), dirs };
    this.#last = { listed, scan };
    return scan;
  }

  async #walk(dir: string, depth: number, listed: Map<string, Listing>, root = false): Promise<void> {
    if (listed.has(dir)) return;
    const listing = await this.#list(dir);
    if (listing === undefined) return; // missing, not a directory, vanished or unreadable: the next scan tries again
    if (root) this.#watchRoot(dir);
    listed.set(dir, listing);
    if (depth > 0) for (const sub of listing.dirs) await this.#walk(sub, depth - 1, listed);
  }

  /**
   * A directory's listing, read again only when its mtime moved: with 10,000 quiet files
   * a poll then costs a stat of the directory, not a listing and 10,000 glob matches.
   * A change in the same clock tick as the last listing may leave the mtime as it was
   * (file times are a jiffy coarse): a directory changed less than a second before its
   * last listing is listed again.
   */
  async #list(dir: string): Promise<Listing | undefined> {
    let mtimeMs: number;
    let entries: DirEntry[];
    try {
      const st = await this.#fs.stat(dir);
      if (!st.isDirectory()) {
        this.#listings.delete(dir);
        return undefined;
      }
      mtimeMs = st.mtimeMs;
      const last = this.#listings.get(dir);
      if (last !== undefined && last.mtimeMs === mtimeMs && mtimeMs < last.listedMs - 1000) return last;
      const listedMs = Date.now();
      entries = await this.#fs.readdir(dir);
      const listing: Listing = { mtimeMs, listedMs, entries, paths: [], dirs: [] };
      for (const e of entries) {
        const path = join(dir, e.name);
        if (e.isDirectory) listing.dirs.push(path);
        // Files, links, and what is neither (a FIFO, a device): those are refused, visibly.
        else if (this.#globs.matches(path)) listing.paths.push(path);
      }
      this.#listings.set(dir, listing);
      return listing;
    } catch {
      this.#listings.delete(dir);
      return undefined;
    }
  }

  #watchRoot(dir: string): void {
    if (!this.#useEvents || this.#watchedRoots.has(dir)) return;
    this.#watchedRoots.add(dir);
    if (!this.#watcher) {
      this.#watcher = watch([], {
        ignoreInitial: true,
        atomic: false,
        // Not into linked folders: a link to / in the volume would have it watch the whole
        // file system (measured: a link to /usr kept it walking for over a minute). The scan
        // does not follow them either; a linked file's growth is seen by the scan.
        followSymlinks: false,
        persistent: true,
        depth: MAX_DEPTH,
        // Directories only: a watcher per file (stats, an inotify watch, chokidar's state)
        // made 20,000 files take minutes to start and most of the memory. A directory's
        // watch reports its files' changes too: as raw events, below.
        ignored: (path, stats) => this.#globs.matches(path) || stats?.isFile() === true,
      });
      this.#watcher.on('raw', (_event, name, details) => {
        const dir = (details as { watchedPath?: string } | undefined)?.watchedPath;
        if (typeof name !== 'string' || name === '' || dir === undefined) return;
        const path = join(dir, name);
        if (this.#globs.matches(path)) this.#onPath(path);
      });
      // Watch errors (ENOSPC for inotify watches, EPERM) leave the poll scan in charge.
      this.#watcher.on('error', () => {});
    }
    this.#watcher.add(dir);
  }

  async close(): Promise<void> {
    const w = this.#watcher;
    this.#watcher = undefined;
    if (w) await w.close();
  }
}

/** The same directories, in the same order, each with the same listing. */
function sameListings(a: ReadonlyMap<string, Listing>, b: ReadonlyMap<string, Listing>): boolean {
  if (a.size !== b.size) return false;
  const other = b.entries();
  for (const [dir, listing] of a) {
    const [dirB, listingB] = other.next().value!;
    if (dir !== dirB || listing !== listingB) return false;
  }
  return true;
}
