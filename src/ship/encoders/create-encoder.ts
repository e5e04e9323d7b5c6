import type { Config } from '../../config/config.js';
import type { RecordContext } from '../../record/log-record.js';
import type { Encoder } from './encoder.js';
import { ndjsonEncoder } from './ndjson.js';

/** The encoder for the configured collector protocol. */
export function createEncoder(_config: Config, ctx: RecordContext): Encoder<unknown> {
  return ndjsonEncoder(ctx) as Encoder<unknown>;
}
