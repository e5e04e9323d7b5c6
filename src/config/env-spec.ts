// Every environment variable tailship reads, with its default and the form it takes.
// This is the single source of truth for names: the README table, the Kubernetes
// manifests' test and the unknown-variable warning all read it.
//
// Each variable is a string turned into a value by one of the small parsers below (the
// text forms are read in env-values.ts). A schema library would do no more here, and
// zod, measured, costs 6–7 MiB of resident memory for the life of the process, about a
// tenth of what the memory bound leaves the process beyond its budget.
import { PARSER_NAMES } from '../record/parser.js';
import { FOLLOW_SYMLINKS } from '../tail/file-admission.js';
import { isHostName } from './host-name.js';
import { parseDuration, parseList, parsePairs, parseParserRules, parseSize } from './env-values.js';

/** A value, or the form that was expected, shown in the one-line error. */
type Parsed<T> = { readonly value: T } | { readonly expected: string };

/** How one variable is read: `parse` turns its text into a value or says what it expected. */
interface Field<T, D extends boolean> {
  readonly parse: (text: string) => Parsed<T>;
  /** The text used when the variable is unset; parsed like a given value. */
  readonly fallback: string | undefined;
  /** Unset with no default: undefined (false), or a "required" error (true). */
  readonly required: D;
  /** The same field with a default: never undefined. */
  withDefault(text: string): Field<T, true>;
  /** The same field, undefined when unset. */
  optional(): Field<T, false>;
}

function field<T>(parse: (text: string) => Parsed<T>, fallback?: string, required = true): Field<T, boolean> {
  return {
    parse,
    fallback,
    required,
    withDefault: (text) => field(parse, text, true) as Field<T, true>,
    optional: () => field(parse, undefined, false) as Field<T, false>,
  };
}

/** A variable turned into a value by `parse`; `expected` is shown when that gives undefined. */
function parsed<T>(parse: (text: string) => T | undefined, expected: string): Field<T, true> {
  return field((text) => {
    const value = parse(text);
    return value === undefined ? { expected } : { value };
  }) as Field<T, true>;
}

const size = (min = 1) =>
  parsed((t) => {
    const n = parseSize(t);
    return n !== undefined && n >= min ? n : undefined;
  }, `a size of at least ${min} bytes, like 512KiB, 4MiB or 1048576`);

const duration = (bareUnitMs?: number, min = 0) =>
  parsed(
    (t) => {
      const n = parseDuration(t, bareUnitMs);
      return n !== undefined && n >= min ? n : undefined;
    },
    bareUnitMs === undefined
      ? 'a duration like 250ms, 5s or 2m'
      : 'a duration like 250ms or 5s (a bare number is milliseconds)',
  );

const integer = (min: number, max: number) =>
  parsed((t) => {
    if (!/^\s*\d+\s*$/.test(t)) return undefined;
    const n = Number(t);
    return n >= min && n <= max ? n : undefined;
  }, `a whole number from ${min} to ${max}`);

const boolean = parsed((t) => {
  const v = t.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return undefined;
}, 'true or false');

const oneOf = <const T extends readonly string[]>(values: T) =>
  parsed((t) => {
    const v = t.trim().toLowerCase();
    return (values as readonly string[]).includes(v) ? (v as T[number]) : undefined;
  }, `one of ${values.join(', ')}`);

const list = parsed((t) => {
  const items = parseList(t);
  return items.length > 0 ? items : undefined;
}, 'a comma-separated list');

const pairs = parsed(parsePairs, 'comma-separated key=value pairs');

const URL_EXPECTED = 'an http:// or https:// URL, like http://collector:8080/';
/** What a required variable with no default should be, when it is missing. */
const REQUIRED: Readonly<Record<string, string>> = { TAILSHIP_COLLECTOR_URL: URL_EXPECTED };

