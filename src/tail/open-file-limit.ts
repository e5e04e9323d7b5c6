import { readFileSync } from 'node:fs';

/**
 * Descriptors kept free of the `nofile` limit for what is not a tailed file: the
 * collector's sockets, the health server, the state dir, the logs, chokidar, the brief
 * opens of discovery (a head peeked, a directory listed).
 */
export const DESCRIPTOR_RESERVE = 64;

/**
 * The limit on files held open that tailship actually applies: `requested`
 * (TAILSHIP_MAX_OPEN_FILES), lowered to the process's `nofile` soft limit minus
 * DESCRIPTOR_RESERVE, so a flood of files can never take the descriptor the collector's
 * socket needs (issue 17). At least 1.
 */
export function effectiveMaxOpenFiles(requested: number, nofileSoft: number | undefined): number {
  const cap = nofileSoft === undefined ? Infinity : nofileSoft - DESCRIPTOR_RESERVE;
  return Math.max(1, Math.min(requested, cap));
}

/**
 * The `nofile` soft limit from /proc/self/limits ("Max open files  1024  4096  files").
 * Node has no getrlimit; undefined where /proc is not there or says "unlimited".
 */
export function nofileSoftLimit(limits?: string): number | undefined {
  let text = limits;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * A counting limiter of descriptor slots with fair, first-come first-served waiting.
 * Nothing here opens or closes files: the tail manager takes a slot before it opens a
 * file and gives it back when it closes (or parks) one.
 *
 * Invariants: `used` counts slots taken; `used <= max` except by `takeReserved` (rotated
 * generations and copies, which must be held at once or their data is lost), whose excess
 * is `over` and is worked back by parking quiet files. A waiter is granted a slot only by
 * `release`, in the order the waiters came; `tryTake` fails while anyone waits, so a
 * newcomer cannot overtake them.
 */
export class OpenFileLimit<K> {
  readonly max: number;
  #used = 0;
  /** Waiters in arrival order (a Set keeps insertion order; a key waits once). */
  readonly #waiting = new Set<K>();

  constructor(max: number) {
    if (!(max >= 1)) throw new RangeError(`max must be at least 1, not ${max}`);
    this.max = max;
  }

  get used(): number {
    return this.#used;
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  /** Slots taken beyond `max` (reserved ones); 0 when within it. */
  get over(): number {
    return Math.max(0, this.#used - this.max);
  }

  isWaiting(key: K): boolean {
    return this.#waiting.has(key);
  }

  /** Whether `tryTake` would succeed now. */
  get available(): boolean {
    return this.#used < this.max && this.#waiting.size === 0;
  }

  /** Takes a slot when one is free and nobody waits for one. */
  tryTake(): boolean {
    if (this.#used >= this.max || this.#waiting.size > 0) return false;
    this.#used++;
    return true;
  }

  /** Takes a slot even past `max`: for a file that must be held now (see the class comment). */
  takeReserved(): void {
    this.#used++;
  }

  /** Joins the queue for a slot (no effect when `key` waits already). */
  wait(key: K): void {
    this.#waiting.add(key);
  }

  /** Leaves the queue (the file went away, or it is being closed). */
  cancel(key: K): void {
    this.#waiting.delete(key);
  }

  /**
   * Gives a slot back. When someone waits and the slot is within `max`, it passes to the
   * first waiter, who is returned and now holds it; else undefined.
   */
  release(): K | undefined {
    if (this.#used <= 0) throw new Error('release without a slot taken');
    if (this.#used > this.max || this.#waiting.size === 0) {
      this.#used--;
      return undefined;
    }
    const first = this.#waiting.values().next().value as K;
    this.#waiting.delete(first);
    return first;
  }

  /** The first waiter, now holding a slot, when a slot is free (a waiter left the queue); else undefined. */
  admit(): K | undefined {
    if (this.#used >= this.max || this.#waiting.size === 0) return undefined;
    const first = this.#waiting.values().next().value as K;
    this.#waiting.delete(first);
    this.#used++;
    return first;
  }

  /** Forgets every waiter (shutdown). */
  clear(): void {
    this.#waiting.clear();
  }
}
