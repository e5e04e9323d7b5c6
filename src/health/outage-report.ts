/** Below this, a failing collector is a blip: each failure is logged at debug only. */
export const OUTAGE_AFTER_MS = 60_000;
/** While an outage lasts, it is logged at warn at most this often. */
export const OUTAGE_REPEAT_MS = 5 * 60_000;

/** What to log for a failed attempt. */
export type OutageLog = { readonly level: 'debug' } | { readonly level: 'warn'; readonly downMs: number } | undefined;

/**
 * When a collector outage is worth a warning: not for a failure or two, and not once per
 * retry while it lasts (conventions: no logging per retry), but once it has lasted a
 * minute, then every five minutes, and once more when the collector accepts again. Pure:
 * time is passed in.
 */
export class OutageReport {
  /** When the current streak of failures began; undefined after a delivery. */
  #failingSinceMs: number | undefined;
  /** When the outage was last warned about; undefined: not warned about. */
  #lastWarnMs: number | undefined;

  /** A failed attempt: what to log for it (undefined: nothing). */
  failed(nowMs: number): OutageLog {
    this.#failingSinceMs ??= nowMs;
    const downMs = nowMs - this.#failingSinceMs;
    if (downMs < OUTAGE_AFTER_MS) return { level: 'debug' };
    if (this.#lastWarnMs !== undefined && nowMs - this.#lastWarnMs < OUTAGE_REPEAT_MS) return undefined;
    this.#lastWarnMs = nowMs;
    return { level: 'warn', downMs };
  }

  /** A delivery: true when an outage was warned about, and is now over. */
  delivered(): boolean {
    this.#failingSinceMs = undefined;
    const warned = this.#lastWarnMs !== undefined;
    this.#lastWarnMs = undefined;
    return warned;
  }
}
