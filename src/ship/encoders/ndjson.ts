import type { LogRecord, RecordContext } from '../../record/log-record.js';
import { classifyStatus } from '../send-outcome.js';
import type { CollectorResponse, Encoder } from './encoder.js';
import { CONCATENATED, frameBody } from '../../batch/byte-frame.js';
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
  return {
    defaultPath: '/',
    contentType: 'application/x-ndjson',
    text: (r: LogRecord) => `${json.object(r)}\n`,
    encode: (r: LogRecord) => Buffer.from(`${json.object(r)}\n`),
    size: (f) => f.length,
    frame: CONCATENATED,
    body: (fragments) => frameBody(CONCATENATED, fragments),
    read: (res: CollectorResponse) => classifyStatus(res.status, res.body, res.retryAfterMs),
  };
}
