// The file-system calls the tail side makes, behind one small interface: the rotation and
// truncation rules are then specified by in-process tests on a fake file system (with
// inodes, renames, copies and truncation under open descriptors), and the real one is a
// thin wrapper over node:fs.
import { close, constants, fstat, fstatSync, open, read, readlinkSync, readSync, type Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
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
  /** Read-only and non-blocking (a FIFO must not hang the open); `noFollow`: a link fails with ELOOP. */
  open(path: string, noFollow?: boolean): Promise<number>;
  fstat(fd: number): Promise<FileStat>;
  read(fd: number, buf: Buffer, length: number, position: number): Promise<number>;
  /**
   * The descriptor's size now and its first bytes, read into `buf` (up to its length),
   * synchronously. Only for the check after each read (file-tailer.ts, `#replacedDuring`):
   * an fstat of an open descriptor and a pread of a page that very check keeps in the
   * page cache take microseconds, while two trips through the thread pool per read stalled
   * the main thread (it wakes a worker, which on a 2-core node takes its core): 18 % of
   * its time in the backlog benchmark, 8 % more CPU per GB and 5–20 % less throughput.
   */
  sizeAndHeadSync(fd: number, buf: Buffer): { readonly size: number; readonly headBytes: number };
  close(fd: number): Promise<void>;
}

/** What the admission checks (file-admission.ts) need besides TailFs: where links lead. */
export interface LinkFs {
  /** The path with every link resolved (realpath(3)). */
  realpath(path: string): Promise<string>;
  /** The path an open descriptor's file has now, with links resolved; undefined where the system does not say. */
  fdPath(fd: number): Promise<string | undefined>;
}

const openAsync = promisify(open);
const closeAsync = promisify(close);
const fstatAsync = promisify(fstat);

const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** The real file system. Paths are names as `decodeName` gives them (see there). */
export const nodeFs: TailFs & LinkFs = {
  stat: (path) => stat(fsPath(path)) as Promise<Stats>,
  async readdir(dir) {
    // Buffer names: a name that is not UTF-8 decoded as text would be a name that does not exist.
    const entries = await readdir(fsPath(dir), { withFileTypes: true, encoding: 'buffer' });
    return entries.map((e) => ({
      name: decodeName(e.name as unknown as Buffer),
      isFile: e.isFile(),
      isDirectory: e.isDirectory(),
      isSymbolicLink: e.isSymbolicLink(),
    }));
  },
  open: (path, noFollow) => openAsync(fsPath(path), READ_FLAGS | (noFollow ? constants.O_NOFOLLOW : 0)),
  fstat: (fd) => fstatAsync(fd),
  // The callback form: no FileHandle object (and its finaliser) per read on the hot path.
  read: (fd, buf, length, position) =>
    new Promise<number>((resolve, reject) =>
      read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))),
    ),
  sizeAndHeadSync: (fd, buf) => {
    const size = fstatSync(fd).size;
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return { size, headBytes: got };
  },
  close: (fd) => closeAsync(fd),
  realpath: async (path) => decodeName(await realpath(fsPath(path), { encoding: 'buffer' })),
  async fdPath(fd) {
    // Linux: the descriptor's link in /proc names the file it was opened on, links resolved.
    // Synchronous: procfs answers from memory, and a trip through the thread pool costs
    // more than the call.
    try {
      const at = decodeName(readlinkSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' }));
      return at.startsWith('/') ? at : undefined;
    } catch {
      return undefined;
    }
  },
};

// --- names are data -----------------------------------------------------------------------
// A file name is bytes, not necessarily UTF-8. tail/ keeps a path as a JS string in which
// each byte of a name that is not valid UTF-8 is the lone surrogate U+DC80+byte (Python's
// "surrogateescape"): decoded UTF-8 never holds lone surrogates, so the mapping is exact both
// ways and two files never share a path. `fsPath` turns it back into the bytes for a call;
// `nameText` is the text shown in records, logs and /status, with such a byte as `\xNN`.

/** A lone low surrogate U+DC80–U+DCFF: an escaped byte. */
const ESCAPED_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;
const ESCAPED_BYTES = new RegExp(ESCAPED_BYTE.source, 'g');

/** A name's bytes as a path string: UTF-8, with each byte of an invalid sequence escaped. */
export function decodeName(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let out = '';
  let from = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = utf8SequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += bytes.toString('utf8', from, i) + String.fromCharCode(0xdc00 + bytes[i]!);
    from = ++i;
  }
  return out + bytes.toString('utf8', from);
}

/** The length of the well-formed UTF-8 sequence at `i` (RFC 3629, table 3-7 of Unicode), or 0. */
function utf8SequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  for (let k = 1; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  const c1 = b[i + 1]!;
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
  if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
  return n;
}

/** The path for a node:fs call: the string itself, or its bytes when it holds escaped ones. */
export function fsPath(path: string): string | Buffer {
  if (!ESCAPED_BYTE.test(path)) return path;
  const parts: Buffer[] = [];
  let from = 0;
  for (const m of path.matchAll(ESCAPED_BYTES)) {
    parts.push(Buffer.from(path.slice(from, m.index), 'utf8'), Buffer.of(m[0].charCodeAt(0) - 0xdc00));
    from = m.index + 1;
  }
  parts.push(Buffer.from(path.slice(from), 'utf8'));
  return Buffer.concat(parts);
}

/** A path as text for records, logs and /status: each byte that is not UTF-8 as `\xNN`. */
export function nameText(path: string): string {
  if (!ESCAPED_BYTE.test(path)) return path;
  return path.replace(ESCAPED_BYTES, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).padStart(2, '0')}`);
}

/** `dev:ino`: what a file is, whatever its name. */
export const identityOf = (st: Pick<FileStat, 'dev' | 'ino'>): string => `${st.dev}:${st.ino}`;

/** The error code of a failed call (`EUNKNOWN` when there is none). */
export const errorCode = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';

/** When a file appeared: its birth time, or its change time where birth is not recorded. */
export const bornMs = (st: FileStat): number => (st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs);
