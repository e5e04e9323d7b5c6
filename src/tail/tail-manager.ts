import { dirname } from 'node:path';
import type { MemoryBudget } from '../ack/memory-budget.js';
import type { CheckpointEntry } from '../checkpoint/checkpoint-format.js';
import { FileDiscovery, type Scan } from './file-discovery.js';
import { FileRegistry } from './file-registry.js';
import { RefusedError, type RefusalReason } from './file-admission.js';
import { errorCode, identityOf, nameText, nodeFs, type FileStat, type TailFs } from './file-system.js';
import { FileTailer, type Generation } from './file-tailer.js';
import { FINGERPRINT_BYTES } from './fingerprint.js';
import { GenerationFinder, type Adoption } from './generation-finder.js';
import type { GlobSet } from './glob-set.js';
import { discard, freshKey, openFile, type OpenedFile } from './open-file.js';
import { effectiveMaxOpenFiles, nofileSoftLimit, OpenFileLimit } from './open-file-limit.js';
import { ReadScheduler } from './read-scheduler.js';
import { truncationSeen } from './truncation.js';
import { SerialQueue } from './serial-queue.js';
import { TruncationHandler } from './truncation-handler.js';
import type { FileStatus, LineSink, TailObserver, TailOptions } from './tail-interfaces.js';

/** How many refused paths are remembered as reported (`#reported`). */
const REPORTED_PATHS = 10_000;

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
 *
 * Descriptors (docs/architecture.md, Tail side, "Many files"): at most `maxOpenFiles`
 * files at watched paths hold one. A file quiet for `closeInactiveMs`, or read to its end
 * while others wait for a slot, is parked: closed, still known with its offsets, and
 * opened again (same dev:inode, else it is treated as rotated) when it grows. Files that
 * need a slot wait their turn in arrival order; one with a backlog gives its slot up
 * after each chunk when others wait. Rotated generations and copies take a slot at once.
 */
/** TAILSHIP_MAX_OPEN_FILES and TAILSHIP_CLOSE_INACTIVE when the options do not say. */
export const DEFAULT_MAX_OPEN_FILES = 512;
export const DEFAULT_CLOSE_INACTIVE_MS = 5 * 60_000;

/**
 * The sweep of quiet files: each stat'ed every SWEEP_TICKS polls (at least SWEEP_MIN_FILES
 * a poll) — the safety net behind the directories' events, which see a change at once.
 * 10 polls cost 1,000 quiet files 2.6 % of a core; 30, under 1 %. With TAILSHIP_POLL_ONLY
 * there are no events: every file is stat'ed every poll.
 */
const SWEEP_TICKS = 30;
const SWEEP_MIN_FILES = 10;
/**
 * A file read to its end is quiet after this many polls without growth. Its directory's
 * events still see it change at once; until then each poll stats it: with 10 polls, 1,000
 * files that had just been written to cost 4 % of a core for 10 s.
 */
const QUIET_POLLS = 3;

/** The items that pass `keep`, in an array of their own. */
function select<T>(items: Iterable<T>, keep: (item: T) => boolean): T[] {
  const out: T[] = [];
  for (const item of items) if (keep(item)) out.push(item);
  return out;
}

/** Stats taken side by side in a poll (see #tick). */
const STATS_AT_ONCE = 256;

/** A stat that may have failed, as a value: one taken ahead and never awaited rejects nothing. */
type Looked = { readonly st: FileStat } | { readonly error: unknown };

const tryStat = (fs: TailFs, path: string): Promise<Looked> =>
  fs.stat(path).then(
    (st) => ({ st }),
    (error: unknown) => ({ error }),
  );

/** An open that may have failed: tried as a value, so several can run side by side. */
type Opening = { readonly file: OpenedFile } | { readonly error: unknown };

const tryOpen = (fs: TailFs, path: string): Promise<Opening> =>
  openFile(fs, path).then(
    (file) => ({ file }),
    (error: unknown) => ({ error }),
  );

/** Out of descriptors, the process's (EMFILE) or the system's (ENFILE): wait for a slot. */
const isDescriptorShortage = (code: string): boolean => code === 'EMFILE' || code === 'ENFILE';

