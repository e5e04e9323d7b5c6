import { hostname } from 'node:os';
import { collectorSections } from './collector-config.js';
import type { Config } from './config.js';
import { KNOWN_ENV_NAMES, parseEnv, SECRET_ENV_NAMES, type Env } from './env-spec.js';
import { nearestName } from './nearest-name.js';
import { recordSection } from './record-config.js';
import { TailshipError } from '../errors.js';

/** Exit code for a configuration error (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

export class ConfigError extends TailshipError {
  readonly variable: string;

  constructor(message: string, variable: string) {
    super('ERR_CONFIG', message);
    this.variable = variable;
  }
}

export interface LoadedConfig {
  readonly config: Config;
  /** Warnings about the environment that do not stop start-up (unknown names). */
  readonly warnings: readonly string[];
}

/** Reads only the variables tailship knows; an empty value counts as unset. */
function pickEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KNOWN_ENV_NAMES) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') out[name] = value;
  }
  return out;
}

/** Each `TAILSHIP_*` name tailship does not read, with the known name it is nearest to. */
function unknownNames(env: NodeJS.ProcessEnv): Array<{ name: string; near: string | undefined }> {
  const out: Array<{ name: string; near: string | undefined }> = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith('TAILSHIP_') || KNOWN_ENV_NAMES.has(name)) continue;
    out.push({ name, near: nearestName(name, KNOWN_ENV_NAMES) });
  }
  return out;
}

function unknownNameWarnings(env: NodeJS.ProcessEnv): string[] {
  return unknownNames(env).map(({ name, near }) =>
    near ? `unknown variable ${name} is ignored; did you mean ${near}?` : `unknown variable ${name} is ignored`,
  );
}

/**
 * The end of an error about `variable` when a misspelling of it is set, e.g.
 * `; TAILSHIP_COLECTOR_URL is set: did you mean TAILSHIP_COLLECTOR_URL?`, else ''. A
 * missing or default value is most often one given under a wrong name, and the
 * warning that says so is not printed when start-up fails.
 */
export function misspellingHint(variable: string, env: NodeJS.ProcessEnv): string {
  const names = unknownNames(env)
    .filter((u) => u.near === variable)
    .map((u) => u.name);
  return names.length === 0 ? '' : `; ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} set: did you mean ${variable}?`;
}

/**
 * `$(NAME)` as Kubernetes writes a reference to another variable. The kubelet replaces
 * it only in a container's own `env` values, and only with a variable defined before it
 * there; in a ConfigMap read with `envFrom`, or when NAME is not defined, it is left as
 * it is, and a URL like `http://$(COLLECTOR_HOST):9880/` would reach no collector.
 */
const UNEXPANDED_REF = /\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/;

function unexpandedReference(picked: Readonly<Record<string, string>>): ConfigError | undefined {
  for (const [name, value] of Object.entries(picked)) {
    const ref = UNEXPANDED_REF.exec(value);
    if (!ref) continue;
    const what = SECRET_ENV_NAMES.has(name)
      ? `${name} (secret, not shown) holds a $(NAME) reference`
      : `${name}=${shown(name, value)} holds ${ref[0]}, a reference`;
    return new ConfigError(
      `${what} that Kubernetes did not expand: it expands $(NAME) only in a container's env values, and only when NAME is defined before it in that list`,
      name,
    );
  }
  return undefined;
}

/** A value as shown in an error: secrets never, long values cut. */
function shown(name: string, value: string): string {
  if (SECRET_ENV_NAMES.has(name)) return '(secret, not shown)';
  const v = value.length > 120 ? `${value.slice(0, 117)}...` : value;
  return JSON.stringify(v);
}

/**
 * Parses and validates the environment. Throws a ConfigError whose message is one line
 * naming the variable, the value given and the form expected, and a misspelling of the
 * variable when one is set.
 */
