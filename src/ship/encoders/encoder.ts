import type { LogRecord } from '../../record/log-record.js';
import type { LineEncoding } from '../../batch/batch.js';
import type { ByteFrame } from '../../batch/byte-frame.js';

/**
 * The first half of a collector protocol (the second is its response reader, in
 * ship/responses/): a pure encoder, records → request body. `F` is the encoded form of
 * one record, produced when the record is batched so the line itself is not kept;
 * `body` frames a batch's fragments into a request. Protocols whose body is text joined
 * by a frame are built with `framedEncoder`.
 */
export interface Encoder<F = unknown> {
  /** The protocol's standard path, appended to a collector URL that has none. */
  readonly defaultPath: string;
  readonly contentType: string;
  encode(record: LogRecord): F;
  /** Bytes the fragment adds to a request body (for batch limits and the memory budget). */
  size(fragment: F): number;
  /** The request body. Bytes are best: a Buffer goes to gzip and the socket as it is. */
  body(fragments: readonly F[]): string | Buffer;
  /**
   * Set when fragments are Buffers and `body` is `frameBody(frame, fragments)`: the batch
   * then copies each record into one buffer laid out as the body (no object per record).
   */
  readonly frame?: ByteFrame;
  /**
   * With `frame`: the record's bytes as text (`encode` is its UTF-8). The batch writes the
   * text straight into its buffer, so no Buffer is made per record on the hot path.
   */
  text?(record: LogRecord): string;
  /** With `frame`: plain lines' records written from their bytes, as `text` would give them. */
  readonly lines?: LineEncoding;
}
