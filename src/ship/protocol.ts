import type { RecordContext } from '../record/log-record.js';
import { elasticsearchEncoder, type ElasticsearchOptions } from './encoders/elasticsearch.js';
import type { Encoder } from './encoders/encoder.js';
import { jsonArrayEncoder } from './encoders/json-array.js';
import { lokiEncoder, type LokiOptions } from './encoders/loki.js';
import { ndjsonEncoder } from './encoders/ndjson.js';
import { otlpEncoder } from './encoders/otlp.js';
import { splunkHecEncoder, type SplunkHecOptions } from './encoders/splunk-hec.js';

/** The collector protocols (TAILSHIP_SINK; `opensearch` is `elasticsearch`). */
export type SinkKind = 'ndjson' | 'json' | 'loki' | 'elasticsearch' | 'otlp' | 'splunk_hec';

/** Which protocol, and the options of those that have some. */
export interface ProtocolOptions {
  readonly kind: SinkKind;
  readonly loki: LokiOptions;
  readonly elasticsearch: ElasticsearchOptions;
  readonly splunk: SplunkHecOptions;
}

/** The encoder for the configured collector protocol. */
export function createEncoder(opts: ProtocolOptions, ctx: RecordContext, version: string): Encoder<unknown> {
  switch (opts.kind) {
    case 'ndjson':
      return ndjsonEncoder(ctx) as Encoder<unknown>;
    case 'json':
      return jsonArrayEncoder(ctx) as Encoder<unknown>;
    case 'loki':
      return lokiEncoder(ctx, opts.loki) as Encoder<unknown>;
    case 'elasticsearch':
      return elasticsearchEncoder(ctx, opts.elasticsearch) as Encoder<unknown>;
    case 'otlp':
      return otlpEncoder(ctx, { version }) as Encoder<unknown>;
    case 'splunk_hec':
      return splunkHecEncoder(ctx, opts.splunk) as Encoder<unknown>;
  }
}
