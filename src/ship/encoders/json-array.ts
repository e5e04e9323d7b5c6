import type { LogRecord, RecordContext } from '../../record/log-record.js';
import type { Encoder } from './encoder.js';
import { JSON_ARRAY } from '../../batch/byte-frame.js';
import { framedEncoder } from './framed-encoder.js';
import { LineRecordBytes } from './line-record-bytes.js';
import { RecordJson } from './record-json.js';

/**
 * One JSON array per request (Fluentd / Fluent Bit `in_http`, which take the tag from
 * the URL path and answer 201).
 */
export function jsonArrayEncoder(ctx: RecordContext): Encoder<Buffer> {
  const json = new RecordJson(ctx);
  return framedEncoder({
    defaultPath: '/',
    contentType: 'application/json',
    text: (r: LogRecord) => json.object(r),
    frame: JSON_ARRAY,
    lines: new LineRecordBytes(ctx, ''),
  });
}
