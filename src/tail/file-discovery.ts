import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { DirEntry, TailFs } from './file-system.js';
import type { GlobSet } from './glob-set.js';

const MAX_DEPTH = 16;

/** One scan: the paths the globs match, and each listed directory's entries. */
export interface Scan {
  readonly paths: string[];
  /** Every directory listed, with all its entries (the rotation side looks at the others). */
  readonly dirs: Map<string, DirEntry[]>;
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

  constructor(globs: GlobSet, fs: TailFs, useEvents: boolean, onPath: (path: string) => void) {
    this.#globs = globs;
    this.#fs = fs;
    this.#useEvents = useEvents;
    this.#onPath = onPath;
  }

  get watching(): boolean {
    return !this.#useEvents || this.#watcher !== undefined;
  }

  /** Walks every root and returns the matching paths that are not directories. */
  async scan(): Promise<Scan> {
    const scan: Scan = { paths: [], dirs: new Map() };
    for (const root of this.#globs.roots) {
      if (!(await this.#isDir(root.dir))) continue;
      this.#watchRoot(root.dir);
      await this.#walk(root.dir, root.recursive ? MAX_DEPTH : 0, scan);
    }
    return scan;
  }

  async #walk(dir: string, depth: number, scan: Scan): Promise<void> {
    if (scan.dirs.has(dir)) return;
    let entries;
    try {
      entries = await this.#fs.readdir(dir);
    } catch {
      return; // vanished or unreadable: the next scan tries again
    }
    scan.dirs.set(dir, entries);
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory) {
        if (depth > 0) await this.#walk(path, depth - 1, scan);
      } else if (this.#globs.matches(path)) {
        // Files, links, and what is neither (a FIFO, a device): those are refused, visibly.
        scan.paths.push(path);
      }
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
        ignored: (path, stats) => stats?.isFile() === true && !this.#globs.matches(path),
      });
      const onFile = (path: string) => {
        if (this.#globs.matches(path)) this.#onPath(path);
      };
      this.#watcher.on('add', onFile).on('change', onFile).on('unlink', onFile);
      // Watch errors (ENOSPC for inotify watches, EPERM) leave the poll scan in charge.
      this.#watcher.on('error', () => {});
    }
    this.#watcher.add(dir);
  }

  async #isDir(path: string): Promise<boolean> {
    try {
      return (await this.#fs.stat(path)).isDirectory();
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    const w = this.#watcher;
    this.#watcher = undefined;
    if (w) await w.close();
  }
}
