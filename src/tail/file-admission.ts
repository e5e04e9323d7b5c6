// Which opened files may be read. The shared volume is written by nginx, the process that
// faces the internet: whatever it holds is an attacker's input once nginx is compromised,
// and tailship must not become a way to read files out of its own container (README, "What
// tailship refuses to read"; issue 17).
import { join } from 'node:path';
import { TailshipError } from '../errors.js';
import { errorCode, identityOf, nameText, type FileStat, type LinkFs, type TailFs } from './file-system.js';

/** TAILSHIP_FOLLOW_SYMLINKS: where a watched path may lead. */
export const FOLLOW_SYMLINKS = ['within', 'any', 'none'] as const;
export type FollowSymlinks = (typeof FOLLOW_SYMLINKS)[number];

/** Why a file is not read; the `reason` label of tailship_files_refused_total. */
export type RefusalReason = 'outside_volume' | 'symlink' | 'protected' | 'not_regular';

/** Thrown by an admitting `open`: the file is not to be read, whatever is tried again. */
export class RefusedError extends TailshipError {
  readonly reason: RefusalReason;

  constructor(reason: RefusalReason, path: string) {
    super('EREFUSED', `${nameText(path)} is not read: ${reason}`);
    this.reason = reason;
  }
}

export interface AdmissionOptions {
  /**
   * `within` (default): the file, every link resolved, lies in a folder the include globs
   * name; `none`: that, and the watched path itself is no link; `any`: links lead anywhere.
   */
  readonly followSymlinks: FollowSymlinks;
  /** The include globs' static folders (glob-set.ts `roots`), as configured: resolved here. */
  readonly roots: readonly string[];
  /** Files tailship reads for itself (token, password, TLS key, certificate, CA): never read as logs. */
  readonly protectedFiles: readonly string[];
  /** tailship's state dir: nothing in it is read as a log (checkpoints, dead letters). */
  readonly stateDir: string;
}

/** Whether `path` is `dir` or lies below it; both absolute and with links resolved. Pure. */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/**
 * The file system the tail reads through, with every `open` admitted first: each file
 * any part of tail/ opens (at a watched path, a rotated generation, a copy) passes the
 * same checks. `open` throws a `RefusedError` for a file that is not to be read.
 *
 * The checks are made on the opened descriptor, so a link swapped between a look at the
 * path and the open gains nothing: the file must be regular (fstat), must not be a
 * protected identity (dev:inode), and its path as the kernel names it (/proc/self/fd)
 * must lie in the volume. Where /proc is missing, the path is resolved before the open
 * and the descriptor's identity must be that of the file it resolved to. The open is
 * non-blocking (a FIFO swapped in does not hang it) and, for `none`, does not follow a
 * link. (Watched paths that are not regular files are refused before any open, by the
 * tail manager, so a device is never opened.)
 */
export function admittingFs(fs: TailFs & LinkFs, opts: AdmissionOptions): TailFs {
  const admission = new Admission(fs, opts);
  return {
    stat: (path) => fs.stat(path),
    readdir: (dir) => fs.readdir(dir),
    open: (path) => admission.open(path),
    fstat: (fd) => fs.fstat(fd),
    read: (fd, buf, length, position) => fs.read(fd, buf, length, position),
    sizeAndHeadSync: (fd, buf) => fs.sizeAndHeadSync(fd, buf),
    close: (fd) => fs.close(fd),
  };
}

class Admission {
  readonly #fs: TailFs & LinkFs;
  readonly #opts: AdmissionOptions;
  /** The roots with links resolved, once they exist. */
  readonly #roots = new Map<string, string>();
  /** The state dir with links resolved, once it exists. */
  #stateDir: string | undefined;
  /** Whether the system names a descriptor's file (Linux /proc): then nothing need be checked before the open. */
  #procFd = false;

  constructor(fs: TailFs & LinkFs, opts: AdmissionOptions) {
    this.#fs = fs;
    this.#opts = opts;
  }

  async open(path: string): Promise<number> {
    const fs = this.#fs;
    const mode = this.#opts.followSymlinks;
    // Where the descriptor cannot say where its file is, the file it must turn out to be.
    let expected: string | undefined;
    if (mode !== 'any' && !this.#procFd) {
      const real = await fs.realpath(path);
      if (!(await this.#inVolume(real))) throw new RefusedError('outside_volume', path);
      expected = identityOf(await fs.stat(real));
    }
    let fd: number;
    try {
      fd = await fs.open(path, mode === 'none');
    } catch (error) {
      // O_NOFOLLOW met a link.
      if (errorCode(error) === 'ELOOP' && mode === 'none') throw new RefusedError('symlink', path);
      throw error;
    }
    try {
      await this.#admit(path, fd, mode, expected);
      return fd;
    } catch (error) {
      await fs.close(fd).catch(() => {});
      throw error;
    }
  }

  /** The checks on the opened descriptor: these decide. */
  async #admit(path: string, fd: number, mode: FollowSymlinks, expected: string | undefined): Promise<void> {
    const st = await this.#fs.fstat(fd);
    if (!st.isFile()) throw new RefusedError('not_regular', path);
    const at = await this.#fs.fdPath(fd);
    this.#procFd = at !== undefined;
    if (await this.#isProtected(st, at)) throw new RefusedError('protected', path);
    if (mode === 'any') return;
    // /proc answered before and not now (the file went meanwhile?): not a verdict, a retry.
    if (at === undefined && expected === undefined) {
      throw Object.assign(new Error('where the descriptor leads is not known'), { code: 'EAGAIN' });
    }
    if (at !== undefined ? !(await this.#inVolume(at)) : identityOf(st) !== expected) {
      throw new RefusedError('outside_volume', path);
    }
  }

  async #inVolume(real: string): Promise<boolean> {
    for (const root of this.#opts.roots) {
      let dir = this.#roots.get(root);
      if (dir === undefined) {
        try {
          dir = await this.#fs.realpath(root);
        } catch {
          continue; // not there yet: nothing can lie in it
        }
        this.#roots.set(root, dir);
      }
      if (isWithin(real, dir)) return true;
    }
    return false;
  }

  /**
   * Looked up at each open, never from a list kept: a deleted file's inode is soon reused
   * (the checkpoint is replaced on every write), and a log file on it must not be refused.
   * A stat per protected file; the state dir is listed only for a file with several names.
   */
  async #isProtected(st: FileStat, at: string | undefined): Promise<boolean> {
    const fs = this.#fs;
    const id = identityOf(st);
    const idOf = async (path: string) => identityOf(await fs.stat(path));
    // Through links: a Kubernetes Secret's file is a link to the current version.
    for (const file of this.#opts.protectedFiles) if ((await idOf(file).catch(() => undefined)) === id) return true;
    const dir = this.#opts.stateDir;
    try {
      this.#stateDir ??= await fs.realpath(dir);
      if (at !== undefined && isWithin(at, this.#stateDir)) return true;
      // A file with one name has it at `at`. A hard link to a state file is on its device.
      if ((at !== undefined && st.nlink < 2) || (await fs.stat(dir)).dev !== st.dev) return false;
      for (const e of await fs.readdir(dir)) if ((await idOf(join(dir, e.name)).catch(() => undefined)) === id) return true;
    } catch {
      // No state dir yet: nothing to protect in it.
    }
    return false;
  }
}
