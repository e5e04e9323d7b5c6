import type { ParserName } from './parser.js';
import { kubernetesValues, type KubernetesMeta } from './kubernetes-meta.js';

/** One line from a file, with what tailship knows about it. */
export interface LogRecord {
  /** The line without its newline, decoded as UTF-8 (invalid bytes become U+FFFD). */
  readonly message: string;
  /** The event's time: the line's own when a parser found it, else `readTimeMs`. */
  readonly timeMs: number;
  /** When tailship read the line. */
  readonly readTimeMs: number;
  /** The path the file had when the line was read. */
  readonly file: string;
  /** Byte offset of the line's first byte in its file. */
  readonly offset: number;
  /** Stable across re-sends: derived from the file identity and `offset`. */
  readonly id: string;
  /** The line was longer than the line limit and was cut. */
  readonly truncated: boolean;
  /** Fields a parser extracted, when one is configured. */
  readonly fields?: Readonly<Record<string, unknown>> | undefined;
  /** The parser that made `fields` (their names are its own: an encoder may map them). */
  readonly parsedBy?: Exclude<ParserName, 'none'> | undefined;
}

/**
 * A line with no parser and no multiline rule (the default), before it is a record: the
 * batch writes its record straight from these bytes (ship/encoders/line-record-bytes.ts).
 * Fields as in LogRecord; `line` is valid only during the call that receives it.
 */
export interface PlainLine {
  line: Buffer;
  /** The file's key (record-id.ts). */
  key: string;
  file: string;
  offset: number;
  truncated: boolean;
  timeMs: number;
}

/**
 * Whole lines of one file as the tail read them, before they are records: bytes
 * [from, to) of `chunk`, each line ending with `\n`, the line at `from` at byte `offset` of
 * the file. The batch writes their records straight from the bytes (BatchBuilder.addRun),
 * moving `from` and `offset` past the lines it takes. A line longer than `maxLineBytes`
 * (after a `\r` before its `\n` is dropped) is cut to it and marked truncated, as
 * tail/line-splitter.ts does. Valid only during the call that receives it.
 */
export interface PlainRun {
  chunk: Buffer;
  from: number;
  to: number;
  offset: number;
  maxLineBytes: number;
  /** The file's key (record-id.ts). */
  key: string;
  file: string;
  timeMs: number;
  /** Lines taken so far, and how many of them were truncated. */
  lines: number;
  truncated: number;
  /** A number no other run in the process has (the object is reused; an encoder keeps a copied run by it). */
  seq: number;
}

/** Metadata that is the same for every record of this process: encoded once, not per line. */
export interface RecordContext {
  readonly host: string;
  readonly kubernetes: KubernetesMeta;
  /** Static fields from TAILSHIP_FIELDS. */
  readonly fields: ReadonlyArray<readonly [string, string]>;
  /** Name of the record's time field (`@timestamp` by default). */
  readonly timestampField: string;
  /** Set: the time is also written as epoch seconds under this key (see EPOCH_TIME_KEY). */
  readonly epochTimeField?: string | undefined;
}

/** The `kubernetes` object of a record, with only the keys that are known. */
export function kubernetesObject(ctx: RecordContext): Record<string, string> | undefined {
  const fields = kubernetesValues(ctx.kubernetes);
  if (fields.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const { name, value } of fields) out[name] = value;
  return out;
}
