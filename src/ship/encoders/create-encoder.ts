import type { Config } from '../../config/config.js';
import type { RecordContext } from '../../record/log-record.js';
import { elasticsearchEncoder } from './elasticsearch.js';
import type { Encoder } from './encoder.js';
import { jsonArrayEncoder } from './json-array.js';
import { lokiEncoder } from './loki.js';
import { ndjsonEncoder } from './ndjson.js';
import { otlpEncoder } from './otlp.js';
import { splunkHecEncoder } from './splunk-hec.js';

/** The encoder for the configured collector protocol (TAILSHIP_SINK). */
export function createEncoder(config: Config, ctx: RecordContext, version: string): Encoder<unknown> {
  const sink = config.sink;
  switch (sink.kind) {
    case 'ndjson':
      return ndjsonEncoder(ctx) as Encoder<unknown>;
    case 'json':
      return jsonArrayEncoder(ctx) as Encoder<unknown>;
    case 'loki':
      return lokiEncoder(ctx, sink.loki) as Encoder<unknown>;
    case 'elasticsearch':
      return elasticsearchEncoder(ctx, sink.elasticsearch) as Encoder<unknown>;
    case 'otlp':
      return otlpEncoder(ctx, { version }) as Encoder<unknown>;
    case 'splunk_hec':
      return splunkHecEncoder(ctx, sink.splunk) as Encoder<unknown>;
  }
}
