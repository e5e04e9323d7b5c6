import { fileKey } from '../record/record-id.js';
import { openSource, readHead, type ByteSource } from './byte-source.js';
import { identityOf, type FileStat, type TailFs } from './file-system.js';

/** A file opened for reading: its source, stat and head are those of the descriptor. */
export interface OpenedFile {
  readonly path: string;
  readonly st: FileStat;
  readonly source: ByteSource;
  /** Its first bytes (inflated, for a gzip file), up to a fingerprint's length. */
  readonly head: Buffer;
  readonly identity: string;
}

/**
 * Opens `path`, stats the descriptor (the path may have moved since it was listed) and
 * reads its head. Closes the descriptor and rethrows on any error.
 */
export async function openFile(fs: TailFs, path: string): Promise<OpenedFile> {
  const fd = await fs.open(path);
  let source: ByteSource | undefined;
  try {
    const st = await fs.fstat(fd);
    source = await openSource(fs, fd);
    const head = await readHead(source);
    return { path, st, source, head, identity: identityOf(st) };
  } catch (error) {
    await (source ? source.close() : fs.close(fd)).catch(() => {});
    throw error;
  }
}

/** Closes a file opened by `openFile` that is not kept; errors are of no interest then. */
export async function discard(file: OpenedFile): Promise<void> {
  await file.source.close().catch(() => {});
}

/**
 * The key of a file first seen now (part of its record ids): its identity, head and birth
 * time, so a new file on a reused inode gets a new key and new ids.
 */
export function freshKey(host: string, file: OpenedFile): string {
  const { dev, ino, birthtimeMs } = file.st;
  return fileKey(host, dev, ino, Buffer.concat([file.head, Buffer.from(String(birthtimeMs))]));
}
