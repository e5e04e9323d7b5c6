import { basename } from 'node:path';
import { kubernetesValues } from '../../record/kubernetes-meta.js';
import type { LogRecord, RecordContext } from '../../record/log-record.js';
import type { Encoder } from './encoder.js';
import type { ByteFrame } from '../../batch/byte-frame.js';
import { framedEncoder } from './framed-encoder.js';
import { nginxAttributeJson } from './otlp-nginx-attributes.js';
import { anyValueJson, stringAttributeJson } from './otlp-value.js';
import { severityOf } from './severity.js';
import { nanosText } from './time-text.js';

export interface OtlpOptions {
  /** tailship's version, for the instrumentation scope. */
  readonly version: string;
}

const HEX32 = /^[0-9a-f]{32}$/i;
const HEX16 = /^[0-9a-f]{16}$/i;

/**
 * The resource attributes (semantic-convention names) for this process's records. All
 * lines come from one container in one Pod, so one resource describes them all.
 * `service.name`: a `service.name` in TAILSHIP_FIELDS, else the source container's name.
 */
export function otlpResourceAttributes(ctx: RecordContext): Array<[string, string]> {
  const fromFields = ctx.fields.find(([key]) => key === 'service.name')?.[1];
  const out: Array<[string, string]> = [['service.name', fromFields || ctx.kubernetes.container || 'tailship']];
  out.push(['host.name', ctx.host]);
  for (const { otel, value } of kubernetesValues(ctx.kubernetes)) out.push([otel, value]);
  for (const [key, value] of ctx.fields) if (key !== 'service.name') out.push([key, value]);
  return out;
}

/**
 * OTLP/HTTP with the JSON encoding: `POST /v1/logs`, an ExportLogsServiceRequest
 * `{"resourceLogs":[{"resource":…,"scopeLogs":[{"scope":…,"logRecords":[…]}]}]}`.
 * Times are nanosecond decimal strings, `severityNumber` an integer, ids hex.
 */
export function otlpEncoder(ctx: RecordContext, opts: OtlpOptions): Encoder<Buffer> {
  const resource = otlpResourceAttributes(ctx)
    .map(([key, value]) => stringAttributeJson(key, value))
    .join(',');
  const head = Buffer.from(
    `{"resourceLogs":[{"resource":{"attributes":[${resource}]},"scopeLogs":[{"scope":` +
    `{"name":"tailship","version":${JSON.stringify(opts.version)}},"logRecords":[`,
  );
  const tail = Buffer.from(']}]}]}');
  const frame: ByteFrame = { head, separator: Buffer.from(','), tail };
  // Parsed field names repeat line after line: their `,{"key":…,"value":` is made once.
  const keyPrefixes = new Map<string, string>();
  const keyPrefix = (key: string): string => {
    let p = keyPrefixes.get(key);
    if (p === undefined) {
      p = `,{"key":${JSON.stringify(key)},"value":`;
      if (keyPrefixes.size < 1024) keyPrefixes.set(key, p);
    }
    return p;
  };
  // Undefined, not '': an empty file name is a name too, and must get its attributes.
  let lastFile: string | undefined;
  let lastFileAttrs = '';
  let lastMs = NaN;
  let lastNanos = '';

  return framedEncoder({
    defaultPath: '/v1/logs',
    contentType: 'application/json',
    text(r: LogRecord): string {
      if (r.file !== lastFile) {
        lastFile = r.file;
        lastFileAttrs = `${stringAttributeJson('log.file.path', r.file)},${stringAttributeJson('log.file.name', basename(r.file))}`;
      }
      if (r.readTimeMs !== lastMs) {
        lastMs = r.readTimeMs;
        lastNanos = nanosText(r.readTimeMs);
      }
      const time = r.timeMs === r.readTimeMs ? lastNanos : nanosText(r.timeMs);
      let s = `{"timeUnixNano":"${time}","observedTimeUnixNano":"${lastNanos}"`;
      const fields = r.fields;
      const severity = severityOf(fields);
      if (severity) s += `,"severityNumber":${severity.number},"severityText":${JSON.stringify(severity.text)}`;
      s += `,"body":{"stringValue":${JSON.stringify(r.message)}},"attributes":[${lastFileAttrs}`;
      s += `,{"key":"log.record.uid","value":{"stringValue":"${r.id}"}}`;
      if (r.truncated) s += ',{"key":"tailship.truncated","value":{"boolValue":true}}';
      let ids = '';
      if (fields !== undefined) {
        const nginx = r.parsedBy === 'nginx';
        for (const key of Object.keys(fields)) {
          const v = fields[key];
          if (nginx) {
            s += nginxAttributeJson(key, v);
            continue;
          }
          const value = anyValueJson(v);
          if (value !== undefined) s += `${keyPrefix(key)}${value}}`;
          if (key === 'trace_id' && typeof v === 'string' && HEX32.test(v)) ids += `,"traceId":"${v.toLowerCase()}"`;
          else if (key === 'span_id' && typeof v === 'string' && HEX16.test(v)) ids += `,"spanId":"${v.toLowerCase()}"`;
        }
      }
      return `${s}]${ids}}`;
    },
    frame,
  });
}
