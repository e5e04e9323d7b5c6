// Parsers for the text forms environment variables take: sizes, durations, lists,
// pairs and parser rules. Pure: they return undefined for a value they do not
// understand, and the caller names the variable in its error.
import { PARSER_NAMES, type ParserName, type ParserRule } from '../record/parser.js';

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
};

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/** `512KiB`, `4MiB`, `1.5GB`, `1048576` → bytes (an integer), or undefined. */
export function parseSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/**
 * `250ms`, `5s`, `1.5m`, `2h` → milliseconds. A bare number is accepted only when
 * the caller says what unit it means (`bareUnitMs`), so `TAILSHIP_BATCH_LINGER_MS=500`
 * works while `TAILSHIP_RETRY_MAX=30` is refused rather than guessed.
 */
export function parseDuration(text: string, bareUnitMs?: number): number | undefined {
  const m = DURATION_RE.exec(text);
  if (!m) return undefined;
  const unitText = (m[2] ?? '').toLowerCase();
  const unit = unitText === '' ? bareUnitMs : DURATION_UNITS[unitText];
  if (unit === undefined) return undefined;
  const ms = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Splits `a, b ,c` into trimmed non-empty items. */
export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Parses `k=v,k2=v2` pairs; returns undefined when an item has no `=` or an empty key. */
export function parsePairs(text: string): Array<[string, string]> | undefined {
  const out: Array<[string, string]> = [];
  for (const item of parseList(text)) {
    const eq = item.indexOf('=');
    if (eq <= 0) return undefined;
    out.push([item.slice(0, eq).trim(), item.slice(eq + 1).trim()]);
  }
  return out;
}

function parserName(text: string): ParserName | undefined {
  const v = text.trim().toLowerCase();
  return (PARSER_NAMES as readonly string[]).includes(v) ? (v as ParserName) : undefined;
}

/**
 * TAILSHIP_PARSER: one parser for every file (`nginx`), or `glob=parser` pairs tried in
 * order (`error.log=nginx,*.json.log=json`). A glob cannot hold a comma (no `{a,b}`):
 * write two pairs instead.
 */
export function parseParserRules(text: string): ParserRule[] | undefined {
  if (!text.includes('=')) {
    const parser = parserName(text);
    if (parser === undefined) return undefined;
    return parser === 'none' ? [] : [{ glob: undefined, parser }];
  }
  const rules: ParserRule[] = [];
  for (const item of parseList(text)) {
    const eq = item.lastIndexOf('=');
    const glob = item.slice(0, eq).trim();
    const parser = parserName(item.slice(eq + 1));
    if (eq <= 0 || glob === '' || parser === undefined) return undefined;
    rules.push({ glob, parser });
  }
  // Only `none` rules parse nothing: the cheap path.
  return rules.some((r) => r.parser !== 'none') ? rules : [];
}
