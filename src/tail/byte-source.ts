// Where a tailer's bytes come from: an open file read at any offset, or a gzip file
// (a rotated copy that logrotate compressed before tailship read it) inflated in order.
// Either way offsets are those of the uncompressed log, so record ids do not depend on
// how the bytes were stored.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FINGERPRINT_BYTES } from './fingerprint.js';
import type { FileStat, TailFs } from './file-system.js';

export interface ByteSource {
  readonly compressed: boolean;
  /** Reads up to `length` bytes at `position` into `buf`; 0 at the end. */
  read(buf: Buffer, length: number, position: number): Promise<number>;
  /**
   * Bytes it holds now, uncompressed. For gzip, the trailer's ISIZE: exact for one member
   * under 4 GiB (what logrotate writes), modulo 2^32 beyond (RFC 1952 §2.3.1).
   */
  contentSize(): Promise<number>;
  /** The stat of the descriptor (of the compressed file, for gzip). */
  stat(): Promise<FileStat>;
  /**
   * Its size and first `max` bytes now, read synchronously (TailFs.sizeAndHeadSync says
   * why); undefined where that is not cheap (gzip: the head is inflated).
   */
  sizeAndHeadSync(max: number): { readonly size: number; readonly head: Buffer } | undefined;
  close(): Promise<void>;
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const INFLATE_CHUNK_BYTES = 64 * 1024;

/** An open file, read with pread: any offset, any order. */
export class FileSource implements ByteSource {
  readonly compressed = false;
  readonly #fs: TailFs;
  readonly fd: number;

  constructor(fs: TailFs, fd: number) {
    this.#fs = fs;
    this.fd = fd;
  }

  read(buf: Buffer, length: number, position: number): Promise<number> {
    return this.#fs.read(this.fd, buf, length, position);
  }

  async contentSize(): Promise<number> {
    return (await this.stat()).size;
  }

  stat(): Promise<FileStat> {
    return this.#fs.fstat(this.fd);
  }

  sizeAndHeadSync(max: number): { size: number; head: Buffer } {
    const buf = Buffer.allocUnsafe(max);
    const { size, headBytes } = this.#fs.sizeAndHeadSync(this.fd, buf);
    return { size, head: buf.subarray(0, headBytes) };
  }

  close(): Promise<void> {
    return this.#fs.close(this.fd);
  }
}

/**
 * A gzip file (all its members), inflated as it is read. Reads are meant to go forward: a
 * position past the last one read skips bytes, and one before it inflates again from the
 * start. Holds the descriptor, so a rename or deletion of the file after it is opened
 * changes nothing. Memory: one inflate window and a stream's buffer, whatever the size.
 */
export class GzipSource implements ByteSource {
  readonly compressed = true;
  readonly #fs: TailFs;
  readonly #fd: number;
  #gunzip!: ReturnType<typeof createGunzip>;
  #chunks!: AsyncIterator<Buffer>;
  /** Inflated bytes not yet passed, and the offset of their first byte. */
  #held!: Buffer;
  #heldAt!: number;
  #done!: boolean;

  constructor(fs: TailFs, fd: number) {
    this.#fs = fs;
    this.#fd = fd;
    this.#inflateFromStart();
  }

  #inflateFromStart(): void {
    this.#gunzip?.destroy();
    const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
    const input = Readable.from(compressedChunks(this.#fs, this.#fd), { objectMode: false });
    input.on('error', (error) => gunzip.destroy(error));
    input.pipe(gunzip);
    this.#gunzip = gunzip;
    this.#chunks = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.#held = Buffer.alloc(0);
    this.#heldAt = 0;
    this.#done = false;
  }

  async read(buf: Buffer, length: number, position: number): Promise<number> {
    if (position < this.#heldAt) this.#inflateFromStart();
    for (;;) {
      const skip = position - this.#heldAt;
      if (skip < this.#held.length) return this.#held.copy(buf, 0, skip, Math.min(this.#held.length, skip + length));
      if (this.#done) return 0;
      this.#heldAt += this.#held.length;
      const next = await this.#chunks.next();
      this.#done = next.done === true;
      this.#held = next.done ? Buffer.alloc(0) : next.value;
    }
  }

  sizeAndHeadSync(): undefined {
    return undefined;
  }

  stat(): Promise<FileStat> {
    return this.#fs.fstat(this.#fd);
  }

  async contentSize(): Promise<number> {
    const size = (await this.stat()).size;
    if (size < 18) return 0;
    const trailer = Buffer.alloc(4);
    await this.#fs.read(this.#fd, trailer, 4, size - 4);
    return trailer.readUInt32LE(0);
  }

  async close(): Promise<void> {
    this.#gunzip.destroy();
    await this.#fs.close(this.#fd);
  }
}

async function* compressedChunks(fs: TailFs, fd: number): AsyncGenerator<Buffer> {
  let position = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(INFLATE_CHUNK_BYTES);
    const n = await fs.read(fd, buf, buf.length, position);
    if (n === 0) return;
    position += n;
    yield buf.subarray(0, n);
  }
}

/** Is an open file gzip data (by its magic bytes, not its name)? */
export async function isGzip(fs: TailFs, fd: number): Promise<boolean> {
  const magic = Buffer.alloc(2);
  const n = await fs.read(fd, magic, 2, 0);
  return n === 2 && magic.equals(GZIP_MAGIC);
}

/** The source for an open file: inflated when it is gzip data. */
export async function openSource(fs: TailFs, fd: number): Promise<ByteSource> {
  return (await isGzip(fs, fd)) ? new GzipSource(fs, fd) : new FileSource(fs, fd);
}

/** The first bytes of a source (up to `max`, FINGERPRINT_BYTES by default): what a file is recognised by. */
export async function readHead(source: ByteSource, max = FINGERPRINT_BYTES): Promise<Buffer> {
  const buf = Buffer.alloc(max);
  let got = 0;
  while (got < max) {
    const n = await source.read(buf.subarray(got), max - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}
