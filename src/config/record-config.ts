// The records section of the configuration: parsers, multiline joining and the time
// field's name. Pure: returns values or a problem naming the variable.
import type { ParserRule } from '../record/parser.js';
import { namedGroups } from '../record/regex-parser.js';
import { EPOCH_TIME_KEY, STANDARD_KEYS } from '../record/reserved-names.js';
import type { Env } from './env-spec.js';

export interface RecordsConfig {
  /** Name of the record's time field (TAILSHIP_TIMESTAMP_FIELD, `@timestamp` by default). */
  readonly timestampField: string;
  /** `time` with the `json` and `ndjson` protocols (Fluentd's event time), else undefined. */
  readonly epochTimeField: string | undefined;
  /** First matching rule wins; `[]` when TAILSHIP_PARSER is `none`. */
  readonly parsers: readonly ParserRule[];
  readonly parserRegex: string | undefined;
  readonly multiline:
    | { readonly startPattern: string; readonly timeoutMs: number; readonly files: readonly string[] }
    | undefined;
}

/** The records section, or the first problem found, naming its variable. */
export function recordSection(e: Env): { records: RecordsConfig } | { variable: string; message: string } {
  const ts = e.TAILSHIP_TIMESTAMP_FIELD;
  const epochTimeField = e.TAILSHIP_SINK === 'json' || e.TAILSHIP_SINK === 'ndjson' ? EPOCH_TIME_KEY : undefined;
  const taken = epochTimeField === undefined ? STANDARD_KEYS : [...STANDARD_KEYS, epochTimeField];
  if (ts === '' || taken.includes(ts)) {
    return {
      variable: 'TAILSHIP_TIMESTAMP_FIELD',
      message: `${JSON.stringify(ts)} is invalid: expected a field name other than ${taken.join(', ')}`,
    };
  }
  for (const [key] of e.TAILSHIP_FIELDS ?? []) {
    if (key === ts || taken.includes(key)) {
      return {
        variable: 'TAILSHIP_FIELDS',
        message: `the key ${JSON.stringify(key)} is taken by the record itself; expected names other than ${[ts, ...taken].join(', ')}`,
      };
    }
  }
  const parsers = e.TAILSHIP_PARSER;
  const regex = e.TAILSHIP_PARSER_REGEX;
  if (parsers.some((r) => r.parser === 'regex')) {
    if (regex === undefined) {
      return { variable: 'TAILSHIP_PARSER_REGEX', message: 'is required when TAILSHIP_PARSER names the regex parser' };
    }
    if (namedGroups(regex).length === 0) {
      return {
        variable: 'TAILSHIP_PARSER_REGEX',
        message: 'has no named groups: expected a pattern like ^(?<level>\\w+) (?<text>.*)$, whose groups become fields',
      };
    }
  }
  const start = e.TAILSHIP_MULTILINE_START;
  return {
    records: {
      timestampField: ts,
      epochTimeField,
      parsers,
      parserRegex: regex,
      multiline:
        start === undefined
          ? undefined
          : { startPattern: start, timeoutMs: e.TAILSHIP_MULTILINE_TIMEOUT, files: e.TAILSHIP_MULTILINE_FILES ?? [] },
    },
  };
}