export class TailManager {
  readonly #opts: TailOptions;
  readonly #fs: TailFs;
  readonly #sink: LineSink;
  readonly #observer: TailObserver;
  readonly #discovery: FileDiscovery;
  readonly #registry: FileRegistry;
  readonly #finder: GenerationFinder;
  readonly #truncations: TruncationHandler;
  readonly #reader: ReadScheduler;
  /** Paths that could not be opened, with the error code (for /status). */
  readonly #errors = new Map<string, string>();
  /**
   * Paths whose file is refused (file-admission.ts), with the identity the path led to: not
   * opened again while it leads there, looked at again when it leads to another file.
   * Most recent last.
   */
  readonly #refused = new Map<string, { identity: string; reason: RefusalReason }>();
  /**
   * Paths reported refused, and why: the report is made once per path, also when a path
   * comes and goes (a temp file of a state dir inside the volume). The most recent
   * REPORTED_PATHS only, so a flood of names cannot grow it.
   */
  readonly #reported = new Map<string, RefusalReason>();
  readonly #queue: SerialQueue;
  /** Descriptor slots; a waiter is a path to open or a parked tailer to open again. */
  readonly #slots: OpenFileLimit<string | FileTailer>;
  /** Tailers holding a descriptor (each holds one slot). */
  readonly #holding = new Set<FileTailer>();
  /** Paths of the first scan still waiting for a slot: TAILSHIP_START_AT applies to them. */
  readonly #initialWaiting = new Set<string>();
  readonly #closeInactiveMs: number;
  /** Waiters granted a slot, to be opened by the next #serveGranted. */
  readonly #granted: Array<string | FileTailer> = [];
  /** Parked files still to stat in this round of the sweep, and how many a tick. */
  #sweepQueue: FileTailer[] = [];
  #sweepPerTick = 0;
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
    this.#queue = new SerialQueue((error) => observer.failed(error));
    const requested = opts.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES;
    const nofile = opts.nofileSoftLimit === undefined ? nofileSoftLimit() : (opts.nofileSoftLimit ?? undefined);
    this.#slots = new OpenFileLimit(effectiveMaxOpenFiles(requested, nofile));
    this.#closeInactiveMs = opts.closeInactiveMs ?? DEFAULT_CLOSE_INACTIVE_MS;
    observer.openFileLimit?.(this.#slots.max, requested, nofile);
    this.#registry = new FileRegistry(checkpoints);
    this.#finder = new GenerationFinder(fs, this.#registry, {
      host: opts.host,
      knownSinceMs: opts.knownSinceMs ?? Date.now(),
      waitingForSlot: (path) => this.#slots.isWaiting(path),
    });
    this.#truncations = new TruncationHandler(fs, this.#registry, opts, observer);
    this.#reader = new ReadScheduler(opts.readChunkBytes, opts.rotateWaitMs, budget, {
      line: (t, line, start, end, truncated, now) => sink.line(t, line, start, end, truncated, now),
      lines: sink.lines?.bind(sink),
      bytesRead: (n) => observer.bytesRead(n),
      readFailed: (t, code) => this.#readFailed(t, code),
      // Unless a check handled it meanwhile (then the tailer is no longer truncating).
      truncated: (t) => void this.#queue.run(async () => (t.truncating ? this.#truncated(t) : undefined)),
      closable: (t) => void this.#queue.run(() => this.#closeTailer(t)),
      turnEnded: (t) => {
        if (this.#slots.waiting + this.#slots.over > 0 && t.parkable) void this.#queue.run(() => this.#yieldSlot(t));
      },
    }, () => this.#queue.drained);
    // A busy file sends an event per write: one look at it queued is enough.
    this.#discovery = new FileDiscovery(globs, fs, !opts.pollOnly, (path) => this.#queue.runOnce(path, () => this.#reconcile(path)));
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
    await this.#queue.run(() => this.#tick());
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
    await this.#queue.run(() => this.#tick());
  }

  /** Whether every open file has been read to its known end. */
  get caughtUp(): boolean {
    if (!this.#reader.idle || this.#slots.waiting > 0) return false;
    for (const t of this.#registry.tailers.values()) if (t.open && (t.unreadBytes > 0 || t.truncating)) return false;
    return true;
  }

  #schedulePoll(): void {
    if (this.#closed) return;
    this.#pollTimer = setTimeout(() => {
      void this.#queue.run(() => this.#tick()).finally(() => this.#schedulePoll());
    }, this.#opts.pollIntervalMs);
    this.#pollTimer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    const scan = await this.#discovery.scan();
    const seen = scan.seen;
    // One stat per file per tick: the path's stat serves its tailer's check too, so only
    // files no path leads to (rotated, deleted) need an fstat of their own.
    const checked = new Set<FileTailer>();
    const start = Date.now();
    const sweep = this.#sweep(start);
    // Not looked at this tick: quiet files outside this tick's share of the sweep.
    const resting = new Set<FileTailer>();
    const looked: string[] = [];
    for (const path of scan.paths) {
      // Waiting for a slot: nothing to look at yet.
      if (this.#slots.isWaiting(path)) continue;
      const id = this.#registry.at(path);
      const t = id === undefined ? undefined : this.#registry.tailers.get(id);
      if (t !== undefined && this.#quiet(t, start) && !sweep.has(t)) {
        resting.add(t);
        continue;
      }
      looked.push(path);
    }
    // The known paths' stats are taken side by side, STATS_AT_ONCE at a time, and used in
    // turn: one trip to the thread pool for many. A stat awaited alone cost 48 µs of CPU,
    // 34 at once 14 µs each (this machine), and the sweep is most of an idle poll's work.
    for (let from = 0; from < looked.length; from += STATS_AT_ONCE) {
      const window = looked.slice(from, from + STATS_AT_ONCE);
      const stats = window.map((path) => (this.#registry.at(path) === undefined ? undefined : tryStat(this.#fs, path)));
      for (let i = 0; i < window.length; i++) await this.#reconcile(window[i]!, checked, stats[i]);
    }
    // What each loop below goes through is chosen before its first await, as a copy of
    // the collection would be, but without copying a thousand entries a second to skip them.
    for (const path of select(this.#registry.watchedPaths, (p) => !seen.has(p))) await this.#reconcile(path, checked);
    for (const path of this.#errors.keys()) if (!seen.has(path)) this.#errors.delete(path);
    for (const path of this.#refused.keys()) if (!seen.has(path)) this.#refused.delete(path);
    const now = Date.now();
    for (const t of select(this.#registry.tailers.values(), (t) => !checked.has(t) && !resting.has(t))) await this.#check(t, now);
    for (const a of await this.#finder.lookAround(scan.dirs, now)) this.#adopt(a, now);
    const inactive = (t: FileTailer) => this.#idle(t) && now - t.lastActiveMs >= this.#closeInactiveMs;
    for (const t of select(this.#holding, inactive)) if (inactive(t)) await this.#park(t);
    await this.#makeRoom();
    this.#truncations.expire(now);
    this.#registry.prune(now, this.#opts.checkpointTtlMs);
  }

  /**
   * Quiet: parked, or at a watched path, read to its end and not grown for QUIET_POLLS
   * polls. Filesystem events on its directory see it change; the poll looks at it only in
   * its turn of the sweep.
   */
  #quiet(t: FileTailer, now: number): boolean {
    if (t.parked) return true;
    return t.parkable && t.unreadBytes === 0 && now - t.lastActiveMs >= QUIET_POLLS * this.#opts.pollIntervalMs;
  }

  /**
   * The quiet files to stat this tick, in turn: each is looked at every SWEEP_TICKS ticks,
   * so 10,000 quiet files cost a few hundred stats a tick, not ten thousand.
   */
  #sweep(now: number): Set<FileTailer> {
    if (this.#sweepQueue.length === 0) {
      for (const t of this.#registry.tailers.values()) if (this.#quiet(t, now)) this.#sweepQueue.push(t);
      const ticks = this.#opts.pollOnly ? 1 : SWEEP_TICKS;
      this.#sweepPerTick = Math.max(SWEEP_MIN_FILES, Math.ceil(this.#sweepQueue.length / ticks));
    }
    return new Set(this.#sweepQueue.splice(0, this.#sweepPerTick));
  }

  /**
   * Brings one path up to date: new file, same file, or a new file at an old path.
   * `looked`: its stat, when taken already this tick.
   */
  async #reconcile(path: string, checked?: Set<FileTailer>, looked?: Promise<Looked>): Promise<void> {
    if (this.#closed) return;
    // A path not known yet, with no slot free: it waits for one unlooked-at (what it leads
    // to is seen when it is opened), so 20,000 new files cost no stat each meanwhile.
    // A path refused before waits for nothing: it is looked at again once slots are free.
    if (this.#registry.at(path) === undefined && !this.#slots.available) {
      return this.#refused.has(path) ? undefined : this.#waitForSlot(path);
    }
    const look = await (looked ?? tryStat(this.#fs, path));
    if ('error' in look) {
      const code = errorCode(look.error);
      if (code === 'ENOENT' || code === 'ENOTDIR') this.#unmap(path);
      else this.#openFailed(path, code);
      return;
    }
    const st = look.st;
    if (st.isDirectory()) return;
    const id = identityOf(st);
    if (this.#refused.get(path)?.identity === id) return;
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
      for (const a of await this.#finder.look(dirname(path), undefined, Date.now())) this.#adopt(a, Date.now());
    }
    // A FIFO, socket or device: not opened at all (opening a device can do things).
    if (!st.isFile()) return this.#refuse(path, id, 'not_regular');
    const existing = this.#registry.tailers.get(id);
    if (existing) {
      // A known file under another name: a rotated name the globs match, or a symlink —
      // which the admission judges by its path too (with TAILSHIP_FOLLOW_SYMLINKS=none).
      if (!(await this.#admitted(path, id))) return;
      this.#refused.delete(path);
      this.#registry.map(path, existing);
      await this.#check(existing, Date.now());
      return;
    }
    await this.#openAt(path);
  }

  /** Opens a new file at `path` when a descriptor slot is free, else queues it for one. */
  async #openAt(path: string): Promise<void> {
    if (this.#slots.isWaiting(path)) return;
    if (!this.#slots.tryTake()) {
      await this.#waitForSlot(path);
      return;
    }
    await this.#openWithSlot(path);
  }

  /** Opens `path` holding a slot; the slot is given back unless a tailer keeps it. */
  async #openWithSlot(path: string): Promise<void> {
    await this.#opened(path, await tryOpen(this.#fs, path));
  }

  /** Registers what opening `path` with a slot gave (see #openWithSlot). */
  async #opened(path: string, opening: Opening): Promise<void> {
    const initial = this.#initialScan || this.#initialWaiting.delete(path);
    if ('error' in opening || this.#closed) {
      if ('file' in opening) await discard(opening.file);
      this.#releaseSlot();
      if (this.#closed || !('error' in opening)) return;
      if (opening.error instanceof RefusedError) return this.#refuseAt(path, opening.error.reason);
      const code = errorCode(opening.error);
      if (!isDescriptorShortage(code)) return this.#openFailed(path, code);
      this.#observer.descriptorsExhausted?.(path, code);
      if (initial) this.#initialWaiting.add(path);
      return this.#waitForSlot(path);
    }
    const file = opening.file;
    this.#errors.delete(path);
    this.#refused.delete(path);
    const reg = this.#registry;
    const existing = reg.tailers.get(file.identity);
    if (existing || reg.copyOfOneBeingRead(path, file) || file.source.compressed) {
      await discard(file);
      this.#releaseSlot();
      if (existing) reg.map(path, existing);
      return;
    }
    const resume = reg.resumePoint(file);
    // TAILSHIP_START_AT=end only on a first run: after a restart, a file with no checkpoint
    // appeared while tailship was down (or just before a crash), and all of it is news.
    const atEnd = resume === undefined && initial && this.#opts.firstRun && this.#opts.startAt === 'end';
    const offset = resume?.offset ?? (atEnd ? file.st.size : 0);
    reg.dormant.delete(file.identity);
    const t = this.#tailer(file, path, resume?.key ?? freshKey(this.#opts.host, file), offset, false);
    reg.map(path, t);
    this.#observer.fileOpened(path, offset, resume !== undefined);
    if (t.unreadBytes > 0) this.#reader.ready(t);
    else await this.#yieldSlot(t);
  }

  #tailer(file: OpenedFile, path: string, key: string, offset: number, detached: boolean, carried?: Generation): FileTailer {
    const t = new FileTailer(
      {
        source: file.source,
        st: file.st,
        path,
        key,
        head: file.head,
        offset,
        maxLineBytes: this.#opts.maxLineBytes,
        nowMs: Date.now(),
        detached,
        final: carried !== undefined || file.source.compressed,
      },
      carried,
    );
    this.#registry.tailers.set(t.identity, t);
    this.#holding.add(t);
    return t;
  }

  // --- descriptor slots --------------------------------------------------------------------

  /** Queues `w` for a slot, and parks quiet files to make room. */
  async #waitForSlot(w: string | FileTailer): Promise<void> {
    this.#slots.wait(w);
    if (typeof w === 'string' && this.#initialScan) this.#initialWaiting.add(w);
    await this.#makeRoom();
  }

  /** Gives a slot back; the first waiter, if any, gets it and is served in the queue. */
  #releaseSlot(): void {
    const next = this.#slots.release() ?? this.#slots.admit();
    if (next === undefined) return;
    this.#granted.push(next);
    if (this.#granted.length === 1) void this.#queue.run(() => this.#serveGranted());
  }

  /**
   * Opens the files granted a slot since the last time, side by side — each open is
   * several system calls, and one by one they made 20,000 files take minutes — then
   * registers them one by one, so two paths leading to one file still make one tailer.
   */
  async #serveGranted(): Promise<void> {
    const granted = this.#granted.splice(0);
    const openings = await Promise.all(
      granted.map(async (w) => (typeof w === 'string' ? ((await this.#mayOpen(w)) ? tryOpen(this.#fs, w) : undefined) : tryOpen(this.#fs, w.path))),
    );
    for (const [i, w] of granted.entries()) {
      const opening = openings[i];
      if (opening === undefined) this.#releaseSlot();
      else if (typeof w === 'string') await this.#opened(w, opening);
      else await this.#reopened(w, opening);
    }
  }

  /**
   * A path that waited for a slot unlooked-at is looked at before it is opened, as
   * #reconcile looks at any other: a FIFO, socket or device is refused without an open,
   * and a path refused before is not opened again while it leads to the same file.
   */
  async #mayOpen(path: string): Promise<boolean> {
    let st: FileStat;
    try {
      st = await this.#fs.stat(path);
    } catch {
      return true; // the open reports it
    }
    const id = identityOf(st);
    if (st.isDirectory() || this.#refused.get(path)?.identity === id) return false;
    if (st.isFile()) return true;
    this.#refuse(path, id, 'not_regular');
    return false;
  }

  /** A held file with nothing to read now and no read queued: may be parked. */
  #idle(t: FileTailer): boolean {
    return t.holdsDescriptor && t.parkable && t.unreadBytes === 0 && !this.#reader.queued(t);
  }

  /**
   * Parks the least recently active idle files while files wait for a slot, or while
   * reserved slots (rotated generations) put the count over the limit.
   */
  async #makeRoom(): Promise<void> {
    let need = this.#slots.waiting + this.#slots.over;
    if (need === 0) return;
    const idle = [...this.#holding].filter((t) => this.#idle(t)).sort((a, b) => a.lastActiveMs - b.lastActiveMs);
    for (const t of idle) {
      if (need-- <= 0) break;
      await this.#park(t);
    }
  }

  async #park(t: FileTailer): Promise<void> {
    if (!t.holdsDescriptor || !t.parkable) return;
    await t.park();
    this.#holding.delete(t);
    this.#releaseSlot();
  }

  /**
   * The read loop ended a turn of `t` while others wait for a slot: read to its end, it
   * gives its slot up; with bytes left, it goes to the back of the queue for one.
   */
  async #yieldSlot(t: FileTailer): Promise<void> {
    if (!t.holdsDescriptor || !t.parkable || this.#slots.waiting + this.#slots.over === 0) return;
    const backlog = t.unreadBytes > 0;
    await this.#park(t);
    if (backlog) this.#slots.wait(t);
  }

  /** Needs its descriptor back (it grew, or was truncated): now if a slot is free, else in turn. */
  async #wake(t: FileTailer): Promise<void> {
    if (this.#slots.isWaiting(t)) return;
    if (this.#slots.tryTake()) await this.#unpark(t);
    else await this.#waitForSlot(t);
  }

  /**
   * Opens a parked file again at its path, holding a slot. The same dev:inode carries on
   * where it stopped, checked by size and head as any file is (a truncation meanwhile is
   * seen there); another file at the path is left to the path's reconcile (a rotation),
   * which detaches the parked one.
   */
  async #unpark(t: FileTailer): Promise<void> {
    await this.#reopened(t, await tryOpen(this.#fs, t.path));
  }

  /** Registers what opening a parked file's path with a slot gave (see #unpark). */
  async #reopened(t: FileTailer, opening: Opening): Promise<void> {
    const same = 'file' in opening && opening.file.identity === t.identity && !opening.file.source.compressed;
    if (!same || this.#closed || !t.parked || !this.#registry.tailers.has(t.identity)) {
      if ('file' in opening) await discard(opening.file);
      this.#releaseSlot();
      if ('error' in opening && isDescriptorShortage(errorCode(opening.error)) && !this.#closed) {
        this.#observer.descriptorsExhausted?.(t.path, errorCode(opening.error));
        await this.#waitForSlot(t);
      }
      return; // gone, or another file there: the path's reconcile sees to it
    }
    t.unpark(opening.file.source);
    this.#holding.add(t);
    await this.#check(t, Date.now());
    if (t.unreadBytes === 0 && !this.#reader.queued(t)) await this.#yieldSlot(t);
  }

  #unmap(path: string): void {
    const rotated = this.#registry.unmap(path, Date.now());
    if (rotated !== undefined) this.#observer.rotated(path);
  }

  #openFailed(path: string, code: string): void {
    if (this.#errors.get(path) !== code) this.#observer.openFailed(path, code);
    this.#errors.set(path, code);
  }

  /** Whether `path` passes the admission, for a file already open under another path. */
  async #admitted(path: string, id: string): Promise<boolean> {
    try {
      await this.#fs.close(await this.#fs.open(path));
    } catch (error) {
      if (error instanceof RefusedError) {
        this.#refuse(path, id, error.reason);
        return false;
      }
      // Gone or unreadable now: the open file is what is read.
    }
    return true;
  }

  /** A refusal found by opening: remembered with the identity the path leads to now. */
  async #refuseAt(path: string, reason: RefusalReason): Promise<void> {
    const id = await this.#fs.stat(path).then(identityOf, () => '');
    this.#refuse(path, id, reason);
  }

  /** Reported once per path (again when the reason changes); the path is not opened again while it leads to `id`. */
  #refuse(path: string, id: string, reason: RefusalReason): void {
    this.#refused.delete(path); // most recent last
    this.#refused.set(path, { identity: id, reason });
    this.#errors.delete(path);
    if (this.#reported.get(path) === reason) return;
    this.#reported.delete(path);
    this.#reported.set(path, reason);
    if (this.#reported.size > REPORTED_PATHS) this.#reported.delete(this.#reported.keys().next().value!);
    this.#observer.refused?.(path, reason);
  }

  #readFailed(t: FileTailer, code: string): void {
    if (!t.compressed) {
      this.#openFailed(t.path, code);
      return;
    }
    // Corrupt gzip data does not heal: what it still held is lost.
    t.beginClose();
    this.#observer.lost?.(t.path, undefined, `compressed file unreadable from offset ${t.position} on (${code})`);
    void this.#queue.run(() => this.#closeTailer(t));
  }

  /**
   * Growth, truncation and the end of a rotated file, from a stat (the path's, when the
   * tick has one, else the descriptor's). A truncation is acted on at once, whether or not
   * the read loop is running: finding and opening the copy costs no memory budget.
   */
  async #check(t: FileTailer, now: number, pathStat?: FileStat): Promise<void> {
    if (t.parked) return this.#checkParked(t, now, pathStat);
    if (!t.open) {
      if (t.settled) this.#registry.retire(t, now);
      return;
    }
    if (t.truncating) return;
    if (!t.compressed) {
      let headNow: Buffer | undefined;
      let st: FileStat;
      try {
        // After any read in flight (none starts while discovery works): the position is
        // then what the file is compared with. A path stat taken before that read may
        // show a size below it only because it is older: then the descriptor's counts.
        await t.idle();
        const was = { position: t.position, size: t.size, head: t.head };
        st = pathStat !== undefined && pathStat.size >= Math.max(was.position, was.size) ? pathStat : await t.stat();
        // The head is compared whenever the file changed (a 1 KiB pread): a file truncated
        // and refilled past our offset between two looks would otherwise be read from
        // mid-line. An unchanged size and mtime spare quiet files the read.
        if (t.observe(st, now) && was.head.length > 0 && st.size >= was.head.length) {
          headNow = await t.peekHead(was.head.length);
        }
        if (truncationSeen(was, st.size, headNow)) {
          await this.#truncated(t);
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
   * A parked file, from its path's stat: changed → opened again (truncations included).
   * One no watched path leads to any more (renamed away or deleted while parked) is
   * retired to its checkpoint once its acks are in: the generation finder then resumes it
   * from there by identity if it holds more (a rotated name), as after a restart.
   */
  async #checkParked(t: FileTailer, now: number, pathStat: FileStat | undefined): Promise<void> {
    if (t.detached) {
      if (t.ackQueue.pending > 0) return;
      this.#slots.cancel(t);
      await t.close();
      this.#registry.retire(t, now);
      return;
    }
    if (pathStat !== undefined && (pathStat.size !== t.size || pathStat.mtimeMs !== t.mtimeMs)) await this.#wake(t);
  }

  /** A truncation: the file restarts at 0, the generation it held carries on in its copy. */
  async #truncated(t: FileTailer): Promise<void> {
    const copy = await this.#truncations.handle(t, Date.now());
    if (copy !== undefined) this.#adopt(copy, Date.now());
    this.#reader.ready(t);
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
        t = this.#tailer(a.file, a.entry.path, a.entry.key, a.entry.offset, true);
        this.#observer.fileOpened(a.file.path, a.entry.offset, true);
        break;
      case 'generation':
        t = this.#tailer(a.file, a.path, freshKey(this.#opts.host, a.file), 0, true);
        this.#observer.generationFound?.(a.path, a.file.path);
        break;
      case 'copy': {
        const g = a.orphan.generation;
        t = this.#tailer(a.file, a.orphan.path, g.key, g.position, true, g);
        this.#observer.copyFound?.(a.orphan.path, a.file.path, g.position);
        break;
      }
    }
    // Reserved: a generation not held now may be deleted unread. Parking brings the count back.
    this.#slots.takeReserved();
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
    const held = t.holdsDescriptor;
    await t.close();
    if (held) {
      this.#holding.delete(t);
      this.#releaseSlot();
    }
    this.#observer.fileClosed(t.path, t.deleted);
    if (t.settled) this.#registry.retire(t, now);
  }

  /** Checkpoint entries: every known identity at its acknowledged offset. */
  checkpoints(now: number): CheckpointEntry[] {
    return this.#registry.checkpoints(now);
  }

  /** The descriptor a file identity is read with, while open and still under `key` (not truncated since). */
  descriptorOf(identity: string, key: string): number | undefined {
    const t = this.#registry.tailers.get(identity);
    return t?.key === key ? t.descriptor : undefined;
  }

  /** The largest size a file identity was seen at (uncompressed, for gzip), if it is tailed. */
  knownSize(identity: string): number | undefined {
    return this.#registry.tailers.get(identity)?.size;
  }

  /** Per-file state for /status and metrics. */
  files(): FileStatus[] {
    return this.#registry.statuses();
  }

  /** Files being tailed: holding a descriptor or parked. */
  get watchedFiles(): number {
    let n = 0;
    for (const t of this.#registry.tailers.values()) if (t.open) n++;
    return n;
  }

  /** Descriptors held for tailed files (at most the limit, plus rotated generations). */
  get openFiles(): number {
    return this.#holding.size;
  }

  errors(): Array<{ path: string; code: string }> {
    return [...this.#errors].map(([path, code]) => ({ path: nameText(path), code }));
  }

  /** Paths whose file is refused, most recent last, at most `limit` of them (for /status). */
  refused(limit = 100): Array<{ path: string; reason: RefusalReason }> {
    return [...this.#refused].slice(-limit).map(([path, r]) => ({ path: nameText(path), reason: r.reason }));
  }

  /** Stops polling and reading and closes every descriptor. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    await this.#discovery.close();
    await this.#queue.drained;
    await this.#reader.close();
    this.#truncations.expire(Infinity);
    this.#slots.clear();
    for (const t of this.#registry.tailers.values()) await t.close();
    this.#holding.clear();
  }
}
