import type { LogRecord, RecordContext } from '../../record/log-record.js';
import type { Encoder } from './encoder.js';
import { CONCATENATED } from '../../batch/byte-frame.js';
import { framedEncoder } from './framed-encoder.js';
import { LineRecordBytes } from './line-record-bytes.js';
import { RecordJson } from './record-json.js';

/**
 * One JSON object per line (Vector http_server, Fluent Bit http, Logstash http).
 *
 * A record is kept as bytes from the moment it is batched: a Buffer (off the V8 heap,
 * sliced from Node's pool) holds exactly its bytes, while a concatenated string is a rope
 * that keeps every piece — the decoded line, its JSON escape — alive until flattened,
 * about three times the memory, promoted to the old generation while it waits for its
 * ack. Bytes also make the batch's body a single memcpy and the size exact.
 */
export function ndjsonEncoder(ctx: RecordContext): Encoder<Buffer> {
  const json = new RecordJson(ctx);
  return framedEncoder({
    defaultPath: '/',
    contentType: 'application/x-ndjson',
    text: (r: LogRecord) => `${json.object(r)}\n`,
    frame: CONCATENATED,
    lines: new LineRecordBytes(ctx, '\n'),
  });
}
