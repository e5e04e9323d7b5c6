import type { LogRecord, RecordContext } from '../../record/log-record.js';
import { classifyStatus } from '../send-outcome.js';
import type { CollectorResponse, Encoder } from './encoder.js';
import { frameBody, JSON_ARRAY } from '../../batch/byte-frame.js';
import { RecordJson } from './record-json.js';


/**
 * One JSON array per request (Fluentd / Fluent Bit `in_http`, which take the tag from
 * the URL path and answer 201). Any 2xx is success.
 */
export function jsonArrayEncoder(ctx: RecordContext): Encoder<Buffer> {
  const json = new RecordJson(ctx);
  return {
    defaultPath: '/',
    contentType: 'application/json',
    text: (r: LogRecord) => json.object(r),
    encode: (r: LogRecord) => Buffer.from(json.object(r)),
    // The comma (or a bracket) that joins it to the array.
    size: (f) => f.length + 1,
    frame: JSON_ARRAY,
    body: (fragments) => frameBody(JSON_ARRAY, fragments),
    read: (res: CollectorResponse) => classifyStatus(res.status, res.body, res.retryAfterMs),
  };
}