export function loadConfig(env: NodeJS.ProcessEnv): LoadedConfig {
  try {
    return loadConfigOrThrow(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const hint = misspellingHint(error.variable, env);
    throw hint ? new ConfigError(`${error.message}${hint}`, error.variable) : error;
  }
}

function loadConfigOrThrow(env: NodeJS.ProcessEnv): LoadedConfig {
  const picked = pickEnv(env);
  const unexpanded = unexpandedReference(picked);
  if (unexpanded) throw unexpanded;
  const result = parseEnv(picked);
  if ('problem' in result) {
    const { name, value, expected } = result.problem;
    const message =
      value === undefined
        ? `${name} is required: expected ${expected}`
        : `${name}=${shown(name, value)} is invalid: expected ${expected}`;
    throw new ConfigError(message, name);
  }
  return { config: toConfig(result.env, env), warnings: unknownNameWarnings(env) };
}

function toConfig(e: Env, env: NodeJS.ProcessEnv): Config {
  if (e.TAILSHIP_RETRY_INITIAL > e.TAILSHIP_RETRY_MAX) {
    throw new ConfigError(
      `TAILSHIP_RETRY_INITIAL=${e.TAILSHIP_RETRY_INITIAL}ms is invalid: expected at most TAILSHIP_RETRY_MAX (${e.TAILSHIP_RETRY_MAX}ms)`,
      'TAILSHIP_RETRY_INITIAL',
    );
  }
  if (e.TAILSHIP_BATCH_MAX_BYTES * 2 > e.TAILSHIP_MEMORY_LIMIT) {
    throw new ConfigError(
      `TAILSHIP_MEMORY_LIMIT=${e.TAILSHIP_MEMORY_LIMIT} bytes is invalid: expected at least twice TAILSHIP_BATCH_MAX_BYTES (${e.TAILSHIP_BATCH_MAX_BYTES} bytes)`,
      'TAILSHIP_MEMORY_LIMIT',
    );
  }
  const collector = collectorSections(e, e.TAILSHIP_COLLECTOR_URL);
  if ('message' in collector) throw new ConfigError(`${collector.variable} is invalid: ${collector.message}`, collector.variable);
  const records = recordSection(e);
  if ('message' in records) throw new ConfigError(`${records.variable} ${records.message}`, records.variable);
  const config: Config = {
    sources: {
      include: e.TAILSHIP_INCLUDE,
      exclude: e.TAILSHIP_EXCLUDE ?? [],
      startAt: e.TAILSHIP_START_AT,
      maxLineBytes: e.TAILSHIP_MAX_LINE_BYTES,
      readChunkBytes: e.TAILSHIP_READ_CHUNK_BYTES,
      pollIntervalMs: e.TAILSHIP_POLL_INTERVAL,
      pollOnly: e.TAILSHIP_POLL_ONLY,
      rotateWaitMs: e.TAILSHIP_ROTATE_WAIT,
      followSymlinks: e.TAILSHIP_FOLLOW_SYMLINKS,
      maxOpenFiles: e.TAILSHIP_MAX_OPEN_FILES,
      closeInactiveMs: e.TAILSHIP_CLOSE_INACTIVE,
    },
    disk: { reclaimAcked: e.TAILSHIP_RECLAIM_ACKED, volumeLimitBytes: e.TAILSHIP_VOLUME_LIMIT },
    state: { dir: e.TAILSHIP_STATE_DIR, checkpointIntervalMs: e.TAILSHIP_CHECKPOINT_INTERVAL },
    batch: {
      maxBytes: e.TAILSHIP_BATCH_MAX_BYTES,
      maxEvents: e.TAILSHIP_BATCH_MAX_EVENTS,
      lingerMs: e.TAILSHIP_BATCH_LINGER_MS,
    },
    delivery: {
      url: e.TAILSHIP_COLLECTOR_URL,
      maxInFlight: e.TAILSHIP_MAX_IN_FLIGHT,
      requestTimeoutMs: e.TAILSHIP_REQUEST_TIMEOUT,
      retryInitialMs: e.TAILSHIP_RETRY_INITIAL,
      retryMaxMs: e.TAILSHIP_RETRY_MAX,
      retryLimit: e.TAILSHIP_RETRY_LIMIT,
      deadLetterMaxBytes: e.TAILSHIP_DEAD_LETTER_MAX_BYTES,
    },
    memoryLimitBytes: e.TAILSHIP_MEMORY_LIMIT,
    ...collector,
    drain: { quietMs: e.TAILSHIP_DRAIN_QUIET, timeoutMs: e.TAILSHIP_DRAIN_TIMEOUT },
    health: { host: e.TAILSHIP_HEALTH_HOST, port: e.TAILSHIP_HEALTH_PORT },
    logLevel: e.TAILSHIP_LOG_LEVEL,
    records: records.records,
    metadata: {
      host: env['HOSTNAME'] || hostname(),
      fields: e.TAILSHIP_FIELDS ?? [],
      kubernetes: {
        pod: e.K8S_POD_NAME,
        namespace: e.K8S_NAMESPACE,
        node: e.K8S_NODE_NAME,
        podIp: e.K8S_POD_IP,
        container: e.TAILSHIP_SOURCE_CONTAINER,
      },
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof URL)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The effective configuration for `--check-config`, with secrets masked. */
export function describeConfig(config: Config): unknown {
  return JSON.parse(
    // A replacer sees a URL only after its toJSON, so look at the holder's own value.
    JSON.stringify(config, function (this: Record<string, unknown>, key, value: unknown) {
      const raw = this[key];
      if (raw instanceof URL) return redactUrl(raw);
      if (value === Infinity) return 'unlimited';
      // Secret values are masked; the paths of secret files (…File) are not secrets.
      if (/password|token|secret|authorization/i.test(key) && !/file$/i.test(key) && typeof value === 'string') {
        return '***';
      }
      return value;
    }),
  ) as unknown;
}

/** A URL without credentials, for logs and status. */
export function redactUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = copy.username ? '***' : '';
  copy.password = copy.password ? '***' : '';
  return copy.href;
}
