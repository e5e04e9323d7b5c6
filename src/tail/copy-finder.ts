import { join } from 'node:path';
import { bornMs, type TailFs } from './file-system.js';
import { discard, openFile, type OpenedFile } from './open-file.js';
import { newestCopy, startsWithHead } from './truncation.js';

/** What is known of a truncated generation: enough to recognise its copy. */
export interface CopyWanted {
  /** The generation's first bytes. */
  readonly head: Buffer;
  /** The copy must hold at least this many bytes (the read position). */
  readonly position: number;
}

/**
 * Finds the copy copytruncate made of a generation before truncating it: a regular file
 * in `dir`, under any name (the include globs need not match it), that starts with the
 * generation's head and holds at least the read position's bytes — a gzip file counts by
 * its inflated head (logrotate's `compress` without `delaycompress`). Of several, the one
 * that appeared last. Returns it open, so a later rename or deletion does not matter;
 * `skip` names identities not to consider (files already being read).
 */
export async function findCopy(
  fs: TailFs,
  dir: string,
  wanted: CopyWanted,
  skip: (identity: string) => boolean,
): Promise<OpenedFile | undefined> {
  if (wanted.head.length === 0) return undefined;
  let entries;
  try {
    entries = await fs.readdir(dir);
  } catch {
    return undefined;
  }
  const found: Array<OpenedFile & { bornMs: number }> = [];
  for (const e of entries) {
    if (!e.isFile) continue;
    const path = join(dir, e.name);
    try {
      const st = await fs.stat(path);
      // A gzip file is smaller than what it holds: its size says nothing here.
      const small = st.size < wanted.position || st.size < wanted.head.length;
      if (!st.isFile() || skip(`${st.dev}:${st.ino}`) || (small && !e.name.endsWith('.gz'))) continue;
      const file = await openFile(fs, path);
      const holds = file.source.compressed || file.st.size >= wanted.position;
      if (holds && !skip(file.identity) && startsWithHead(file.head, wanted.head)) found.push({ ...file, bornMs: bornMs(file.st) });
      else await discard(file);
    } catch {
      // Gone or unreadable: not the copy we can use.
    }
  }
  const best = newestCopy(found);
  for (const f of found) if (f !== best) await discard(f);
  return best;
}
