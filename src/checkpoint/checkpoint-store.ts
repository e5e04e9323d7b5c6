import { mkdir, open, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { TailshipError } from '../errors.js';
import { parseCheckpointFile, serializeCheckpoints, type CheckpointEntry } from './checkpoint-format.js';

export const CHECKPOINT_FILE = 'checkpoints.json';

/**
 * Persists checkpoints in the state dir: write to a temp file, fsync, rename over the
 * old one, fsync the directory. A crash leaves either the old or the new file, whole.
 */
export class CheckpointStore {
  readonly dir: string;
  readonly #log: Logger;
  /** What was last written, without the times (see `write`). */
  #lastWritten = '';
  /** The entries last written or found unchanged: compared by reference first. */
  #lastEntries: readonly CheckpointEntry[] = [];
  #existed = false;
  #writtenMs = 0;

  constructor(dir: string, log: Logger) {
    this.dir = dir;
    this.#log = log;
  }

  get path(): string {
    return join(this.dir, CHECKPOINT_FILE);
  }

  /** Creates the state dir if needed and proves it writable; a clear start-up error if not. */
  prepare(): Promise<void> {
    return prepareStateDir(this.dir);
  }

  /** Whether a checkpoint file was there at load (readable or not): not a first run. */
  get existed(): boolean {
    return this.#existed;
  }

  /** When the loaded file was written (ms; 0 when none was loaded): the last run knew every file older. */
  get writtenMs(): number {
    return this.#writtenMs;
  }

  /** Loads the checkpoints; a corrupt file is moved aside with a warning, never a crash loop. */
  async load(): Promise<CheckpointEntry[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      this.#existed = true;
      return this.#setAside(error);
    }
    this.#existed = true;
    try {
      const { writtenMs, files } = parseCheckpointFile(text);
      this.#lastWritten = comparable(files);
      this.#writtenMs = writtenMs;
      return files;
    } catch (error) {
      return this.#setAside(error);
    }
  }

  async #setAside(error: unknown): Promise<CheckpointEntry[]> {
    const aside = `${this.path}.corrupt-${Date.now()}`;
    try {
      await rename(this.path, aside);
    } catch {
      // Unreadable and unmovable: starting from scratch is still better than not starting.
    }
    this.#log.warn({ err: error, movedTo: aside }, 'checkpoint file unreadable; set aside, files start fresh');
    return [];
  }

  /**
   * Writes the checkpoints if anything but their times changed since the last write: an
   * idle tailship does not rewrite and fsync its state every second.
   */
  async write(entries: readonly CheckpointEntry[], nowMs: number): Promise<void> {
    // The tail hands the same entry objects while nothing in them changed: with thousands
    // of quiet files, this spares serialising them all every interval.
    const last = this.#lastEntries;
    if (last.length > 0 && entries.length === last.length && entries.every((e, i) => e === last[i])) return;
    const text = comparable(entries);
    if (text === this.#lastWritten) {
      this.#lastEntries = [...entries];
      return;
    }
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(serializeCheckpoints(entries, nowMs));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    await syncDir(this.dir);
    this.#lastWritten = text;
    this.#lastEntries = [...entries];
  }
}

/**
 * Creates the state dir `dir` if needed and proves it writable by creating and removing a
 * file in it. Throws ERR_STATE_DIR saying which failed: the folder cannot be created, is
 * not a directory, or is not writable (with the system's code). `keepCreated: false`
 * (`--check-config`) removes the folders it had to create, so a check leaves no trace.
 */
export async function prepareStateDir(dir: string, keepCreated = true): Promise<void> {
  let created: string[];
  try {
    created = await ensureDir(dir);
  } catch (error) {
    throw stateDirError(dir, 'cannot be created', error);
  }
  try {
    const probe = join(dir, `.write-probe-${process.pid}`);
    const fh = await open(probe, 'w');
    await fh.close();
    await rm(probe, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw stateDirError(dir, code === 'ENOTDIR' ? 'is not a directory' : 'is not writable', error);
  } finally {
    if (!keepCreated) for (const d of created.reverse()) await rmdir(d).catch(() => undefined);
  }
}

function stateDirError(dir: string, what: string, error: unknown): TailshipError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new TailshipError('ERR_STATE_DIR', `state dir ${dir} ${what} (${code}); set TAILSHIP_STATE_DIR to a writable volume`, {
    cause: error,
  });
}

/**
 * mkdir -p without `{ recursive: true }`, which loops forever where mkdir answers ENOENT
 * although the parent exists (as in /proc): each level is tried once. Returns the
 * folders it created, outermost first.
 */
async function ensureDir(dir: string): Promise<string[]> {
  try {
    await mkdir(dir);
    return [dir];
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return [];
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    const created = await ensureDir(parent);
    try {
      await mkdir(dir);
      created.push(dir);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
    }
    return created;
  }
}

function comparable(entries: readonly CheckpointEntry[]): string {
  return JSON.stringify(entries.map(({ seenMs: _seen, ...rest }) => rest));
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic there.
  }
}
