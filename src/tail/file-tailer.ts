import { close, fstat, open, read, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { AckQueue } from '../ack/ack-queue.js';
import { FINGERPRINT_BYTES, fingerprintHash } from './fingerprint.js';
import { LineSplitter } from './line-splitter.js';

export const openAsync = promisify(open);
export const closeAsync = promisify(close);
export const fstatAsync = promisify(fstat);
const readAsync = (fd: number, buf: Buffer, length: number, position: number) =>
  new Promise<number>((resolve, reject) =>
    read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))),
  );

export const identityOf = (st: Pick<Stats, 'dev' | 'ino'>): string => `${st.dev}:${st.ino}`;

/**
 * One file identity (dev:inode) being tailed: its descriptor, read position, partial
 * line and ack queue. The descriptor, not the path, is what is read, so a file renamed or
 * deleted under us is still drained to its end.
 *
 * Invariants: `position` is the offset of the next byte to read (= splitter.next);
 * `ackQueue.committed <= splitter.pendingStart <= position`.
 */
export class FileTailer {
  readonly identity: string;
  readonly dev: number;
  readonly ino: number;
  /** Part of every record id; changes when the file is truncated (offsets restart). */
  key: string;
  /** Paths that currently lead to this identity (a rotated name the globs match, a symlink). */
  readonly paths = new Set<string>();
  /** The path shown in records: the most recent one that led here. */
  path: string;
  fd: number | undefined;
  position: number;
  size: number;
  head: Buffer;
  splitter: LineSplitter;
  ackQueue: AckQueue;
  /** Last time the file was seen to grow (ms), for the rotate-wait window. */
  lastGrowthMs: number;
  /** No longer at any watched path (renamed away or deleted); closed once quiet. */
  detached = false;
  /** When it left its last watched path: the rotate wait counts from here too. */
  rotatedAtMs: number | undefined;
  /** mtime at the last look: unchanged with the size, the file has not been touched. */
  mtimeMs = 0;
  /** Deleted (no links left) when closed: its checkpoint entry is useless. */
  deleted = false;
  /** In the read queue. */
  queued = false;
  /** A check saw the file shrink or its head change; the read loop restarts it at 0. */
  truncatePending = false;
  /** The read loop decided to close it; the close runs in the discovery queue. */
  closing = false;

  constructor(init: {
    fd: number;
    st: Stats;
    path: string;
    key: string;
    head: Buffer;
    offset: number;
    maxLineBytes: number;
    nowMs: number;
  }) {
    this.identity = identityOf(init.st);
    this.dev = init.st.dev;
    this.ino = init.st.ino;
    this.fd = init.fd;
    this.path = init.path;
    this.paths.add(init.path);
    this.key = init.key;
    this.head = init.head;
    this.position = init.offset;
    this.size = init.st.size;
    this.splitter = new LineSplitter(init.maxLineBytes, init.offset);
    this.ackQueue = new AckQueue(init.offset);
    this.lastGrowthMs = init.nowMs;
  }

  get open(): boolean {
    return this.fd !== undefined;
  }

  /** Bytes in the file not yet read. */
  get unreadBytes(): number {
    return Math.max(0, this.size - this.position);
  }

  fingerprint(): { fpLen: number; fpHash: string } {
    return { fpLen: this.head.length, fpHash: fingerprintHash(this.head, this.head.length) };
  }

  /** Reads up to `buf.length` bytes at the read position; 0 at end of file. */
  async readInto(buf: Buffer): Promise<number> {
    if (this.fd === undefined) return 0;
    const n = await readAsync(this.fd, buf, buf.length, this.position);
    this.position += n;
    if (this.position > this.size) this.size = this.position;
    return n;
  }

  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await closeAsync(fd);
  }
}

/** Reads the first bytes of an open file (up to FINGERPRINT_BYTES). */
export async function readHead(fd: number, size: number): Promise<Buffer> {
  const len = Math.min(size, FINGERPRINT_BYTES);
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = await readAsync(fd, buf.subarray(got), len - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}
