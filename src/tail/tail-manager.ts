import { basename, dirname } from 'node:path';
import type { MemoryBudget } from '../ack/memory-budget.js';
import type { CheckpointEntry } from '../checkpoint/checkpoint-format.js';
import { fileKey } from '../record/record-id.js';
import { findCopy } from './copy-finder.js';
import { FileDiscovery, type Scan } from './file-discovery.js';
import { FileRegistry } from './file-registry.js';
import { errorCode, identityOf, nodeFs, type DirEntry, type FileStat, type TailFs } from './file-system.js';
import { FileTailer, type Generation } from './file-tailer.js';
import { FINGERPRINT_BYTES, fingerprintMatches } from './fingerprint.js';
import { GenerationFinder, type Adoption } from './generation-finder.js';
import type { GlobSet } from './glob-set.js';
import { discard, openFile, type OpenedFile } from './open-file.js';
import { ReadScheduler } from './read-scheduler.js';
import { rotatedBaseOf } from './rotated-name.js';
import { mayBeCopyOf, truncationSeen } from './truncation.js';

export interface TailOptions {
  readonly host: string;
  readonly startAt: 'beginning' | 'end';
  /** No checkpoint file existed: the first run. Only then does `startAt: 'end'` apply. */
  readonly firstRun: boolean;
  /**
   * When the last run last recorded what it knew (the checkpoint's time); a rotated file
   * that appeared after it and is not known was never read. Default: now.
   */
  readonly knownSinceMs?: number;
  readonly maxLineBytes: number;
  readonly readChunkBytes: number;
  readonly pollIntervalMs: number;
  readonly pollOnly: boolean;
  readonly rotateWaitMs: number;
  /** Checkpoint entries of files not open for this long are forgotten. */
  readonly checkpointTtlMs: number;
  /**
   * How long a truncated generation whose copy is not there waits for it (a compressor
   * may still be writing it) before what it had unread is reported lost. Default 10 s.
   */
  readonly copyWaitMs?: number;
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
  /** A rotated generation of `path` never seen there, found as `found`: read from 0. */
  generationFound?(path: string, found: string): void;
  /** The copy of `path`'s truncated generation, `copy`, is read from `offset`. */
  copyFound?(path: string, copy: string, offset: number): void;
  /** Bytes of `path` that can no longer be read, and why; `bytes` undefined when not known. */
  lost?(path: string, bytes: number | undefined, reason: string): void;
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

const COPY_WAIT_MS = 10_000;
/** A directory unchanged for this long is still looked at every this often: a late writer. */
const LOOK_EVERY_MS = 10_000;

/**
 * The tail side's coordinator: discovery finds watched paths, a tailer reads each file
 * identity, the rotation rules keep every generation read once, and one read loop stops
 * at the memory budget. Lines go to the LineSink; nothing here knows about batches or
 * HTTP. All discovery work (events, poll ticks, truncations, closes) runs in one serial
 * queue, so two looks at one file never interleave; the read loop runs beside it.
 *
 * Rotation, as the rules in docs/architecture.md state them:
 * - rename + create: the renamed file is drained through its descriptor, then closed
 *   after the rotate wait; the new file is read from 0;
 * - generations rotated away before discovery saw them: generation-finder.ts;
 * - copytruncate, `>` and rewrites in place: a truncation, seen by size or by head
 *   (truncation.ts); the generation being read carries on in its copy (copy-finder.ts),
 *   the file restarts at 0.
 */
export class TailManager {
  readonly #opts: TailOptions;
  readonly #fs: TailFs;
  readonly #sink: LineSink;
  readonly #observer: TailObserver;
  readonly #discovery: FileDiscovery;
  readonly #registry: FileRegistry;
  readonly #finder: GenerationFinder;
  readonly #reader: ReadScheduler;
  /** Paths that could not be opened, with the error code (for /status). */
  readonly #errors = new Map<string, string>();
  /** Directories looked at, with their mtime then, and when. */
  readonly #looks = new Map<string, { mtimeMs: number; atMs: number }>();
  #serial: Promise<unknown> = Promise.resolve();
  /** Discovery tasks queued or running; the read loop waits while there are any. */
  #tasks = 0;
  /** Paths with an event-driven look queued. */
  readonly #eventPaths = new Set<string>();
  #pollTimer: NodeJS.Timeout | undefined;
  #initialScan = true;
  #closed = false;
  #started = false;

