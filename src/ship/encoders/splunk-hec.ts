import { jsonText } from '../../record/exact-number.js';
import { kubernetesValues } from '../../record/kubernetes-meta.js';
import type { LogRecord, RecordContext } from '../../record/log-record.js';
import { CONCATENATED } from '../../batch/byte-frame.js';
import type { Encoder } from './encoder.js';
import { framedEncoder } from './framed-encoder.js';
import { epochSecondsText } from './time-text.js';

export interface SplunkHecOptions {
  /** `sourcetype` of every event; undefined: the token's default. */
  readonly sourcetype: string | undefined;
  /** `index` of every event; undefined: the token's default index. */
  readonly index: string | undefined;
}

/**
 * Splunk HTTP Event Collector, JSON events: `POST /services/collector/event`, event
 * objects one after another, each
 * `{"time":<epoch s.ms>,"host":…,"source":<file>,"sourcetype":…,"index":…,"event":…,"fields":{…}}`.
 * `event` is the line, or an object of the parsed fields and the line (`message`) when a
 * parser ran. Indexed `fields` carry the Kubernetes metadata and TAILSHIP_FIELDS.
 */
export function splunkHecEncoder(ctx: RecordContext, opts: SplunkHecOptions): Encoder<Buffer> {
  const hostJson = JSON.stringify(ctx.host);
  let meta = '';
  if (opts.sourcetype) meta += `,"sourcetype":${JSON.stringify(opts.sourcetype)}`;
  if (opts.index) meta += `,"index":${JSON.stringify(opts.index)}`;
  const fields: Record<string, string> = {};
  for (const { name, value } of kubernetesValues(ctx.kubernetes)) fields[name] = value;
  for (const [key, value] of ctx.fields) fields[key] = value;
  const fieldsText = Object.keys(fields).length > 0 ? `,"fields":${JSON.stringify(fields)}` : '';
  // Undefined, not '': an empty file name is a name too, and must get its `source`.
  let lastFile: string | undefined;
  let lastSource = '';

  return framedEncoder({
    defaultPath: '/services/collector/event',
    contentType: 'application/json',
    text(r: LogRecord): string {
      if (r.file !== lastFile) {
        lastFile = r.file;
        lastSource = JSON.stringify(r.file);
      }
      let event: string;
      if (r.fields !== undefined) {
        const extra = jsonText(r.fields);
        event = `{"message":${JSON.stringify(r.message)}${extra.length > 2 ? `,${extra.slice(1, -1)}` : ''}}`;
      } else if (r.message.trim() === '') {
        // HEC refuses a blank event (code 13) and would take the whole request down with it.
        event = `{"message":${JSON.stringify(r.message)}}`;
      } else {
        event = JSON.stringify(r.message);
      }
      return `{"time":${epochSecondsText(r.timeMs)},"host":${hostJson},"source":${lastSource}${meta},"event":${event}${fieldsText}}\n`;
    },
    frame: CONCATENATED,
  });
}
