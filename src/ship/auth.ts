import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { TailshipError } from '../errors.js';

/** The credentials sent to the collector (TAILSHIP_AUTH_*); at most one kind is set. */
export interface AuthOptions {
  readonly bearerToken: string | undefined;
  /** Re-read when the file changes (a rotated Kubernetes Secret). */
  readonly bearerTokenFile: string | undefined;
  readonly basicUser: string | undefined;
  readonly basicPassword: string | undefined;
  readonly basicPasswordFile: string | undefined;
}

/** How the bearer token is presented: `Bearer` for most collectors, `Splunk` for HEC. */
export type TokenScheme = 'Bearer' | 'Splunk';

/** What the credentials report; the owner turns these into logs (never with the secret). */
export interface AuthEvents {
  /** A credentials file changed and its new content is in use. */
  rotated(path: string): void;
  /** A credentials file could not be read again; the previous value stays in use. */
  readFailed(path: string, code: string): void;
}

/** The Authorization value for a token or a user and password. Pure. */
export function authorizationValue(
  credential: { token: string; scheme: TokenScheme } | { user: string; password: string },
): string {
  if ('token' in credential) return `${credential.scheme} ${credential.token}`;
  return `Basic ${Buffer.from(`${credential.user}:${credential.password}`, 'utf8').toString('base64')}`;
}

/** A secret file's content: a trailing newline (as `echo` and editors leave it) is not part of it. */
export function secretFromFile(text: string): string {
  return text.replace(/[\r\n]+$/, '');
}

const WATCH_INTERVAL_MS = 1000;
const MIN_REFRESH_GAP_MS = 1000;

/**
 * The Authorization header value, kept current. A secret given as a file (a mounted
 * Kubernetes Secret) is read at start — a missing or empty file is a start-up error —
 * then watched (stat polling, which follows the `..data` symlink swap of a Secret
 * volume) and read again when it changes, or when the collector answers 401/403.
 * The secret is never put in an error message or an event.
 */
export class Credentials {
  readonly #make: (secret: string) => string;
  readonly #file: { path: string; variable: string } | undefined;
  readonly #events: AuthEvents;
  #value: string | undefined;
  #secret = '';
  #lastRefreshMs = 0;
  #reading: Promise<void> | undefined;
  #closed = false;

  private constructor(
    make: (secret: string) => string,
    initial: string | undefined,
    file: { path: string; variable: string } | undefined,
    events: AuthEvents,
  ) {
    this.#make = make;
    this.#file = file;
    this.#events = events;
    if (initial !== undefined) {
      this.#secret = initial;
      this.#value = make(initial);
    }
  }

  /** Builds the credentials of the options (none when nothing is set). Throws ERR_AUTH_FILE. */
  static fromOptions(auth: AuthOptions, scheme: TokenScheme, url: URL, events: AuthEvents): Credentials {
    if (auth.bearerToken !== undefined || auth.bearerTokenFile !== undefined) {
      const make = (token: string) => authorizationValue({ token, scheme });
      return Credentials.#withSecret(make, auth.bearerToken, auth.bearerTokenFile, 'TAILSHIP_AUTH_BEARER_TOKEN_FILE', events);
    }
    if (auth.basicUser !== undefined) {
      const user = auth.basicUser;
      const make = (password: string) => authorizationValue({ user, password });
      return Credentials.#withSecret(make, auth.basicPassword, auth.basicPasswordFile, 'TAILSHIP_AUTH_BASIC_PASSWORD_FILE', events);
    }
    if (url.username) {
      // http://user:pass@host/: undici does not send URL credentials by itself.
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      return new Credentials(() => authorizationValue({ user, password }), password, undefined, events);
    }
    return new Credentials(() => '', undefined, undefined, events);
  }

  static #withSecret(
    make: (secret: string) => string,
    value: string | undefined,
    path: string | undefined,
    variable: string,
    events: AuthEvents,
  ): Credentials {
    if (path === undefined) return new Credentials(make, value ?? '', undefined, events);
    const creds = new Credentials(make, readSecretFileSync(path, variable), { path, variable }, events);
    watchFile(path, { interval: WATCH_INTERVAL_MS, persistent: false }, creds.#onStat);
    // The watcher's first stat is asynchronous: a Secret swapped before it completes
    // becomes its baseline and never "changes". One read after the first interval closes
    // that window (it reports a rotation only if the secret differs).
    setTimeout(() => void creds.#reread(), WATCH_INTERVAL_MS + 100).unref();
    return creds;
  }

  /** The Authorization header value, or undefined when no credentials are configured. */
  get header(): string | undefined {
    return this.#value;
  }

  /** Reads the secret file again now (after a 401/403), at most once a second. */
  refresh(nowMs = Date.now()): Promise<void> {
    if (!this.#file || this.#closed || nowMs - this.#lastRefreshMs < MIN_REFRESH_GAP_MS) {
      return this.#reading ?? Promise.resolve();
    }
    this.#lastRefreshMs = nowMs;
    return this.#reread();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#file) unwatchFile(this.#file.path, this.#onStat);
  }

  readonly #onStat = (curr: Stats): void => {
    // A Secret update replaces the file; a vanished file (nlink 0 between swaps) is read later.
    if (curr.nlink === 0 && curr.size === 0) return;
    void this.#reread();
  };

  #reread(): Promise<void> {
    const file = this.#file;
    if (!file || this.#closed) return Promise.resolve();
    if (this.#reading) return this.#reading;
    this.#reading = readFile(file.path, 'utf8')
      .then((text) => {
        const secret = secretFromFile(text);
        if (secret === '') throw Object.assign(new Error('empty'), { code: 'EEMPTY' });
        if (secret !== this.#secret && !this.#closed) {
          this.#secret = secret;
          this.#value = this.#make(secret);
          this.#events.rotated(file.path);
        }
      })
      .catch((error: unknown) => {
        this.#events.readFailed(file.path, (error as { code?: string }).code ?? 'EUNKNOWN');
      })
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }
}

/** A secret file's content, as start-up reads it. Throws ERR_AUTH_FILE (missing, unreadable or empty) naming `variable`. */
export function readSecretFileSync(path: string, variable: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'EUNKNOWN';
    throw new TailshipError('ERR_AUTH_FILE', `${variable}: cannot read ${path} (${code})`);
  }
  const secret = secretFromFile(text);
  if (secret === '') throw new TailshipError('ERR_AUTH_FILE', `${variable}: ${path} is empty`);
  return secret;
}
