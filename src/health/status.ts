import type { MemoryBudget } from '../ack/memory-budget.js';
import type { Batcher } from '../batch/batcher.js';
import { initialCollectorState, type CollectorState } from '../ship/collector-state.js';
import type { DiskStatus, Reclaimer } from '../reclaim/reclaimer.js';
import type { Shipper } from '../ship/shipper.js';
import { unacknowledgedBytes } from '../ack/unacknowledged-bytes.js';
import type { FileStatus } from '../tail/tail-interfaces.js';
import type { TailManager } from '../tail/tail-manager.js';
import type { HealthSource } from './health-server.js';
import type { Telemetry } from './telemetry.js';

/** With data waiting and no retry scheduled, this long without progress means wedged. */
export const WEDGED_AFTER_MS = 5 * 60_000;

/** The pipeline as the probes and /status see it; a stage not started yet is undefined. */
export interface PipelineState {
  readonly started: boolean;
  readonly draining: boolean;
  readonly stopped: boolean;
  readonly tail: Pick<TailManager, 'started' | 'files' | 'errors' | 'refused' | 'openFiles' | 'watchedFiles'> | undefined;
  readonly shipper: Pick<Shipper<unknown>, 'state' | 'pending' | 'inFlight'> | undefined;
  readonly budget: Pick<MemoryBudget, 'usedBytes' | 'limitBytes'>;
  readonly batcher: Pick<Batcher<unknown>, 'open' | 'lastAcknowledgedMs'>;
  readonly disk: Pick<Reclaimer, 'status'>;
}

/** The collector's state in /status: every `…Ms` epoch time has an ISO-8601 `…At` beside it. */
export interface CollectorStatus {
  readonly url: string;
  readonly lastSuccessMs: number | undefined;
  readonly lastSuccessAt: string | undefined;
  readonly lastError: string | undefined;
  readonly lastErrorMs: number | undefined;
  readonly lastErrorAt: string | undefined;
  readonly consecutiveFailures: number;
  readonly failingSinceMs: number | undefined;
  readonly failingSinceAt: string | undefined;
  readonly retrying: number;
  readonly nextAttemptMs: number | undefined;
  readonly nextAttemptAt: string | undefined;
}

/** /status, for people (README "Health, metrics, status"). */
export interface PipelineStatus {
  readonly started: boolean;
  readonly draining: boolean;
  readonly files: readonly FileStatus[];
  readonly fileErrors: ReadonlyArray<{ path: string; code: string }>;
  /** Files not read and why (file-admission.ts), the most recent 100. */
  readonly refusedFiles: ReadonlyArray<{ path: string; reason: string }>;
  readonly collector: CollectorStatus;
  /** Bytes of the files read and not yet acknowledged (unacknowledged-bytes.ts). */
  readonly unacknowledgedBytes: number;
  /** The memory budget: bytes of encoded records held until acknowledged, and its limit. */
  readonly memory: { readonly usedBytes: number; readonly limitBytes: number; readonly process: NodeJS.MemoryUsage };
  readonly batches: { readonly open: number; readonly pending: number; readonly inFlight: number };
  /** Records refused for good since start, and how many of those fell off the capped file. */
  readonly deadLetter: { readonly records: number; readonly dropped: number; readonly file: string };
  /** The log volume: the watched files' disk space, what reclaim freed, the limit (README, "Disk space on the shared volume"). */
  readonly disk: DiskStatus;
}

/**
 * Readiness: started, checkpoints loaded, watchers running. Never the collector
 * (docs/architecture.md, "Readiness and liveness").
 */
export function isReady(s: PipelineState): boolean {
  return s.started && !s.stopped && (s.tail?.started ?? false);
}

/**
 * Liveness: false only when data waits and nothing has moved for WEDGED_AFTER_MS with no
 * retry due. A down collector is not a liveness failure: a restart would not fix it.
 */
export function isLive(s: PipelineState, nowMs: number): boolean {
  const shipper = s.shipper;
  if (!shipper || s.budget.usedBytes === 0 || shipper.state.retrying > 0) return true;
  // A failed attempt is activity too: with a hanging collector every in-flight batch may
  // be in an attempt (30 s requests between waits) rather than a backoff, and a sidecar
  // that is only waiting must not be restarted.
  const lastActivityMs = Math.max(s.batcher.lastAcknowledgedMs, shipper.state.lastErrorMs ?? 0);
  return nowMs - lastActivityMs < WEDGED_AFTER_MS;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The collector's state with each time also as ISO-8601, beside it. */
export function collectorStatus(url: string, c: CollectorState): CollectorStatus {
  return {
    url,
    lastSuccessMs: c.lastSuccessMs,
    lastSuccessAt: iso(c.lastSuccessMs),
    lastError: c.lastError,
    lastErrorMs: c.lastErrorMs,
    lastErrorAt: iso(c.lastErrorMs),
    consecutiveFailures: c.consecutiveFailures,
    failingSinceMs: c.failingSinceMs,
    failingSinceAt: iso(c.failingSinceMs),
    retrying: c.retrying,
    nextAttemptMs: c.nextAttemptMs,
    nextAttemptAt: iso(c.nextAttemptMs),
  };
}

/**
 * What the health server asks of the pipeline: the probes, /status, and the gauges
 * computed from state, set just before a scrape. Reads the state; owns none of it.
 */
export class PipelineHealth implements HealthSource {
  readonly #state: () => PipelineState;
  readonly #telemetry: Telemetry;
  readonly #collectorUrl: string;
  readonly #deadLetterFile: string;

  /** `collectorUrl` is shown as given: pass it without credentials. */
  constructor(state: () => PipelineState, telemetry: Telemetry, collectorUrl: string, deadLetterFile: string) {
    this.#state = state;
    this.#telemetry = telemetry;
    this.#collectorUrl = collectorUrl;
    this.#deadLetterFile = deadLetterFile;
  }

  get ready(): boolean {
    return isReady(this.#state());
  }

  get live(): boolean {
    return isLive(this.#state(), Date.now());
  }

  status(): PipelineStatus {
    const s = this.#state();
    const files = s.tail?.files() ?? [];
    return {
      started: s.started,
      draining: s.draining,
      files,
      fileErrors: s.tail?.errors() ?? [],
      refusedFiles: s.tail?.refused() ?? [],
      collector: collectorStatus(this.#collectorUrl, s.shipper?.state ?? initialCollectorState()),
      unacknowledgedBytes: unacknowledgedBytes(files),
      memory: { usedBytes: s.budget.usedBytes, limitBytes: s.budget.limitBytes, process: process.memoryUsage() },
      batches: { open: s.batcher.open, pending: s.shipper?.pending ?? 0, inFlight: s.shipper?.inFlight ?? 0 },
      deadLetter: { ...this.#telemetry.deadLetter, file: this.#deadLetterFile },
      disk: s.disk.status,
    };
  }

  refreshMetrics(): void {
    const s = this.#state();
    this.#telemetry.publish({
      openFiles: s.tail?.openFiles ?? 0,
      watchedFiles: s.tail?.watchedFiles ?? 0,
      files: s.tail?.files() ?? [],
      memoryUsedBytes: s.budget.usedBytes,
      memoryLimitBytes: s.budget.limitBytes,
      requestsPending: s.shipper?.pending ?? 0,
      disk: s.disk.status,
    });
  }
}
