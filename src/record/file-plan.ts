import { JsonParser } from './json-parser.js';
import { NGINX_FIELD_NAMES, NginxParser } from './nginx-parser.js';
import type { LineParser, ParserName, ParserRule } from './parser.js';
import { firstMatch, pathMatcher } from './path-rules.js';
import { RegexParser } from './regex-parser.js';

export interface MultilineOptions {
  /** A regex (source text) matching the first line of a record. */
  readonly startPattern: string;
  /** A record with no new line for this long is emitted as it is. */
  readonly timeoutMs: number;
  /** Files joined; empty means every file. */
  readonly files: readonly string[];
}

/** How one file's lines are treated, decided when its first line arrives. */
export interface FilePlan {
  readonly parser: LineParser | undefined;
  /** The parser may write a reserved name, so its fields are checked per line. */
  readonly guard: boolean;
  readonly multiline: RegExp | undefined;
}

/** No parser, no joining: the line as it is. */
export const PLAIN: FilePlan = { parser: undefined, guard: false, multiline: undefined };

/**
 * Which parser (TAILSHIP_PARSER rules, first match wins) and which multiline rule
 * (TAILSHIP_MULTILINE_FILES) apply to a file, by its path. One parser of each kind serves
 * every file that names it.
 */
export class FilePlanner {
  /** Nothing is parsed or joined anywhere: the cheap path. */
  readonly plain: boolean;
  readonly #rules: ReadonlyArray<{ match: (path: string) => boolean; value: ParserName }>;
  readonly #parsers = new Map<ParserName, LineParser>();
  readonly #reserved: readonly string[];
  readonly #multilineStart: RegExp | undefined;
  readonly #multilineFiles: ReadonlyArray<(path: string) => boolean>;

  /** `reserved`: the names parsed fields may not take (reserved-names.ts). */
  constructor(
    rules: readonly ParserRule[],
    parserRegex: string | undefined,
    multiline: MultilineOptions | undefined,
    timestampField: string,
    reserved: readonly string[],
  ) {
    this.#rules = rules.map((r) => ({ match: pathMatcher(r.glob), value: r.parser }));
    for (const { parser } of rules) {
      if (parser === 'none' || this.#parsers.has(parser)) continue;
      if (parser === 'nginx') this.#parsers.set(parser, new NginxParser());
      else if (parser === 'json') this.#parsers.set(parser, new JsonParser(timestampField));
      else this.#parsers.set(parser, new RegexParser(parserRegex ?? '', timestampField));
    }
    this.#reserved = reserved;
    this.#multilineStart = multiline ? new RegExp(multiline.startPattern) : undefined;
    this.#multilineFiles = multiline ? multiline.files.map((g) => pathMatcher(g)) : [];
    this.plain = this.#parsers.size === 0 && multiline === undefined;
  }

  plan(path: string): FilePlan {
    const name = firstMatch(this.#rules, path);
    const parser = name === undefined || name === 'none' ? undefined : this.#parsers.get(name);
    const start =
      this.#multilineStart !== undefined &&
      (this.#multilineFiles.length === 0 || this.#multilineFiles.some((m) => m(path)))
        ? this.#multilineStart
        : undefined;
    const guard = parser !== undefined && (parser.name !== 'nginx' || this.#reserved.some((k) => NGINX_FIELD_NAMES.includes(k)));
    return parser === undefined && start === undefined ? PLAIN : { parser, guard, multiline: start };
  }
}
