import { AckQueue } from '../ack/ack-queue.js';
import type { CheckpointEntry } from '../checkpoint/checkpoint-format.js';
import { FileSource, readHead, type ByteSource } from './byte-source.js';
import { identityOf, nameText, type FileStat } from './file-system.js';
import { FINGERPRINT_BYTES, fingerprintHash } from './fingerprint.js';
import { LineSplitter, type LineHandler, type RunHandler } from './line-splitter.js';

/**
 * What a truncated file leaves behind: the generation of its content that was being read.
 * It carries on in the copy copytruncate made (same key, same offsets, so the same record
 * ids), or, when no copy is found, is reported lost from `position`.
 */
export interface Generation {
  readonly key: string;
  /** The generation's first bytes, as read or peeked before it was truncated. */
  readonly head: Buffer;
  /** Next byte to read. */
  readonly position: number;
  /** Largest size seen: bytes known to have been in the generation. */
  readonly knownSize: number;
  readonly splitter: LineSplitter;
  readonly ackQueue: AckQueue;
}

export interface TailerInit {
  readonly source: ByteSource;
  readonly st: FileStat;
  /** The watched path it is read for: what records carry in `file`. */
  readonly path: string;
  readonly key: string;
  readonly head: Buffer;
  readonly offset: number;
  readonly maxLineBytes: number;
  readonly nowMs: number;
  /** Not at a watched path (a rotated generation, or a copy): closed once quiet at its end. */
  readonly detached?: boolean;
  /** Will not grow (a copy, a gzip file): closed as soon as it is read to its end. */
  readonly final?: boolean;
}

/**
 * How stale a quiet file's checkpoint time may get: well under the day after which
 * entries of files not seen are forgotten (CHECKPOINT_TTL_MS).
 */
const SEEN_RENEW_MS = 60 * 60 * 1000;

/**
 * One file identity (dev:inode) being read: its descriptor, read position, partial line
 * and ack queue. The descriptor, not the path, is what is read, so a file renamed or
 * deleted under us is still drained to its end. Its state changes only through the
 * intent methods below; the tail manager decides when, from what it observes.
 *
 * Invariants: `position` is the offset of the next byte to read (= splitter.next);
 * `ackQueue.committed <= splitter.pendingStart <= position`; `head` is the file's first
 * `head.length` bytes (at most FINGERPRINT_BYTES) as last read or peeked.
 */
export class FileTailer {
  readonly identity: string;
  readonly dev: number;
  readonly ino: number;
  readonly #final: boolean;
  #source: ByteSource | undefined;
  #key: string;
  #path: string;
  #name: string;
  /** Watched paths that lead here now (several: a rotated name the globs match, a symlink). */
  readonly #paths = new Set<string>();
  #position: number;
  #size: number;
  #mtimeMs: number;
  #head: Buffer;
  #splitter: LineSplitter;
  #ackQueue: AckQueue;
  #lastGrowthMs: number;
  /** When it left its last watched path; undefined while a watched path leads here. */
  #detachedAtMs: number | undefined;
  #deleted = false;
  /** A gzip source returned its last byte (its size is not known before). */
  #inflated = false;
  /** Between seeing a truncation and restarting at 0: not to be read. */
  #truncating = false;
  /** The read loop found it done; the close runs in the discovery queue. */
  #closing = false;
  /** Closed to free its descriptor slot, but still known and tailed (see `park`). */
  #parked = false;
  #reading: Promise<number> | undefined;
  /** The last checkpoint entry, and the head it was made from (see `checkpoint`). */
  #entry: CheckpointEntry | undefined;
  #entryHead: Buffer | undefined;

  constructor(init: TailerInit, carried?: Pick<Generation, 'splitter' | 'ackQueue'>) {
    this.identity = identityOf(init.st);
    this.dev = init.st.dev;
    this.ino = init.st.ino;
    this.#source = init.source;
    this.#final = init.final ?? false;
    this.#path = init.path;
    this.#name = nameText(init.path);
    this.#key = init.key;
    this.#head = init.head;
    this.#position = init.offset;
    this.#size = init.source.compressed ? init.offset : init.st.size;
    this.#mtimeMs = init.st.mtimeMs;
    this.#splitter = carried?.splitter ?? new LineSplitter(init.maxLineBytes, init.offset);
    this.#ackQueue = carried?.ackQueue ?? new AckQueue(init.offset);
    this.#lastGrowthMs = init.nowMs;
    if (init.detached) this.#detachedAtMs = init.nowMs;
    else this.#paths.add(init.path);
  }

