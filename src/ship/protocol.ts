import { randomUUID } from 'node:crypto';
import type { RecordContext } from '../record/log-record.js';
import type { TokenScheme } from './auth.js';
import { elasticsearchEncoder, type ElasticsearchOptions } from './encoders/elasticsearch.js';
import type { Encoder } from './encoders/encoder.js';
import { jsonArrayEncoder } from './encoders/json-array.js';
import { lokiEncoder, type LokiOptions } from './encoders/loki.js';
import { ndjsonEncoder } from './encoders/ndjson.js';
import { otlpEncoder } from './encoders/otlp.js';
import { splunkHecEncoder, type SplunkHecOptions } from './encoders/splunk-hec.js';
import { readElasticsearchResponse } from './responses/elasticsearch.js';
import { readHttpStatus } from './responses/http-status.js';
import { readLokiResponse } from './responses/loki.js';
import { readOtlpResponse } from './responses/otlp.js';
import type { ResponseReader } from './responses/response-reader.js';
import { readHecResponse } from './responses/splunk-hec.js';

/** The collector protocols (TAILSHIP_SINK; `opensearch` is `elasticsearch`). */
export type SinkKind = 'ndjson' | 'json' | 'loki' | 'elasticsearch' | 'otlp' | 'splunk_hec';

/** Which protocol, and the options of those that have some. */
export interface ProtocolOptions {
  readonly kind: SinkKind;
  readonly loki: LokiOptions;
  readonly elasticsearch: ElasticsearchOptions;
  readonly splunk: SplunkHecOptions;
}

/**
 * A collector protocol in two parts, as the OpenTelemetry exporters split it: the
 * encoder builds requests (ship/encoders/), the reader says what a response means for
 * their records (ship/responses/). The rest is what the protocol asks of every request.
 */
export interface Protocol<F = unknown> {
  readonly encoder: Encoder<F>;
  readonly readResponse: ResponseReader;
  /** How a bearer token is presented: `Splunk <token>` for HEC, else `Bearer <token>`. */
  readonly tokenScheme: TokenScheme;
  /** Headers of the protocol's own, the same on every request of this process. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The configured protocol. */
export function createProtocol(opts: ProtocolOptions, ctx: RecordContext, version: string): Protocol {
  const plain = { tokenScheme: 'Bearer', headers: {} } as const;
  switch (opts.kind) {
    case 'ndjson':
      return { encoder: ndjsonEncoder(ctx) as Encoder<unknown>, readResponse: readHttpStatus, ...plain };
    case 'json':
      return { encoder: jsonArrayEncoder(ctx) as Encoder<unknown>, readResponse: readHttpStatus, ...plain };
    case 'loki':
      return { encoder: lokiEncoder(ctx, opts.loki) as Encoder<unknown>, readResponse: readLokiResponse, ...plain };
    case 'elasticsearch':
      return {
        encoder: elasticsearchEncoder(ctx, opts.elasticsearch) as Encoder<unknown>,
        readResponse: readElasticsearchResponse,
        ...plain,
      };
    case 'otlp':
      return { encoder: otlpEncoder(ctx, { version }) as Encoder<unknown>, readResponse: readOtlpResponse, ...plain };
    case 'splunk_hec':
      return {
        encoder: splunkHecEncoder(ctx, opts.splunk) as Encoder<unknown>,
        readResponse: readHecResponse,
        tokenScheme: 'Splunk',
        // HEC wants a channel when indexer acknowledgement is on (code 10 otherwise); harmless when off.
        headers: { 'x-splunk-request-channel': randomUUID() },
      };
  }
}
