// The file-system calls the tail side makes, behind one small interface: the rotation and
// truncation rules are then specified by in-process tests on a fake file system (with
// inodes, renames, copies and truncation under open descriptors), and the real one is a
// thin wrapper over node:fs.
import { close, fstat, open, read, type Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { promisify } from 'node:util';

/** What tail/ needs of a file's metadata (a subset of node:fs Stats). Times in ms. */
export interface FileStat {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  /** When the inode was created; 0 where the file system does not record it. */
  readonly birthtimeMs: number;
  /** 0 once the file is deleted (it lives on while a descriptor holds it). */
  readonly nlink: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

export interface DirEntry {
  readonly name: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymbolicLink: boolean;
}

/**
 * Errors are node's (`ENOENT`, `EACCES`, `EIO`…, in `code`), thrown or rejected.
 * `read` returns 0 at end of file.
 */
export interface TailFs {
  stat(path: string): Promise<FileStat>;
  readdir(dir: string): Promise<DirEntry[]>;
  open(path: string): Promise<number>;
  fstat(fd: number): Promise<FileStat>;
  read(fd: number, buf: Buffer, length: number, position: number): Promise<number>;
  close(fd: number): Promise<void>;
}

const openAsync = promisify(open);
const closeAsync = promisify(close);
const fstatAsync = promisify(fstat);

/** The real file system. */
export const nodeFs: TailFs = {
  stat: (path) => stat(path) as Promise<Stats>,
  async readdir(dir) {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.map((e) => ({
      name: e.name,
      isFile: e.isFile(),
      isDirectory: e.isDirectory(),
      isSymbolicLink: e.isSymbolicLink(),
    }));
  },
  open: (path) => openAsync(path, 'r'),
  fstat: (fd) => fstatAsync(fd),
  // The callback form: no FileHandle object (and its finaliser) per read on the hot path.
  read: (fd, buf, length, position) =>
    new Promise<number>((resolve, reject) =>
      read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))),
    ),
  close: (fd) => closeAsync(fd),
};

/** `dev:ino`: what a file is, whatever its name. */
export const identityOf = (st: Pick<FileStat, 'dev' | 'ino'>): string => `${st.dev}:${st.ino}`;

/** The error code of a failed call (`EUNKNOWN` when there is none). */
export const errorCode = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';

/** When a file appeared: its birth time, or its change time where birth is not recorded. */
export const bornMs = (st: FileStat): number => (st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs);
