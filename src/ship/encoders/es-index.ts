// Index names with a date pattern (`logs-%Y.%m.%d`), filled in from the record's time in
// UTC. Pure; cached per day (or hour), since consecutive lines share it.

const INVALID_CHARS = /[\\/*?"<>| ,#:A-Z]/;

/**
 * Why `pattern` cannot name an Elasticsearch/OpenSearch index, or undefined when it can.
 * Checked on the pattern with its placeholders, which expand to digits.
 */
export function indexPatternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'it is empty';
  const bad = /%([^YmdH]|$)/.exec(pattern.replace(/%%/g, ''));
  if (bad) return `unknown placeholder ${bad[0]} (use %Y, %m, %d, %H or %%)`;
  const sample = expand(pattern, 0);
  if (INVALID_CHARS.test(sample)) return 'index names are lowercase and contain none of \\ / * ? " < > | space , # :';
  if (/^[-_+]/.test(sample)) return 'index names cannot start with -, _ or +';
  if (sample === '.' || sample === '..') return 'index names cannot be . or ..';
  if (Buffer.byteLength(sample) > 255) return 'index names are at most 255 bytes';
  return undefined;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function expand(pattern: string, ms: number): string {
  const d = new Date(ms);
  return pattern.replace(/%([Ymd%H])/g, (_, c: string) => {
    switch (c) {
      case 'Y':
        return String(d.getUTCFullYear());
      case 'm':
        return two(d.getUTCMonth() + 1);
      case 'd':
        return two(d.getUTCDate());
      case 'H':
        return two(d.getUTCHours());
      default:
        return '%';
    }
  });
}

/** Expands an index pattern per record time; the JSON text of the name is cached per period. */
export class IndexName {
  readonly #pattern: string;
  readonly #periodMs: number;
  #from = Infinity;
  #to = -Infinity;
  #json = '';

  constructor(pattern: string) {
    this.#pattern = pattern;
    this.#periodMs = pattern.includes('%H') ? 3_600_000 : /%[Ymd]/.test(pattern) ? 86_400_000 : Infinity;
    if (this.#periodMs === Infinity) this.#json = JSON.stringify(expand(pattern, 0));
  }

  /** The index name for a time, as JSON text. */
  json(ms: number): string {
    if (this.#periodMs === Infinity) return this.#json;
    if (ms < this.#from || ms >= this.#to) {
      this.#from = Math.floor(ms / this.#periodMs) * this.#periodMs;
      this.#to = this.#from + this.#periodMs;
      this.#json = JSON.stringify(expand(this.#pattern, ms));
    }
    return this.#json;
  }
}
