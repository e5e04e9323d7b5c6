import type { LogRecord, RecordContext } from '../../record/log-record.js';
import { CONCATENATED } from '../../batch/byte-frame.js';
import type { Encoder } from './encoder.js';
import { IndexName } from './es-index.js';
import { framedEncoder } from './framed-encoder.js';
import { LineRecordBytes } from './line-record-bytes.js';
import { RecordJson } from './record-json.js';

export interface ElasticsearchOptions {
  /**
   * Index or data stream, with optional `%Y %m %d %H` from the record time (UTC).
   * Undefined: no `_index` in the action, so the index in the URL (`/<index>/_bulk`) applies.
   */
  readonly index: string | undefined;
}

/** Matches Elasticsearch's built-in `logs-*-*` template, so it becomes a data stream there. */
export const DEFAULT_ES_INDEX = 'logs-tailship-default';

/**
 * The `_bulk` API (Elasticsearch and OpenSearch): per record an action line
 * `{"create":{"_index":…,"_id":<record id>}}` and the document, each ending in a newline
 * (the API requires the last line to end with one too). `create` with the record's stable
 * id makes a re-send after a crash a 409, not a second document, and works for data streams.
 */
export function elasticsearchEncoder(ctx: RecordContext, opts: ElasticsearchOptions): Encoder<Buffer> {
  const json = new RecordJson(ctx);
  const index = opts.index === undefined ? undefined : new IndexName(opts.index);
  const action = (timeMs: number) => `{"create":{${index ? `"_index":${index.json(timeMs)},` : ''}"_id":`;
  return framedEncoder({
    defaultPath: '/_bulk',
    contentType: 'application/x-ndjson',
    text: (r: LogRecord) => `${action(r.timeMs)}${JSON.stringify(r.id)}}}\n${json.object(r)}\n`,
    frame: CONCATENATED,
    lines: new LineRecordBytes(ctx, '\n', { head: (timeMs) => `${action(timeMs)}"` }),
  });
}
