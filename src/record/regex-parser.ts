import type { LineParser, ParsedLine } from './parser.js';
import { parseIso8601, parseTimeLocal, TIME_LOCAL_LENGTH } from './timestamps.js';

export const REGEX_NO_MATCH = 'regex: no match';

/**
 * Named groups of TAILSHIP_PARSER_REGEX become fields (strings; a group that took no
 * part in the match is left out). The pattern is used as written, with no flags: it
 * matches anywhere in the line unless anchored, and `.` stops at a newline, so on a
 * joined multiline record `^…` and `.*` read the first line.
 *
 * Time: a group named like the record's time field, `timestamp` or `time` that holds an
 * ISO-8601 time or an nginx `$time_local` becomes the record's time; the group named
 * like the record's time field is then not shipped twice.
 */
export class RegexParser implements LineParser {
  readonly name = 'regex' as const;
  readonly #re: RegExp;
  readonly #timestampField: string;
  readonly #timeGroups: readonly string[];

  /** Throws on an invalid pattern or one without named groups (config validates first). */
  constructor(pattern: string, timestampField: string) {
    this.#re = new RegExp(pattern);
    const groups = namedGroups(pattern);
    if (groups.length === 0) throw new Error('the pattern has no named groups');
    this.#timestampField = timestampField;
    this.#timeGroups = [timestampField, 'timestamp', 'time'].filter((g) => groups.includes(g));
  }

  parse(message: string): ParsedLine | string {
    const m = this.#re.exec(message);
    if (!m?.groups) return REGEX_NO_MATCH;
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(m.groups)) if (value !== undefined) fields[key] = value;
    let timeMs: number | undefined;
    for (const g of this.#timeGroups) {
      const v = m.groups[g];
      if (v === undefined) continue;
      timeMs = v.length === TIME_LOCAL_LENGTH ? parseTimeLocal(v, 0) : parseIso8601(v);
      if (timeMs !== undefined) {
        if (g === this.#timestampField) delete fields[g];
        break;
      }
    }
    return { fields, timeMs };
  }
}

/**
 * The names of a pattern's named groups, exactly as the engine sees them: the pattern
 * with an empty alternative always matches '', and its `groups` then lists every name.
 * Throws on an invalid pattern.
 */
export function namedGroups(pattern: string): string[] {
  const m = new RegExp(`(?:${pattern})|`).exec('');
  return m?.groups ? Object.keys(m.groups) : [];
}
