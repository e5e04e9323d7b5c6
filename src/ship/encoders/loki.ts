import type { LogRecord, RecordContext } from '../../record/log-record.js';
import type { Encoder } from './encoder.js';
import { parseFieldRef, resolveFieldRef, type FieldRef } from './field-ref.js';
import { RecordJson } from './record-json.js';
import { frameBody } from '../../batch/byte-frame.js';
import { compareLokiTime, fileSalt, lokiEntryTime, lokiTimeText, type LokiTime } from './loki-entry-time.js';

export interface LokiOptions {
  /** Stream labels: name → template (`literal` or `$field`). */
  readonly labels: ReadonlyArray<readonly [string, string]>;
  /** Structured metadata per entry (Loki 3): name → template. Empty: none sent. */
  readonly structuredMetadata: ReadonlyArray<readonly [string, string]>;
  /** The entry's line: the raw line, or the whole record as JSON. */
  readonly line: 'message' | 'json';
}

/** Loki's label names (Prometheus's): `[a-zA-Z_][a-zA-Z0-9_]*`, and `__` is reserved. */
export function isValidLokiLabelName(name: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) && !name.startsWith('__');
}

/** A stream label set that resolved to nothing still needs one pair (Loki refuses an empty one). */
const FALLBACK_STREAM = '{"job":"tailship"}';
const MAX_CACHED_FILES = 1024;

/**
 * One encoded entry: its stream's label set (JSON text, shared by the stream's entries),
 * its time (the sort key) and the bytes of `["<ns>","<line>"(,{metadata})]`.
 */
export interface LokiEntry {
  readonly stream: string;
  readonly time: LokiTime;
  readonly bytes: Buffer;
}

const STREAMS_OPEN = Buffer.from('{"streams":[');
const STREAMS_CLOSE = Buffer.from(']}');
const VALUES_CLOSE = Buffer.from(']}');
const COMMA = Buffer.from(',');

/**
 * The Loki push API, JSON form: `POST /loki/api/v1/push`,
 * `{"streams":[{"stream":{labels},"values":[["<ns>","<line>"],…]}]}`. Entries are grouped
 * by label set and sorted by time within each stream when the body is built. Entry times
 * are unique per stream and stable across re-sends (`lokiEntryTime`).
 */
export function lokiEncoder(ctx: RecordContext, opts: LokiOptions): Encoder<LokiEntry> {
  const labels = [...opts.labels]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, template]) => ({ nameJson: JSON.stringify(name), ref: parseFieldRef(template, ctx) }));
  const meta = opts.structuredMetadata.map(([name, template]) => ({
    nameJson: JSON.stringify(name),
    ref: parseFieldRef(template, ctx),
  }));
  const perRecord = labels.some((l) => l.ref.kind !== 'constant' && l.ref.kind !== 'file');
  const json = opts.line === 'json' ? new RecordJson(ctx) : undefined;
  const byFile = new Map<string, string>();

  const streamOf = (r: LogRecord): string => {
    if (perRecord) return labelSet(labels, r);
    let key = byFile.get(r.file);
    if (key === undefined) {
      if (byFile.size >= MAX_CACHED_FILES) byFile.clear();
      key = labelSet(labels, r);
      byFile.set(r.file, key);
    }
    return key;
  };

  return {
    defaultPath: '/loki/api/v1/push',
    contentType: 'application/json',
    encode(r: LogRecord): LokiEntry {
      // A time that differs from the read time came from the line (see lokiEntryTime).
      const time = lokiEntryTime(r.timeMs, r.timeMs !== r.readTimeMs, r.offset, fileSalt(r.id));
      const line = json ? json.object(r) : r.message;
      const metaText = meta.length > 0 ? metadataObject(meta, r) : '';
      return {
        stream: streamOf(r),
        time,
        bytes: Buffer.from(`["${lokiTimeText(time)}",${JSON.stringify(line)}${metaText}]`),
      };
    },
    // The entry and its comma; the stream's framing is small beside a batch of entries.
    size: (e) => e.bytes.length + 1,
    body(entries: readonly LokiEntry[]): Buffer {
      const streams = new Map<string, LokiEntry[]>();
      for (const e of entries) {
        const list = streams.get(e.stream);
        if (list) list.push(e);
        else streams.set(e.stream, [e]);
      }
      const parts: Buffer[] = [];
      for (const [stream, list] of streams) {
        // Stable, and linear when already in order (the usual case: one file, read in order).
        list.sort((a, b) => compareLokiTime(a.time, b.time));
        const open = Buffer.from(`{"stream":${stream},"values":[`);
        parts.push(frameBody({ head: open, separator: COMMA, tail: VALUES_CLOSE }, list.map((e) => e.bytes)));
      }
      return frameBody({ head: STREAMS_OPEN, separator: COMMA, tail: STREAMS_CLOSE }, parts);
    },
  };
}

function labelSet(labels: ReadonlyArray<{ nameJson: string; ref: FieldRef }>, r: LogRecord): string {
  let s = '';
  for (const { nameJson, ref } of labels) {
    const value = resolveFieldRef(ref, r);
    if (value === undefined) continue;
    s += `${s ? ',' : ''}${nameJson}:${JSON.stringify(value)}`;
  }
  return s ? `{${s}}` : FALLBACK_STREAM;
}

function metadataObject(meta: ReadonlyArray<{ nameJson: string; ref: FieldRef }>, r: LogRecord): string {
  let s = '';
  for (const { nameJson, ref } of meta) {
    const value = resolveFieldRef(ref, r);
    if (value === undefined) continue;
    s += `${s ? ',' : ''}${nameJson}:${JSON.stringify(value)}`;
  }
  return s ? `,{${s}}` : '';
}