const httpUrl = field((t) => {
  let u: URL;
  try {
    u = new URL(t.trim());
  } catch {
    return { expected: URL_EXPECTED };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { expected: URL_EXPECTED };
  if (!isHostName(u.hostname)) {
    return { expected: `a URL whose host is a DNS name or an IP address (${JSON.stringify(u.hostname)} is neither)` };
  }
  return { value: u };
}) as Field<URL, true>;

const text = field((t) => ({ value: t.trim() })) as Field<string, true>;

/** Taken as given (a password may begin or end with a space). */
const raw = field((t) => ({ value: t })) as Field<string, true>;

/** A regular expression, kept as its source (untrimmed); the engine's complaint is shown. */
const regex = field((source) => {
  try {
    new RegExp(source);
    return { value: source };
  } catch (error) {
    return { expected: `a valid JavaScript regular expression (${(error as Error).message})` };
  }
}) as Field<string, true>;

/** `nginx`, or `glob=parser` pairs; checked further in record-config.ts. */
const parserRules = parsed(parseParserRules, `one of ${PARSER_NAMES.join(', ')}, or glob=parser pairs like access.log=nginx,*.json.log=json`);

/** Unlimited retries are the default: data waits in the files, not in memory. */
const retryLimit = parsed((t) => {
  const v = t.trim().toLowerCase();
  if (v === 'unlimited' || v === '0') return Infinity;
  return /^\d+$/.test(v) ? Number(v) : undefined;
}, "a whole number of attempts, or 'unlimited'");

const ENV_SPEC = {
  // Sources
  TAILSHIP_INCLUDE: list.withDefault('/pod-data/**/*.log'),
  TAILSHIP_EXCLUDE: list.optional(),
  TAILSHIP_START_AT: oneOf(['beginning', 'end'] as const).withDefault('beginning'),
  TAILSHIP_MAX_LINE_BYTES: size(64).withDefault('256KiB'),
  TAILSHIP_READ_CHUNK_BYTES: size(4096).withDefault('256KiB'),
  TAILSHIP_POLL_INTERVAL: duration(undefined, 10).withDefault('1s'),
  TAILSHIP_POLL_ONLY: boolean.withDefault('false'),
  TAILSHIP_ROTATE_WAIT: duration().withDefault('5s'),
  TAILSHIP_MAX_OPEN_FILES: integer(1, 1_000_000).withDefault('512'),
  TAILSHIP_CLOSE_INACTIVE: duration(undefined, 1).withDefault('5m'),
  TAILSHIP_FOLLOW_SYMLINKS: oneOf(FOLLOW_SYMLINKS).withDefault('within'),
  // Disk space on the log volume
  TAILSHIP_RECLAIM_ACKED: boolean.withDefault('false'),
  TAILSHIP_VOLUME_LIMIT: size(1024 * 1024).optional(),
  // State
  TAILSHIP_STATE_DIR: text.withDefault('/var/lib/tailship'),
  TAILSHIP_CHECKPOINT_INTERVAL: duration(undefined, 10).withDefault('1s'),
  // Batching
  TAILSHIP_BATCH_MAX_BYTES: size(1024).withDefault('1MiB'),
  TAILSHIP_BATCH_MAX_EVENTS: integer(1, 1_000_000).withDefault('10000'),
  TAILSHIP_BATCH_LINGER_MS: duration(1).withDefault('1000'),
  // Delivery
  TAILSHIP_COLLECTOR_URL: httpUrl,
  TAILSHIP_MAX_IN_FLIGHT: integer(1, 64).withDefault('4'),
  TAILSHIP_REQUEST_TIMEOUT: duration(undefined, 1).withDefault('30s'),
  TAILSHIP_RETRY_INITIAL: duration(undefined, 1).withDefault('250ms'),
  TAILSHIP_RETRY_MAX: duration(undefined, 1).withDefault('30s'),
  TAILSHIP_RETRY_LIMIT: retryLimit.withDefault('unlimited'),
  TAILSHIP_DEAD_LETTER_MAX_BYTES: size(1024).withDefault('64MiB'),
  TAILSHIP_MEMORY_LIMIT: size(1024 * 1024).withDefault('64MiB'),
  // Collector protocol, request options, auth and TLS (checked further in collector-config.ts)
  TAILSHIP_SINK: oneOf(['ndjson', 'json', 'loki', 'elasticsearch', 'opensearch', 'otlp', 'splunk_hec'] as const).withDefault(
    'ndjson',
  ),
  TAILSHIP_COMPRESSION: oneOf(['gzip', 'none'] as const).withDefault('gzip'),
  TAILSHIP_COMPRESSION_LEVEL: integer(1, 9).withDefault('1'),
  TAILSHIP_HEADERS: pairs.optional(),
  TAILSHIP_TENANT_ID: text.optional(),
  TAILSHIP_AUTH_BEARER_TOKEN: text.optional(),
  TAILSHIP_AUTH_BEARER_TOKEN_FILE: text.optional(),
  TAILSHIP_AUTH_BASIC_USER: text.optional(),
  TAILSHIP_AUTH_BASIC_PASSWORD: raw.optional(),
  TAILSHIP_AUTH_BASIC_PASSWORD_FILE: text.optional(),
  TAILSHIP_TLS_CA_FILE: text.optional(),
  TAILSHIP_TLS_CERT_FILE: text.optional(),
  TAILSHIP_TLS_KEY_FILE: text.optional(),
  TAILSHIP_TLS_SERVER_NAME: text.optional(),
  TAILSHIP_TLS_INSECURE_SKIP_VERIFY: boolean.withDefault('false'),
  TAILSHIP_LOKI_LABELS: pairs.withDefault(
    'job=tailship,namespace=$kubernetes.namespace,pod=$kubernetes.pod,container=$kubernetes.container,filename=$file',
  ),
  TAILSHIP_LOKI_STRUCTURED_METADATA: pairs.optional(),
  TAILSHIP_LOKI_LINE: oneOf(['message', 'json'] as const).withDefault('message'),
  TAILSHIP_ES_INDEX: text.optional(),
  TAILSHIP_SPLUNK_SOURCETYPE: text.optional(),
  TAILSHIP_SPLUNK_INDEX: text.optional(),
  // Lifecycle
  TAILSHIP_DRAIN_QUIET: duration().withDefault('2s'),
  TAILSHIP_DRAIN_TIMEOUT: duration().withDefault('25s'),
  // Operations
  TAILSHIP_HEALTH_PORT: integer(0, 65535).withDefault('8686'),
  TAILSHIP_HEALTH_HOST: text.withDefault('0.0.0.0'),
  TAILSHIP_LOG_LEVEL: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const).withDefault(
    'info',
  ),
  // Record metadata (Kubernetes Downward API and static fields)
  TAILSHIP_FIELDS: pairs.optional(),
  TAILSHIP_SOURCE_CONTAINER: text.optional(),
  K8S_POD_NAME: text.optional(),
  K8S_NAMESPACE: text.optional(),
  K8S_NODE_NAME: text.optional(),
  K8S_POD_IP: text.optional(),
  // Records: parsing, multiline, field names (checked further in record-config.ts)
  TAILSHIP_TIMESTAMP_FIELD: text.withDefault('@timestamp'),
  TAILSHIP_PARSER: parserRules.withDefault('none'),
  TAILSHIP_PARSER_REGEX: regex.optional(),
  TAILSHIP_MULTILINE_START: regex.optional(),
  TAILSHIP_MULTILINE_TIMEOUT: duration(undefined, 1).withDefault('1s'),
  TAILSHIP_MULTILINE_FILES: list.optional(),
} as const;

