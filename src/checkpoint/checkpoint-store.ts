import { constants } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
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
  async prepare(): Promise<void> {
    try {
      await ensureDir(this.dir);
      await access(this.dir, constants.W_OK);
      const probe = join(this.dir, `.write-probe-${process.pid}`);
      const fh = await open(probe, 'w');
      await fh.close();
      await rm(probe, { force: true });
    } catch (error) {
      throw new TailshipError(
        'ERR_STATE_DIR',
        `state dir ${this.dir} is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)}); set TAILSHIP_STATE_DIR to a writable volume`,
        { cause: error },
      );
    }
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
    const text = comparable(entries);
    if (text === this.#lastWritten) return;
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
  }
}

/**
 * mkdir -p without `{ recursive: true }`, which loops forever where mkdir answers ENOENT
 * although the parent exists (as in /proc): each level is tried once.
 */
async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    await ensureDir(parent);
    try {
      await mkdir(dir);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
    }
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