  constructor(
    globs: GlobSet,
    opts: TailOptions,
    sink: LineSink,
    budget: MemoryBudget,
    observer: TailObserver,
    checkpoints: readonly CheckpointEntry[],
    fs: TailFs = nodeFs,
  ) {
    this.#opts = opts;
    this.#fs = fs;
    this.#sink = sink;
    this.#observer = observer;
    this.#registry = new FileRegistry(checkpoints);
    this.#finder = new GenerationFinder(fs, this.#registry, { host: opts.host, knownSinceMs: opts.knownSinceMs ?? Date.now() });
    this.#reader = new ReadScheduler(opts.readChunkBytes, opts.rotateWaitMs, budget, {
      line: (t, line, start, end, truncated, now) => sink.line(t, line, start, end, truncated, now),
      bytesRead: (n) => observer.bytesRead(n),
      readFailed: (t, code) => this.#readFailed(t, code),
      // Unless a check handled it meanwhile (then the tailer is no longer truncating).
      truncated: (t) => void this.#enqueue(async () => (t.truncating ? this.#truncated(t, Date.now()) : undefined)),
      closable: (t) => void this.#enqueue(() => this.#closeTailer(t)),
    }, () => (this.#tasks > 0 ? this.#serial.then(() => undefined) : undefined));
    this.#discovery = new FileDiscovery(globs, fs, !opts.pollOnly, (path) => {
      // A busy file sends an event per write: one look at it queued is enough.
      if (this.#eventPaths.has(path)) return;
      this.#eventPaths.add(path);
      void this.#enqueue(() => {
        this.#eventPaths.delete(path);
        return this.#reconcile(path);
      });
    });
  }

  get started(): boolean {
    return this.#started && this.#discovery.watching;
  }

  /** Time of the last read that returned data (ms), for drain quiet detection. */
  get lastReadMs(): number {
    return this.#reader.lastReadMs;
  }

  /** Scans once (files present now honour TAILSHIP_START_AT), then polls. */
  async start(): Promise<void> {
    await this.#enqueue(() => this.#tick());
    this.#initialScan = false;
    this.#started = true;
    this.#schedulePoll();
  }

  /** Stops reading (tailers keep their state and descriptors until close). */
  pause(): void {
    this.#reader.pause();
  }

  /** One poll tick now, awaited: used by drain to see the last writes promptly. */
  async pollNow(): Promise<void> {
    await this.#enqueue(() => this.#tick());
  }

  /** Whether every open file has been read to its known end. */
  get caughtUp(): boolean {
    if (!this.#reader.idle) return false;
    for (const t of this.#registry.tailers.values()) if (t.open && (t.unreadBytes > 0 || t.truncating)) return false;
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
    this.#tasks++;
    const next = this.#serial
      .then(task)
      .catch((error: unknown) => this.#observer.failed(error))
      .finally(() => this.#tasks--);
    this.#serial = next;
    return next;
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    const scan = await this.#discovery.scan();
    const seen = new Set(scan.paths);
    // One stat per file per tick: the path's stat serves its tailer's check too, so only
    // files no path leads to (rotated, deleted) need an fstat of their own.
    const checked = new Set<FileTailer>();
    for (const path of scan.paths) await this.#reconcile(path, checked);
    for (const path of [...this.#registry.watchedPaths]) if (!seen.has(path)) await this.#reconcile(path, checked);
    for (const path of [...this.#errors.keys()]) if (!seen.has(path)) this.#errors.delete(path);
    const now = Date.now();
    for (const t of [...this.#registry.tailers.values()]) if (!checked.has(t)) await this.#check(t, now);
    await this.#lookAround(scan, now);
    this.#expireOrphans(now);
    this.#registry.prune(now, this.#opts.checkpointTtlMs);
  }

  /** Brings one path up to date: new file, same file, or a new file at an old path. */
  async #reconcile(path: string, checked?: Set<FileTailer>): Promise<void> {
    if (this.#closed) return;
    let st;
    try {
      st = await this.#fs.stat(path);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') this.#unmap(path);
      else this.#openFailed(path, code);
      return;
    }
    if (!st.isFile()) return;
    const id = identityOf(st);
    const prev = this.#registry.at(path);
    if (prev === id) {
      const t = this.#registry.tailers.get(id);
      if (t && !checked?.has(t)) {
        checked?.add(t);
        await this.#check(t, Date.now(), st);
      }
      return;
    }
    // The path leads to a new file: the old one was rotated away (rename + create).
    if (prev !== undefined) {
      this.#unmap(path);
      // Generations may have come and gone at this path since the last look.
      await this.#lookAt(dirname(path), undefined, Date.now());
    }
    const existing = this.#registry.tailers.get(id);
    if (existing) {
      // A known file under another name: a rotated name the globs match, or a symlink.
      this.#registry.map(path, existing);
      await this.#check(existing, Date.now());
      return;
    }
    await this.#openAt(path);
  }

  async #openAt(path: string): Promise<void> {
    let file: OpenedFile;
    try {
      file = await openFile(this.#fs, path);
    } catch (error) {
      this.#openFailed(path, errorCode(error));
      return;
    }
    this.#errors.delete(path);
    const reg = this.#registry;
    const existing = reg.tailers.get(file.identity);
    // The globs match a copy of a file being read (copytruncate's, before it truncates):
    // its truncation will claim it; read now it would ship that file's lines again.
    const dir = dirname(path);
    const names = reg.watchedNamesIn(dir);
    const copyOfRead =
      rotatedBaseOf(basename(path), (base) => names.has(base)) !== undefined &&
      reg.tailersIn(dir).some((t) => t.identity !== file.identity && mayBeCopyOf(file.head, t.head));
    if (existing || copyOfRead || file.source.compressed) {
      await discard(file);
      if (existing) reg.map(path, existing);
      return;
    }
    const saved = reg.dormant.get(file.identity);
    const now = Date.now();
    let offset = 0;
    let key: string | undefined;
    let resumed = false;
    if (saved && fingerprintMatches(file.head, saved.fpLen, saved.fpHash) && saved.offset <= file.st.size) {
      offset = saved.offset;
      key = saved.key;
      resumed = true;
    } else if (this.#initialScan && this.#opts.firstRun && this.#opts.startAt === 'end') {
      // Only on a first run: after a restart, a file with no checkpoint is one that
      // appeared while tailship was down (or just before a crash), and all of it is news.
      offset = file.st.size;
    }
    reg.dormant.delete(file.identity);
    const t = this.#tailer(file, path, key ?? this.#freshKey(file), offset, now, false);
    reg.map(path, t);
    this.#observer.fileOpened(path, offset, resumed);
    if (t.unreadBytes > 0) this.#reader.ready(t);
  }

  /** A key for a file first seen now; a reused inode (new head, new birth time) gets a new one. */
  #freshKey(file: OpenedFile): string {
    const { dev, ino, birthtimeMs } = file.st;
    return fileKey(this.#opts.host, dev, ino, Buffer.concat([file.head, Buffer.from(String(birthtimeMs))]));
  }

  #tailer(file: OpenedFile, path: string, key: string, offset: number, now: number, detached: boolean, carried?: Generation): FileTailer {
    const t = new FileTailer(
      {
        source: file.source,
        st: file.st,
        path,
        key,
        head: file.head,
        offset,
        maxLineBytes: this.#opts.maxLineBytes,
        nowMs: now,
        detached,
        final: carried !== undefined || file.source.compressed,
      },
      carried,
    );
    this.#registry.tailers.set(t.identity, t);
    return t;
  }

  #unmap(path: string): void {
    const rotated = this.#registry.unmap(path, Date.now());
    if (rotated !== undefined) this.#observer.rotated(path);
  }

  #openFailed(path: string, code: string): void {
    if (this.#errors.get(path) !== code) this.#observer.openFailed(path, code);
    this.#errors.set(path, code);
  }

  #readFailed(t: FileTailer, code: string): void {
    if (!t.compressed) {
      this.#openFailed(t.path, code);
      return;
    }
    // Corrupt gzip data does not heal: what it still held is lost.
    t.beginClose();
    this.#observer.lost?.(t.path, undefined, `compressed file unreadable from offset ${t.position} on (${code})`);
    void this.#enqueue(() => this.#closeTailer(t));
  }

  /**
   * Growth, truncation and the end of a rotated file, from a stat (the path's, when the
   * tick has one, else the descriptor's). A truncation is acted on at once, whether or not
   * the read loop is running: finding and opening the copy costs no memory budget.
   */
  async #check(t: FileTailer, now: number, pathStat?: FileStat): Promise<void> {
    if (!t.open) {
      if (t.settled) this.#registry.retire(t, now);
      return;
    }
    if (t.truncating) return;
    if (!t.compressed) {
      let headNow: Buffer | undefined;
      let st: FileStat;
      try {
        st = pathStat ?? (await t.stat());
        const was = { position: t.position, size: t.size, head: t.head };
        // The head is compared whenever the file changed (a 1 KiB pread): a file truncated
        // and refilled past our offset between two looks would otherwise be read from
        // mid-line. An unchanged size and mtime spare quiet files the read.
        if (t.observe(st, now) && was.head.length > 0 && st.size >= was.head.length) {
          headNow = await t.peekHead(was.head.length);
        }
        if (truncationSeen(was, st.size, headNow)) {
          await this.#truncated(t, now);
          return;
        }
        if (t.head.length < FINGERPRINT_BYTES && st.size > t.head.length) {
          t.extendHead(await t.peekHead(FINGERPRINT_BYTES));
        }
      } catch (error) {
        // EIO and friends: reported once per code; the next look tries again.
        this.#openFailed(t.path, errorCode(error));
        return;
      }
    }
    if (t.unreadBytes > 0 || t.readyToClose(now, this.#opts.rotateWaitMs)) this.#reader.ready(t);
  }

  /**
   * copytruncate, `>`, a rewrite in place. The file restarts at 0 under a new key; the
   * generation being read carries on in its copy, found by content, read from where
   * reading stopped with the same record ids. No copy (deleted, compressed in a format
   * tailship cannot read, never made): it may still appear (a compressor writing it) and
   * is waited for; then what was known unread is reported lost.
   */
  async #truncated(t: FileTailer, now: number): Promise<void> {
    t.beginTruncation();
    await t.idle();
    const generation = t.restart(fileKey(this.#opts.host, t.dev, t.ino, Buffer.from(`${t.key}:truncated:${now}`)), this.#opts.maxLineBytes);
    this.#observer.truncated(t.path, generation.position);
    const dir = dirname(t.path);
    const unread = generation.knownSize - generation.splitter.pendingStart;
    if (generation.head.length > 0) {
      const copy = await findCopy(this.#fs, dir, generation, (id) => this.#registry.tailers.has(id));
      if (copy !== undefined) this.#adopt({ kind: 'copy', file: copy, orphan: { generation, path: t.path, dir, expiresMs: now } }, now);
      else if (unread > 0) this.#registry.orphans.push({ generation, path: t.path, dir, expiresMs: now + (this.#opts.copyWaitMs ?? COPY_WAIT_MS) });
    } else if (unread > 0) {
      this.#observer.lost?.(t.path, unread, 'truncated before its first bytes were read');
    }
    this.#reader.ready(t);
  }

  #expireOrphans(now: number): void {
    const orphans = this.#registry.orphans;
    for (const o of [...orphans]) {
      if (o.expiresMs > now && !this.#closed) continue;
      orphans.splice(orphans.indexOf(o), 1);
      const g = o.generation;
      this.#observer.lost?.(o.path, g.knownSize - g.splitter.pendingStart, 'truncated, and no copy of what was unread was found (deleted, or compressed other than with gzip)');
    }
  }

  /**
   * Looks for rotated generations in every directory of watched files whose listing
   * changed, that has a truncated generation waiting for its copy, or that was not
   * looked at for a while (a late writer to a rotated file).
   */
  async #lookAround(scan: Scan, now: number): Promise<void> {
    for (const dir of this.#registry.directories()) {
      let mtimeMs: number;
      try {
        mtimeMs = (await this.#fs.stat(dir)).mtimeMs;
      } catch {
        continue;
      }
      const last = this.#looks.get(dir);
      // A change in the same clock tick as the last look may not move the mtime: look again.
      const changed = last === undefined || mtimeMs !== last.mtimeMs || mtimeMs >= last.atMs - 1000;
      const waiting = this.#registry.orphans.some((o) => o.dir === dir);
      if (changed || waiting || now - last.atMs >= LOOK_EVERY_MS) await this.#lookAt(dir, scan.dirs.get(dir), now, mtimeMs);
    }
  }

  async #lookAt(dir: string, entries: readonly DirEntry[] | undefined, now: number, mtimeMs?: number): Promise<void> {
    if (mtimeMs === undefined) {
      try {
        mtimeMs = (await this.#fs.stat(dir)).mtimeMs;
      } catch {
        return;
      }
    }
    const adoptions = await this.#finder.look(dir, entries, now);
    this.#looks.set(dir, { mtimeMs, atMs: now });
    for (const a of adoptions) this.#adopt(a, now);
  }

  /** Starts reading a file the rotation rules found: detached from any watched path. */
  #adopt(a: Adoption, now: number): void {
    const reg = this.#registry;
    if (reg.tailers.has(a.file.identity)) {
      void discard(a.file);
      return;
    }
    let t: FileTailer;
    switch (a.kind) {
      case 'resume':
        reg.dormant.delete(a.file.identity);
        t = this.#tailer(a.file, a.entry.path, a.entry.key, a.entry.offset, now, true);
        this.#observer.fileOpened(a.file.path, a.entry.offset, true);
        break;
      case 'generation':
        t = this.#tailer(a.file, a.path, this.#freshKey(a.file), 0, now, true);
        this.#observer.generationFound?.(a.path, a.file.path);
        break;
      case 'copy': {
        const g = a.orphan.generation;
        t = this.#tailer(a.file, a.orphan.path, g.key, g.position, now, true, g);
        this.#observer.copyFound?.(a.orphan.path, a.file.path, g.position);
        break;
      }
    }
    this.#reader.ready(t);
  }

  /** Runs in the discovery queue, after the read loop found a file done. */
  async #closeTailer(t: FileTailer): Promise<void> {
    const now = Date.now();
    if (!t.compressed) {
      try {
        // A last write may have come since the read loop's look: read it first.
        const st = await t.stat();
        if (st.size > t.position) {
          t.cancelClose(st.size, now);
          this.#reader.ready(t);
          return;
        }
      } catch {
        // Unreadable now: close what we have.
      }
    }
    // Nothing more will be written: a last line without a newline is shipped as it is.
    t.flushPartial((line, start, end, truncated) => this.#sink.line(t, line, start, end, truncated, now));
    this.#sink.end(t);
    await t.close();
    this.#observer.fileClosed(t.path, t.deleted);
    if (t.settled) this.#registry.retire(t, now);
  }

  /** Checkpoint entries: every known identity at its acknowledged offset. */
  checkpoints(now: number): CheckpointEntry[] {
    return this.#registry.checkpoints(now);
  }

  /** Per-file state for /status and metrics. */
  files(): FileStatus[] {
    return [...this.#registry.tailers.values()].map((t) => ({
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
    for (const t of this.#registry.tailers.values()) if (t.open) n++;
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
    await this.#reader.close();
    this.#expireOrphans(Date.now());
    for (const t of this.#registry.tailers.values()) await t.close();
  }
}