type Spec = typeof ENV_SPEC;
type ValueOf<F> = F extends Field<infer T, infer D> ? (D extends true ? T : T | undefined) : never;

/** The environment, parsed: one typed value per variable. */
export type Env = { readonly [K in keyof Spec]: ValueOf<Spec[K]> };

/** The first variable that is not valid, and what it should have been. */
export interface EnvProblem {
  readonly name: string;
  /** Set when the variable was given (an invalid value), unset when it is missing. */
  readonly value: string | undefined;
  readonly expected: string;
}

/**
 * Parses the variables tailship knows (`picked`: set and non-empty only). Variables are
 * checked in the order of the table, and the first problem is returned.
 */
export function parseEnv(picked: Readonly<Record<string, string>>): { env: Env } | { problem: EnvProblem } {
  const env: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(ENV_SPEC) as Array<[string, Field<unknown, boolean>]>) {
    const given = picked[name];
    const text = given ?? f.fallback;
    if (text === undefined) {
      if (f.required) return { problem: { name, value: undefined, expected: REQUIRED[name] ?? 'a value' } };
      env[name] = undefined;
      continue;
    }
    const result = f.parse(text);
    if ('expected' in result) return { problem: { name, value: given, expected: result.expected } };
    env[name] = result.value;
  }
  return { env: env as Env };
}

/** Every variable name tailship reads. */
export const KNOWN_ENV_NAMES: ReadonlySet<string> = new Set(Object.keys(ENV_SPEC));

/** Variables whose values are secrets: masked wherever configuration is shown. */
export const SECRET_ENV_NAMES: ReadonlySet<string> = new Set<string>([
  'TAILSHIP_AUTH_BEARER_TOKEN',
  'TAILSHIP_AUTH_BASIC_PASSWORD',
  'TAILSHIP_HEADERS',
]);
