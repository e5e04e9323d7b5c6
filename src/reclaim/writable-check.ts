import { constants } from 'node:fs';
import { access, open } from 'node:fs/promises';
import { join } from 'node:path';
import { TailshipError } from '../errors.js';
import { fsPath, nameText, nodeFs } from '../tail/file-system.js';
import type { GlobSet } from '../tail/glob-set.js';

/** Opened without following a link, without blocking on a FIFO: only regular files are checked. */
const CHECK_FLAGS = constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Files looked at by the start-up check: enough to find a read-only mount or a wrong owner. */
const MAX_FILES_CHECKED = 100;

/**
 * The start-up check for TAILSHIP_RECLAIM_ACKED: freeing acknowledged bytes needs the log
 * files open for writing. Every file the globs match now (up to MAX_FILES_CHECKED) is
 * opened read-write, without changing it; where none exists yet, each folder the globs
 * start from must be writable (a read-only mount is EROFS). A folder that does not exist
 * yet is no error: files may come later. Throws TailshipError ERR_RECLAIM_NOT_WRITABLE
 * naming the path and the system's code.
 */
export async function checkReclaimable(globs: GlobSet): Promise<void> {
  let files = 0;
  for (const root of globs.roots) {
    for await (const path of matchingFiles(root.dir, root.recursive, globs)) {
      if (files++ >= MAX_FILES_CHECKED) return;
      await open(fsPath(path), CHECK_FLAGS).then(
        (fh) => fh.close(),
        (error: unknown) => {
          // Gone since the listing (a rotation), or a link: the tail decides about those.
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'ENOENT' && code !== 'ELOOP') refuse(path, error);
        },
      );
    }
  }
  if (files > 0) return;
  for (const root of globs.roots) {
    await access(root.dir, constants.W_OK).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') refuse(root.dir, error);
    });
  }
}

async function* matchingFiles(dir: string, recursive: boolean, globs: GlobSet): AsyncGenerator<string> {
  let entries;
  try {
    // Names as the tail lists them: bytes that are not UTF-8 kept (file-system.ts).
    entries = await nodeFs.readdir(dir);
  } catch {
    return; // Missing or unreadable: the tail reports what it cannot read.
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isFile && globs.matches(path)) yield path;
    else if (recursive && e.isDirectory) yield* matchingFiles(path, recursive, globs);
  }
}

function refuse(path: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  throw new TailshipError(
    'ERR_RECLAIM_NOT_WRITABLE',
    `TAILSHIP_RECLAIM_ACKED is on but ${nameText(path)} cannot be opened for writing (${code}); ` +
      'mount the log volume read-write and let tailship write the files, or set TAILSHIP_RECLAIM_ACKED=false',
    { cause: error },
  );
}
