import type { LogRecord, RecordContext } from '../../record/log-record.js';
import { classifyStatus } from '../send-outcome.js';
import type { CollectorResponse, Encoder } from './encoder.js';
import { RecordJson } from './record-json.js';

/** One JSON object per line (Vector http_server, Fluent Bit http, Logstash http). */
export function ndjsonEncoder(ctx: RecordContext): Encoder<string> {
  const json = new RecordJson(ctx);
  return {
    defaultPath: '/',
    contentType: 'application/x-ndjson',
    encode: (r: LogRecord) => `${json.object(r)}\n`,
    size: (f) => Buffer.byteLength(f),
    body: (fragments) => fragments.join(''),
    read: (res: CollectorResponse) => classifyStatus(res.status, res.body, res.retryAfterMs),
  };
}
