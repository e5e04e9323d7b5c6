import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CheckpointEntry } from '../checkpoint/checkpoint-format.js';
import type { MemoryBudget } from '../ack/memory-budget.js';
import { AckQueue } from '../ack/ack-queue.js';
import { fileKey } from '../record/record-id.js';
import { FileDiscovery } from './file-discovery.js';
import { FINGERPRINT_BYTES, fingerprintMatches } from './fingerprint.js';
import { FileTailer, fstatAsync, identityOf, openAsync, readHead, closeAsync } from './file-tailer.js';
import type { GlobSet } from './glob-set.js';

export interface TailOptions {
  readonly host: string;
  readonly startAt: 'beginning' | 'end';
  /** No checkpoint file existed: the first run. Only then does `startAt: 'end'` apply. */
  readonly firstRun: boolean;
  readonly maxLineBytes: number;
  readonly readChunkBytes: number;
  readonly pollIntervalMs: number;
  readonly pollOnly: boolean;
  readonly rotateWaitMs: number;
  /** Checkpoint entries of files not open for this long are forgotten. */
  readonly checkpointTtlMs: number;
}

/** Receives every complete line, in file order per file. */
export interface LineSink {
  line(tailer: FileTailer, line: Buffer, start: number, end: number, truncated: boolean, readTimeMs: number): void;
  /** The file is closing: nothing more will come from it (a held multiline record may go). */
  end(tailer: FileTailer): void;
}

/** What the tail side reports; main turns these into logs and metrics. */
export interface TailObserver {
  fileOpened(path: string, offset: number, resumed: boolean): void;
  fileClosed(path: string, deleted: boolean): void;
  truncated(path: string, previousOffset: number): void;
  /** A file left every watched path (renamed away, replaced or deleted). */
  rotated(path: string): void;
  openFailed(path: string, code: string): void;
  bytesRead(n: number): void;
  /** Discovery work failed unexpectedly (an I/O error); it is tried again next tick. */
  failed(error: unknown): void;
}

export interface FileStatus {
  readonly path: string;
  readonly identity: string;
  readonly readOffset: number;
  readonly ackedOffset: number;
  readonly size: number;
  /** File size minus acknowledged offset. */
  readonly bytesBehind: number;
  readonly state: 'open' | 'rotated' | 'closed';
}

/**
 * The tail side: which files exist (discovery), one tailer per identity, rotation,
 * truncation and deletion, and a single read loop that stops when the memory budget is
 * spent. Lines go to the LineSink; nothing here knows about batches or HTTP.
 */
export class TailManager {
  readonly #opts: TailOptions;
  readonly #sink: LineSink;
  readonly #budget: MemoryBudget;
  readonly #observer: TailObserver;
  readonly #discovery: FileDiscovery;
  /** Open and closing tailers by identity. */
  readonly #tailers = new Map<string, FileTailer>();
  /** Which identity each watched path currently leads to. */
  readonly #paths = new Map<string, string>();
  /** Checkpoints of identities not open now (from the last run, or closed files). */
  readonly #dormant = new Map<string, CheckpointEntry>();
  /** Paths that could not be opened, with the error code (for /status). */
  readonly #errors = new Map<string, string>();
  readonly #readBuf: Buffer;
  readonly #ready: FileTailer[] = [];
  #pumping = false;
  #paused = false;
  #serial: Promise<unknown> = Promise.resolve();
  #pollTimer: NodeJS.Timeout | undefined;
  #initialScan = true;
  #closed = false;
  #started = false;
  #lastReadMs = 0;

