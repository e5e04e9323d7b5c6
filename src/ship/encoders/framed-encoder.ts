import { frameBody, type ByteFrame } from '../../batch/byte-frame.js';
import type { LogRecord } from '../../record/log-record.js';
import type { LineEncoding } from '../../batch/batch.js';
import type { Encoder } from './encoder.js';

/** What a framed protocol defines: its records as text, and the frame that joins them. */
export interface FramedEncoderSpec {
  readonly defaultPath: string;
  readonly contentType: string;
  readonly frame: ByteFrame;
  text(record: LogRecord): string;
  /** Plain lines' records as bytes, identical to `text`'s UTF-8 (line-record-bytes.ts). */
  readonly lines?: LineEncoding;
}

/**
 * An encoder whose body is its records' text joined by a frame. The rest follows from
 * that, here once for every such protocol: a record's bytes are its text's UTF-8, it
 * adds its bytes and one separator to a body, and the body is the frame around them.
 */
export function framedEncoder(spec: FramedEncoderSpec): Encoder<Buffer> {
  const { frame, text } = spec;
  return {
    defaultPath: spec.defaultPath,
    contentType: spec.contentType,
    frame,
    text,
    ...(spec.lines ? { lines: spec.lines } : {}),
    encode: (r) => Buffer.from(text(r)),
    size: (f) => f.length + frame.separator.length,
    body: (fragments) => frameBody(frame, fragments),
  };
}
