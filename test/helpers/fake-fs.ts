// An in-memory file system with the semantics the rotation rules depend on: inodes
// outlive their names while a descriptor holds them, rename keeps the inode, a copy is a
// new inode, truncation happens under open descriptors, directories have an mtime, and
// every inode has a birth time. For in-process tests of src/tail through TailFs.
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { DirEntry, FileStat, TailFs } from '../../src/tail/file-system.js';

interface Inode {
  readonly ino: number;
  data: Buffer;
  mtimeMs: number;
  ctimeMs: number;
  readonly birthtimeMs: number;
  nlink: number;
}

const fail = (code: string, what: string) => Object.assign(new Error(`${code}: ${what}`), { code });

export class FakeFs implements TailFs {
  readonly dev = 42;
  readonly #files = new Map<string, Inode>();
  readonly #dirs = new Map<string, { mtimeMs: number }>();
  readonly #fds = new Map<number, Inode>();
  #nextIno = 100;
  #nextFd = 3;
  #lastMs = 0;
  /** Calls made through TailFs, by name (for tests of what work is done). */
  readonly calls = new Map<string, number>();

  /** A strictly increasing clock in ms, near the real one (times of events must differ). */
  now(): number {
    this.#lastMs = Math.max(Date.now(), this.#lastMs + 1);
    return this.#lastMs;
  }

  // --- what writers and rotators do (synchronous) -----------------------------------------

  mkdir(dir: string): void {
    this.#dirs.set(dir, { mtimeMs: this.now() });
  }

  /** `>`: creates the file, or truncates it (same inode) and writes `text`. */
  write(path: string, text: string | Buffer): void {
    const node = this.#files.get(path) ?? this.#create(path);
    node.data = Buffer.from(text);
    node.mtimeMs = node.ctimeMs = this.now();
  }

  /** `>>`: appends, creating the file when needed. */
  append(path: string, text: string | Buffer): void {
    const node = this.#files.get(path) ?? this.#create(path);
    node.data = Buffer.concat([node.data, Buffer.from(text)]);
    node.mtimeMs = node.ctimeMs = this.now();
  }

  truncate(path: string, length = 0): void {
    const node = this.#node(path);
    node.data = node.data.subarray(0, length);
    node.mtimeMs = node.ctimeMs = this.now();
  }

  rename(from: string, to: string): void {
    const node = this.#node(from);
    const replaced = this.#files.get(to);
    if (replaced) replaced.nlink--;
    this.#files.delete(from);
    this.#files.set(to, node);
    node.ctimeMs = this.now();
    this.#touchDir(from);
    this.#touchDir(to);
  }

  unlink(path: string): void {
    const node = this.#node(path);
    node.nlink--;
    this.#files.delete(path);
    this.#touchDir(path);
  }

  /** A new inode with the same bytes (what copytruncate's copy is). */
  copy(from: string, to: string): void {
    this.write(to, Buffer.from(this.#node(from).data));
  }

  /** gzip `from` into `to` (a new inode) and remove `from`, as logrotate's `compress` does. */
  gzip(from: string, to: string): void {
    this.write(to, gzipSync(this.#node(from).data));
    this.unlink(from);
  }

  size(path: string): number {
    return this.#node(path).data.length;
  }

  #create(path: string): Inode {
    if (!this.#dirs.has(dirname(path))) throw fail('ENOENT', dirname(path));
    const t = this.now();
    const node: Inode = { ino: this.#nextIno++, data: Buffer.alloc(0), mtimeMs: t, ctimeMs: t, birthtimeMs: t, nlink: 1 };
    this.#files.set(path, node);
    this.#touchDir(path);
    return node;
  }

  #touchDir(path: string): void {
    const dir = this.#dirs.get(dirname(path));
    if (dir) dir.mtimeMs = this.now();
  }

  #node(path: string): Inode {
    const node = this.#files.get(path);
    if (!node) throw fail('ENOENT', path);
    return node;
  }

  #count(call: string): void {
    this.calls.set(call, (this.calls.get(call) ?? 0) + 1);
  }

  #stat(node: Inode): FileStat {
    return {
      dev: this.dev,
      ino: node.ino,
      size: node.data.length,
      mtimeMs: node.mtimeMs,
      ctimeMs: node.ctimeMs,
      birthtimeMs: node.birthtimeMs,
      nlink: node.nlink,
      isFile: () => true,
      isDirectory: () => false,
    };
  }

  // --- TailFs ------------------------------------------------------------------------------

  async stat(path: string): Promise<FileStat> {
    this.#count('stat');
    const dir = this.#dirs.get(path);
    if (dir) {
      return { dev: this.dev, ino: 1, size: 0, mtimeMs: dir.mtimeMs, ctimeMs: dir.mtimeMs, birthtimeMs: 0, nlink: 1, isFile: () => false, isDirectory: () => true };
    }
    return this.#stat(this.#node(path));
  }

  async readdir(dir: string): Promise<DirEntry[]> {
    this.#count('readdir');
    if (!this.#dirs.has(dir)) throw fail('ENOENT', dir);
    const out: DirEntry[] = [];
    for (const path of this.#files.keys()) {
      if (dirname(path) === dir) out.push({ name: path.slice(dir.length + 1), isFile: true, isDirectory: false, isSymbolicLink: false });
    }
    for (const d of this.#dirs.keys()) {
      if (d !== dir && dirname(d) === dir) out.push({ name: d.slice(dir.length + 1), isFile: false, isDirectory: true, isSymbolicLink: false });
    }
    return out;
  }

  async open(path: string): Promise<number> {
    this.#count('open');
    const node = this.#node(path);
    const fd = this.#nextFd++;
    this.#fds.set(fd, node);
    return fd;
  }

  async fstat(fd: number): Promise<FileStat> {
    this.#count('fstat');
    return this.#stat(this.#fd(fd));
  }

  async read(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
    this.#count('read');
    const data = this.#fd(fd).data;
    if (position >= data.length) return 0;
    return data.copy(buf, 0, position, Math.min(data.length, position + length));
  }

  sizeAndHeadSync(fd: number, buf: Buffer): { size: number; headBytes: number } {
    this.#count('sizeAndHeadSync');
    const data = this.#fd(fd).data;
    return { size: data.length, headBytes: data.copy(buf, 0, 0, Math.min(data.length, buf.length)) };
  }

  async close(fd: number): Promise<void> {
    this.#count('close');
    this.#fd(fd);
    this.#fds.delete(fd);
  }

  get openDescriptors(): number {
    return this.#fds.size;
  }

  #fd(fd: number): Inode {
    const node = this.#fds.get(fd);
    if (!node) throw fail('EBADF', String(fd));
    return node;
  }
}