  // --- what records and checkpoints need -------------------------------------------------

  /** Part of every record id; a new one when the file is truncated (offsets restart). */
  get key(): string {
    return this.#key;
  }

  /** The watched path shown in records: the most recent one that led here. */
  get path(): string {
    return this.#path;
  }

  /** `path` as text for records, logs and /status (file-system.ts, `nameText`); read per line, so kept. */
  get name(): string {
    return this.#name;
  }

  get ackQueue(): AckQueue {
    return this.#ackQueue;
  }

  // --- state, for the manager and /status ------------------------------------------------

  /** Not closed: holding its descriptor, or parked. */
  get open(): boolean {
    return this.#source !== undefined || this.#parked;
  }

  /** Holds a descriptor now (one slot of TAILSHIP_MAX_OPEN_FILES). */
  get holdsDescriptor(): boolean {
    return this.#source !== undefined;
  }

  get parked(): boolean {
    return this.#parked;
  }

  /**
   * May be parked: a plain file at a watched path, not in a truncation or a close.
   * Rotated generations and copies are not: nothing would find them again by path.
   */
  get parkable(): boolean {
    return this.readable && !this.detached && !this.#final && !this.compressed;
  }

  /** When it last grew or was read (ms): quiet files are parked first. */
  get lastActiveMs(): number {
    return this.#lastGrowthMs;
  }

  /** Open and not being truncated or closed: the read loop may read it. */
  get readable(): boolean {
    return this.#source !== undefined && !this.#truncating && !this.#closing;
  }

  /** The descriptor it reads a plain (not gzip) file with, while open. */
  get descriptor(): number | undefined {
    return this.#source instanceof FileSource ? this.#source.fd : undefined;
  }

  get compressed(): boolean {
    return this.#source?.compressed ?? false;
  }

  get position(): number {
    return this.#position;
  }

  /** Modification time at the last look (ms). */
  get mtimeMs(): number {
    return this.#mtimeMs;
  }

  /** Largest size seen (a compressed source: what was read so far). */
  get size(): number {
    return this.#size;
  }

  get head(): Buffer {
    return this.#head;
  }

