/** The parsers TAILSHIP_PARSER can name. `none` ships the line as it is. */
export const PARSER_NAMES = ['none', 'json', 'nginx', 'regex'] as const;
export type ParserName = (typeof PARSER_NAMES)[number];

/** A parser for the files a glob matches; no glob means every file. */
export interface ParserRule {
  readonly glob: string | undefined;
  readonly parser: ParserName;
}

/** What a parser found in a line. */
export interface ParsedLine {
  /** Fields to add to the record; names never those of the standard record (see reserved-names.ts). */
  readonly fields: Record<string, unknown>;
  /** The line's own time (ms since the epoch) when it carries one, else undefined. */
  readonly timeMs: number | undefined;
}

/**
 * A parser: pure, one line in, fields out. A line that does not parse is a value (the
 * reason, a short constant string), not an exception: it is shipped unparsed.
 */
export interface LineParser {
  readonly name: Exclude<ParserName, 'none'>;
  parse(message: string): ParsedLine | string;
}