  constructor(
    globs: GlobSet,
    opts: TailOptions,
    sink: LineSink,
    budget: MemoryBudget,
    observer: TailObserver,
    checkpoints: readonly CheckpointEntry[],
  ) {
    this.#opts = opts;
    this.#sink = sink;
    this.#budget = budget;
    this.#observer = observer;
    this.#readBuf = Buffer.allocUnsafe(opts.readChunkBytes);
    for (const c of checkpoints) this.#dormant.set(`${c.dev}:${c.ino}`, c);
    this.#discovery = new FileDiscovery(globs, !opts.pollOnly, (path) => {
      this.#enqueue(() => this.#reconcile(path));
    });
  }

  get started(): boolean {
    return this.#started && this.#discovery.watching;
  }

  /** Time of the last read that returned data (ms), for drain quiet detection. */
  get lastReadMs(): number {
    return this.#lastReadMs;
  }

  /** Scans once (files present now honour TAILSHIP_START_AT), then polls. */
  async start(): Promise<void> {
    await this.#enqueue(() => this.#tick());
    await this.#enqueue(() => this.#recoverRotated());
    this.#initialScan = false;
    this.#started = true;
    this.#schedulePoll();
  }

  /** Stops reading (tailers keep their state and descriptors until close). */
  pause(): void {
    this.#paused = true;
  }

  /** One poll tick now, awaited: used by drain to see the last writes promptly. */
  async pollNow(): Promise<void> {
    await this.#enqueue(() => this.#tick());
  }

  /** Whether every open file has been read to its known end. */
  get caughtUp(): boolean {
    if (this.#ready.length > 0 || this.#pumping) return false;
    for (const t of this.#tailers.values()) if (t.open && t.unreadBytes > 0) return false;
    return true;
  }

  #schedulePoll(): void {
    if (this.#closed) return;
    this.#pollTimer = setTimeout(() => {
      void this.#enqueue(() => this.#tick()).finally(() => this.#schedulePoll());
    }, this.#opts.pollIntervalMs);
    this.#pollTimer.unref();
  }

  /**
   * Serialises discovery work so two events for one path never open it twice. Never
   * rejects: an unexpected error (EIO) is reported and the next tick tries again, instead
   * of an unhandled rejection ending the process.
   */
  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#serial.then(task).catch((error: unknown) => this.#observer.failed(error));
    this.#serial = next;
    return next;
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    const found = await this.#discovery.scan();
    const seen = new Set(found);
    // One stat per file per tick: the path's stat serves its tailer's check too, so only
    // files no path leads to (rotated, deleted) need an fstat of their own.
    const checked = new Set<FileTailer>();
    for (const path of found) await this.#reconcile(path, checked);
    for (const path of [...this.#paths.keys()]) if (!seen.has(path)) await this.#reconcile(path, checked);
    for (const path of [...this.#errors.keys()]) if (!seen.has(path)) this.#errors.delete(path);
    const now = Date.now();
    for (const t of [...this.#tailers.values()]) if (!checked.has(t)) await this.#check(t, now);
    this.#prune(now);
  }

  /** Brings one path up to date: new file, same file, or a new file at an old path. */
  async #reconcile(path: string, checked?: Set<FileTailer>): Promise<void> {
    if (this.#closed) return;
    let st;
    try {
      st = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      if (code === 'ENOENT' || code === 'ENOTDIR') this.#unmap(path);
      else this.#openFailed(path, code);
      return;
    }
    if (!st.isFile()) return;
    const id = identityOf(st);
    const prev = this.#paths.get(path);
    if (prev === id) {
      const t = this.#tailers.get(id);
      if (t && !checked?.has(t)) {
        checked?.add(t);
        await this.#check(t, Date.now(), st);
      }
      return;
    }
    // The path leads to a new file: the old one was rotated away (rename + create).
    if (prev !== undefined) this.#unmap(path);
    const existing = this.#tailers.get(id);
    if (existing) {
      // A known file under another name: a rotated name the globs match, or a symlink.
      this.#map(path, existing);
      await this.#check(existing, Date.now());
      return;
    }
    await this.#openTailer(path);
  }

  async #openTailer(path: string): Promise<void> {
    let fd: number;
    try {
      fd = await openAsync(path, 'r');
    } catch (error) {
      this.#openFailed(path, (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN');
      return;
    }
    let st;
    let head;
    try {
      // Identity comes from the descriptor: the path may have moved since stat().
      st = await fstatAsync(fd);
      head = this.#tailers.has(identityOf(st)) ? undefined : await readHead(fd, st.size);
    } catch (error) {
      await closeAsync(fd).catch(() => {});
      this.#openFailed(path, (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN');
      return;
    }
    this.#errors.delete(path);
    const id = identityOf(st);
    const existing = this.#tailers.get(id);
    if (existing || head === undefined) {
      await closeAsync(fd);
      if (existing) this.#map(path, existing);
      return;
    }
    this.#adopt(fd, st, head, path, false);
  }

  /**
   * Starts tailing an open file: from its checkpoint when dev:inode and fingerprint
   * match, else from 0 (or its end, on a first run with TAILSHIP_START_AT=end).
   * `rotated`: found by its checkpoint under a name the globs do not match (it was
   * rotated away while tailship was down): drained, then closed.
   */
  #adopt(fd: number, st: Stats, head: Buffer, path: string, rotated: boolean): void {
    const id = identityOf(st);
    const now = Date.now();
    const saved = this.#dormant.get(id);
    let offset = 0;
    let key: string | undefined;
    let resumed = false;
    if (saved && fingerprintMatches(head, saved.fpLen, saved.fpHash) && saved.offset <= st.size) {
      offset = saved.offset;
      key = saved.key;
      resumed = true;
    } else if (this.#initialScan && this.#opts.firstRun && this.#opts.startAt === 'end') {
      // Only on a first run: after a restart, a file with no checkpoint is one that
      // appeared while tailship was down (or just before a crash), and all of it is news.
      offset = st.size;
    }
    // A reused inode (fingerprint mismatch) gets a fresh key, so its ids are new too.
    this.#dormant.delete(id);
    key ??= fileKey(this.#opts.host, st.dev, st.ino, Buffer.concat([head, Buffer.from(String(st.birthtimeMs))]));
    const t = new FileTailer({
      fd,
      st,
      path,
      key,
      head,
      offset,
      maxLineBytes: this.#opts.maxLineBytes,
      nowMs: now,
    });
    this.#tailers.set(id, t);
    if (rotated) {
      t.detached = true;
      t.rotatedAtMs = now;
    } else {
      this.#map(path, t);
    }
    this.#observer.fileOpened(path, offset, resumed);
    if (t.unreadBytes > 0 || rotated) this.#markReady(t);
  }

  /**
   * After a restart: files with a checkpoint that no watched path leads to any more were
   * rotated away while tailship was down, perhaps with lines never shipped. Their
   * directory is searched for the same dev:inode and fingerprint, and what is found is
   * read to its end from the checkpoint. One readdir per directory, once, at start.
   */
  async #recoverRotated(): Promise<void> {
    const byDir = new Map<string, CheckpointEntry[]>();
    for (const e of this.#dormant.values()) {
      const list = byDir.get(dirname(e.path)) ?? [];
      list.push(e);
      byDir.set(dirname(e.path), list);
    }
    for (const [dir, entries] of byDir) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      const wanted = new Map(entries.map((e) => [`${e.dev}:${e.ino}`, e]));
      for (const name of names) {
        const path = join(dir, name);
        let st;
        try {
          st = await stat(path);
        } catch {
          continue;
        }
        const e = wanted.get(identityOf(st));
        if (!e || !st.isFile() || st.size <= e.offset || this.#tailers.has(identityOf(st))) continue;
        let fd: number | undefined;
        try {
          fd = await openAsync(path, 'r');
          const opened = await fstatAsync(fd);
          const head = await readHead(fd, opened.size);
          if (identityOf(opened) !== identityOf(st) || !fingerprintMatches(head, e.fpLen, e.fpHash)) {
            await closeAsync(fd);
            continue;
          }
          this.#adopt(fd, opened, head, path, true);
        } catch (error) {
          if (fd !== undefined) await closeAsync(fd).catch(() => {});
          this.#openFailed(path, (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN');
        }
      }
    }
  }

  #map(path: string, t: FileTailer): void {
    this.#paths.set(path, t.identity);
    t.paths.add(path);
    t.path = path;
    t.detached = false;
    t.rotatedAtMs = undefined;
  }

  #unmap(path: string): void {
    const id = this.#paths.get(path);
    if (id === undefined) return;
    this.#paths.delete(path);
    const t = this.#tailers.get(id);
    if (!t) return;
    t.paths.delete(path);
    if (t.paths.size > 0) t.path = [...t.paths][0]!;
    else {
      // Renamed away, replaced or deleted: drained, then closed after the rotate wait.
      t.detached = true;
      t.rotatedAtMs = Date.now();
      this.#observer.rotated(path);
    }
  }

  #openFailed(path: string, code: string): void {
    if (this.#errors.get(path) !== code) this.#observer.openFailed(path, code);
    this.#errors.set(path, code);
  }

  /**
   * Growth, truncation and the end of a rotated file, from the descriptor's stat. Only
   * observes: the read loop applies truncation and decides to close, so a read in flight
   * never races a change of position or descriptor.
   */
  async #check(t: FileTailer, now: number, pathStat?: Stats): Promise<void> {
    if (!t.open || t.closing) {
      if (!t.open && this.#settled(t)) this.#retire(t);
      return;
    }
    try {
      const st = pathStat ?? (await fstatAsync(t.fd!));
      // The head is compared whenever the file changed (a 1 KiB pread): a file truncated
      // and refilled past our offset between two looks would otherwise be read from
      // mid-line. An unchanged size and mtime spare quiet files the read.
      const changed = st.size !== t.size || st.mtimeMs !== t.mtimeMs;
      t.mtimeMs = st.mtimeMs;
      if (st.size < t.position || (changed && (await this.#headChanged(t, st.size)))) t.truncatePending = true;
      if (st.size > t.size) t.lastGrowthMs = now;
      t.size = Math.max(st.size, t.position);
      t.deleted = st.nlink === 0;
      if (t.head.length < FINGERPRINT_BYTES && st.size > t.head.length && !t.truncatePending) {
        t.head = await readHead(t.fd!, st.size);
      }
    } catch (error) {
      // EIO and friends: reported once per code; the next look tries again.
      this.#openFailed(t.path, (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN');
      return;
    }
    if (t.unreadBytes > 0 || t.truncatePending || this.#quietAfterRotation(t, now)) this.#markReady(t);
  }

  /**
   * A rotated file may close once it has not grown for the rotate wait, counted from the
   * rotation too: a quiet error.log renamed away must still get the lines nginx writes to
   * it before it reopens.
   */
  #quietAfterRotation(t: FileTailer, now: number): boolean {
    return t.detached && now - Math.max(t.lastGrowthMs, t.rotatedAtMs ?? 0) >= this.#opts.rotateWaitMs;
  }

  /** Every byte read from the file is acknowledged (a closed file can then be retired). */
  #settled(t: FileTailer): boolean {
    return t.ackQueue.pending === 0 && t.ackQueue.committed >= t.position;
  }

  /** Runs in the discovery queue, after the read loop found a rotated file quiet at its end. */
  async #closeTailer(t: FileTailer): Promise<void> {
    const now = Date.now();
    try {
      // A last write may have come since the read loop's look: read it first.
      const st = await fstatAsync(t.fd!);
      if (st.size > t.position) {
        t.closing = false;
        t.size = st.size;
        t.lastGrowthMs = now;
        this.#markReady(t);
        return;
      }
    } catch {
      // Unreadable now: close what we have.
    }
    // Nothing more will be written: a last line without a newline is shipped as it is.
    t.splitter.flush((line, start, end, truncated) => this.#sink.line(t, line, start, end, truncated, now));
    this.#sink.end(t);
    await t.close();
    this.#observer.fileClosed(t.path, t.deleted);
    if (this.#settled(t)) this.#retire(t);
  }

  /**
   * copytruncate and friends: the file shrank below our position, or its first bytes are
   * no longer those we fingerprinted (truncated and refilled between two looks).
   */
  async #headChanged(t: FileTailer, size: number): Promise<boolean> {
    if (t.head.length === 0 || t.position === 0 || size < t.head.length) return false;
    const now = await readHead(t.fd!, t.head.length);
    return !now.equals(t.head);
  }

  #truncated(t: FileTailer): void {
    const previous = t.position;
    t.truncatePending = false;
    t.position = 0;
    t.splitter.reset(0);
    // Offsets restart, so the old queue's acks must not move this file's checkpoint,
    // and ids need a new key or they would repeat those of the old content.
    t.ackQueue = new AckQueue(0);
    t.key = fileKey(this.#opts.host, t.dev, t.ino, Buffer.from(`${t.key}:truncated:${Date.now()}`));
    t.head = Buffer.alloc(0);
    this.#observer.truncated(t.path, previous);
  }

  /**
   * A closed file whose data is all acknowledged: keep only its checkpoint, so a restart
   * or a glob change does not read a renamed-away file again. A deleted file cannot be
   * resumed, and its entry would only stand in the way of a reused inode.
   */
  #retire(t: FileTailer): void {
    this.#tailers.delete(t.identity);
    if (!t.deleted) this.#dormant.set(t.identity, this.#entry(t, Date.now()));
  }

  #prune(now: number): void {
    for (const [id, e] of this.#dormant) if (now - e.seenMs > this.#opts.checkpointTtlMs) this.#dormant.delete(id);
  }

  #markReady(t: FileTailer): void {
    if (t.queued || !t.open) return;
    t.queued = true;
    this.#ready.push(t);
    void this.#pump();
  }

  /**
   * The read loop. One shared buffer, one read at a time: lines are handed to the sink
   * (which encodes them) before the next read, so the buffer can be reused. A file that
   * filled the buffer goes to the back of the queue, so one busy file cannot starve the
   * others.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#closed && !this.#paused) {
        if (this.#budget.exhausted) {
          this.#budget.onRoom(() => void this.#pump());
          return;
        }
        const t = this.#ready.shift();
        if (!t) return;
        t.queued = false;
        if (!t.open || t.closing) continue;
        if (t.truncatePending) this.#truncated(t);
        let n: number;
        try {
          n = await t.readInto(this.#readBuf);
        } catch (error) {
          this.#openFailed(t.path, (error as NodeJS.ErrnoException).code ?? 'EREAD');
          continue;
        }
        const now = Date.now();
        if (n === 0) {
          if (this.#quietAfterRotation(t, now)) {
            t.closing = true;
            void this.#enqueue(() => this.#closeTailer(t));
          }
          continue;
        }
        this.#lastReadMs = now;
        t.lastGrowthMs = now;
        this.#observer.bytesRead(n);
        t.splitter.push(this.#readBuf.subarray(0, n), (line, start, end, truncated) =>
          this.#sink.line(t, line, start, end, truncated, now),
        );
        if (n === this.#readBuf.length || t.unreadBytes > 0) this.#markReadyLater(t);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #markReadyLater(t: FileTailer): void {
    if (t.queued) return;
    t.queued = true;
    this.#ready.push(t);
  }

  #entry(t: FileTailer, now: number): CheckpointEntry {
    return {
      key: t.key,
      dev: t.dev,
      ino: t.ino,
      ...t.fingerprint(),
      offset: t.ackQueue.committed,
      path: t.path,
      seenMs: now,
    };
  }

  /** Checkpoint entries: every known identity at its acknowledged offset. */
  checkpoints(now: number): CheckpointEntry[] {
    const out: CheckpointEntry[] = [...this.#dormant.values()];
    for (const t of this.#tailers.values()) if (!t.deleted) out.push(this.#entry(t, now));
    return out;
  }

  /** Per-file state for /status and metrics. */
  files(): FileStatus[] {
    return [...this.#tailers.values()].map((t) => ({
      path: t.path,
      identity: t.identity,
      readOffset: t.position,
      ackedOffset: t.ackQueue.committed,
      size: t.size,
      bytesBehind: Math.max(0, t.size - t.ackQueue.committed),
      state: !t.open ? 'closed' : t.detached ? 'rotated' : 'open',
    }));
  }

  get openFiles(): number {
    let n = 0;
    for (const t of this.#tailers.values()) if (t.open) n++;
    return n;
  }

  errors(): Array<{ path: string; code: string }> {
    return [...this.#errors].map(([path, code]) => ({ path, code }));
  }

  /** Stops polling and reading and closes every descriptor. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    await this.#discovery.close();
    await this.#serial;
    while (this.#pumping) await new Promise((r) => setImmediate(r));
    for (const t of this.#tailers.values()) await t.close();
  }
}