  /** Bytes known to be in the file and not yet read (gzip: 1 until its end is reached). */
  get unreadBytes(): number {
    if (this.compressed) return this.#inflated ? 0 : 1;
    return Math.max(0, this.#size - this.#position);
  }

  get detached(): boolean {
    return this.#detachedAtMs !== undefined;
  }

  get deleted(): boolean {
    return this.#deleted;
  }

  /** Every byte read is acknowledged (a closed file can then be retired). */
  get settled(): boolean {
    return this.#ackQueue.pending === 0 && this.#ackQueue.committed >= this.#position;
  }

  get truncating(): boolean {
    return this.#truncating;
  }

  // --- paths -----------------------------------------------------------------------------

  /** A watched path leads here (again). */
  attach(path: string): void {
    this.#paths.add(path);
    this.#path = path;
    this.#name = nameText(path);
    this.#detachedAtMs = undefined;
  }

  /** `path` no longer leads here. True when it was the last watched path: now rotated. */
  detach(path: string, nowMs: number): boolean {
    if (!this.#paths.delete(path)) return false;
    if (this.#paths.size > 0) {
      if (this.#path === path) this.#path = this.#paths.values().next().value!;
      return false;
    }
    this.#detachedAtMs = nowMs;
    return true;
  }

  // --- what the manager observes ---------------------------------------------------------

  /**
   * Takes in a stat of the file. Returns whether it changed since the last look (size or
   * mtime), which is when its head is worth comparing.
   */
  observe(st: FileStat, nowMs: number): boolean {
    const changed = st.size !== this.#size || st.mtimeMs !== this.#mtimeMs;
    if (st.size > this.#size) this.#lastGrowthMs = nowMs;
    // Never lowered: a smaller size is a truncation, and the largest size seen is what the
    // generation is known to have held (the bytes reported lost if no copy is found).
    if (!this.compressed) this.#size = Math.max(this.#size, st.size, this.#position);
    this.#mtimeMs = st.mtimeMs;
    this.#deleted = st.nlink === 0;
    return changed;
  }

  /** The descriptor's stat now. */
  stat(): Promise<FileStat> {
    return this.#openSource().stat();
  }

  /** The file's first `max` bytes now, read through the descriptor. */
  peekHead(max: number): Promise<Buffer> {
    return readHead(this.#openSource(), max);
  }

  /** Keeps a longer head peeked from the file (it had fewer bytes than a fingerprint before). */
  extendHead(head: Buffer): void {
    if (head.length > this.#head.length && head.subarray(0, this.#head.length).equals(this.#head)) this.#head = head;
  }

  #openSource(): ByteSource {
    if (this.#source === undefined) throw Object.assign(new Error(`${this.#path} is closed`), { code: 'EBADF' });
    return this.#source;
  }

  /**
   * Closable now: detached, read to its end and quiet for the rotate wait — counted from
   * the rotation too, so a quiet error.log renamed away still gets the lines nginx writes
   * to it before it reopens. A copy or gzip file needs no wait: nobody writes to it.
   */
  readyToClose(nowMs: number, rotateWaitMs: number): boolean {
    if (this.#detachedAtMs === undefined || this.unreadBytes > 0) return false;
    if (this.#final) return true;
    return nowMs - Math.max(this.#lastGrowthMs, this.#detachedAtMs) >= rotateWaitMs;
  }

  // --- reading ---------------------------------------------------------------------------

  /**
   * Reads the next chunk into `buf` and hands its complete lines to `onLine`, or those
   * wholly inside the chunk to `onRun` (LineSplitter.push). Returns the bytes read (0 at
   * the end). The file's first bytes are kept as they are read, so a rewrite in place is
   * recognised by its head even before the next poll.
   */
  read(buf: Buffer, onLine: LineHandler, nowMs: number, onRun?: RunHandler): Promise<number> {
    const reading = this.#read(buf, onLine, nowMs, onRun);
    this.#reading = reading;
    return reading.finally(() => {
      if (this.#reading === reading) this.#reading = undefined;
    });
  }

  async #read(buf: Buffer, onLine: LineHandler, nowMs: number, onRun: RunHandler | undefined): Promise<number> {
    const source = this.#source;
    if (source === undefined) return 0;
    const at = this.#position;
    const n = await source.read(buf, buf.length, at);
    if (n === 0 && source.compressed) this.#inflated = true;
    // A truncation seen while the read was in flight: these bytes may be either
    // generation's. The copy and the restart at 0 read them again, so drop them.
    if (n === 0 || this.#truncating || this.#source !== source) return 0;
    if (!this.#final && this.#head.length > 0 && (await this.#replacedDuring(source, buf, at, n))) return 0;
    if (at < FINGERPRINT_BYTES && this.#head.length === at) {
      this.#head = Buffer.concat([this.#head, buf.subarray(0, Math.min(n, FINGERPRINT_BYTES - at))]);
    }
    this.#position = at + n;
    if (this.#position > this.#size) this.#size = this.#position;
    this.#lastGrowthMs = nowMs;
    this.#splitter.push(buf.subarray(0, n), onLine, onRun);
    return n;
  }

  /**
   * Was the file truncated (and perhaps refilled) before the `n` bytes at `at` in `buf`
   * were read? Checked after the read, so bytes read before a truncation count as the old
   * generation's (its copy holds them too) and bytes read after it never do: a file
   * refilled faster than the polls look would otherwise have its new lines read at the
   * old generation's offsets, under its key. Bytes read over the known head are compared
   * with it; beyond it, an fstat and a pread of the head per read (synchronous: see
   * TailFs.sizeAndHeadSync). When it was, the bytes are dropped and `truncating` is set
   * for the manager.
   */
  async #replacedDuring(source: ByteSource, buf: Buffer, at: number, n: number): Promise<boolean> {
    const head = this.#head;
    const overlap = Math.min(n, head.length - at);
    let same: boolean;
    if (overlap > 0) {
      same = buf.subarray(0, overlap).equals(head.subarray(at, at + overlap));
    } else {
      const now = source.sizeAndHeadSync(head.length);
      if (now !== undefined) {
        same = now.size >= at + n && now.head.equals(head);
      } else {
        const [st, headNow] = await Promise.all([source.stat(), readHead(source, head.length)]);
        if (this.#truncating || this.#source !== source) return true;
        same = st.size >= at + n && headNow.equals(head);
      }
    }
    if (!same) this.#truncating = true;
    return !same;
  }

  /** Resolves when no read is in flight. */
  async idle(): Promise<void> {
    while (this.#reading !== undefined) await this.#reading.catch(() => 0);
  }

  // --- truncation ------------------------------------------------------------------------

  /** A truncation was seen: no more reads until `restart`. */
  beginTruncation(): void {
    this.#truncating = true;
  }

  /**
   * Restarts at offset 0 under `newKey` (offsets restart, so ids need a new key or they
   * would repeat those of the old content) and returns the generation that was being
   * read, with its partial line and ack queue: acks still in flight land on it.
   * Call after `idle()`.
   */
  restart(newKey: string, maxLineBytes: number): Generation {
    const old: Generation = {
      key: this.#key,
      head: this.#head,
      position: this.#position,
      knownSize: this.#size,
      splitter: this.#splitter,
      ackQueue: this.#ackQueue,
    };
    this.#key = newKey;
    this.#position = 0;
    this.#size = 0;
    this.#mtimeMs = 0;
    this.#head = Buffer.alloc(0);
    this.#splitter = new LineSplitter(maxLineBytes, 0);
    this.#ackQueue = new AckQueue(0);
    this.#truncating = false;
    return old;
  }

  // --- parking ---------------------------------------------------------------------------

  /**
   * Closes the descriptor but keeps everything else — identity, head, read position,
   * partial line, ack queue, key — so the file goes on where it stopped once `unpark`
   * hands it a descriptor of the same identity (docs/architecture.md, Tail side). Waits
   * for a read in flight first. Only when `parkable`.
   */
  async park(): Promise<void> {
    if (!this.parkable) return;
    this.#parked = true;
    await this.idle();
    const source = this.#source;
    this.#source = undefined;
    if (source !== undefined) await source.close();
  }

  /**
   * Takes a descriptor opened again at its path. The caller has checked it is the same
   * dev:inode; whether it was truncated meanwhile is what the next check tells (by size
   * and head), as for a file that was never parked.
   */
  unpark(source: ByteSource): void {
    if (!this.#parked) throw new Error(`${this.#path} is not parked`);
    this.#parked = false;
    this.#source = source;
  }

  // --- closing ---------------------------------------------------------------------------

  /** The read loop found it ready to close; no more reads. */
  beginClose(): void {
    this.#closing = true;
  }

  /** A last write arrived after all: read on. */
  cancelClose(size: number, nowMs: number): void {
    this.#closing = false;
    if (size > this.#size) {
      this.#size = size;
      this.#lastGrowthMs = nowMs;
    }
  }

  /** Nothing more will be written: a last line without a newline is emitted as it is. */
  flushPartial(onLine: LineHandler): void {
    this.#splitter.flush(onLine);
  }

  async close(): Promise<void> {
    const source = this.#source;
    this.#source = undefined;
    this.#closing = false;
    this.#parked = false;
    if (source !== undefined) await source.close();
  }

  /**
   * The checkpoint entry: this identity at its acknowledged offset. The same object while
   * nothing in it changed (its `seenMs` renewed at most every SEEN_RENEW_MS), so the
   * writer can tell 10,000 quiet files unchanged by reference instead of hashing and
   * serialising them every interval.
   */
  checkpoint(nowMs: number): CheckpointEntry {
    const e = this.#entry;
    if (
      e !== undefined &&
      e.key === this.#key &&
      e.offset === this.#ackQueue.committed &&
      e.path === this.#path &&
      this.#entryHead === this.#head &&
      nowMs - e.seenMs < SEEN_RENEW_MS
    ) {
      return e;
    }
    const fpHash = e !== undefined && this.#entryHead === this.#head ? e.fpHash : fingerprintHash(this.#head, this.#head.length);
    this.#entryHead = this.#head;
    this.#entry = {
      key: this.#key,
      dev: this.dev,
      ino: this.ino,
      fpLen: this.#head.length,
      fpHash,
      offset: this.#ackQueue.committed,
      path: this.#path,
      seenMs: nowMs,
    };
    return this.#entry;
  }
}
