import type { Logger } from 'pino';
import type { CheckpointObserver } from '../checkpoint/checkpoint-writer.js';
import { RateLimit } from '../log/rate-limit.js';
import type { DiskStatus, ReclaimObserver } from '../reclaim/reclaimer.js';
import type { RecordObserver } from '../record/record-assembler.js';
import type { CollectorClientEvents } from '../ship/collector-client.js';
import type { ShipObserver } from '../ship/shipper.js';
import { nameText } from '../tail/file-system.js';
import type { FileStatus, TailObserver } from '../tail/tail-interfaces.js';
import { unacknowledgedBytes } from '../ack/unacknowledged-bytes.js';
import { BYTES_BEHIND_TOP_FILES, type Metrics } from './metrics.js';
import { OutageReport } from './outage-report.js';

/** 401/403 are retried, but the credentials are wrong: warn at once, then at most this often. */
const AUTH_WARNING_INTERVAL_MS = 5 * 60_000;
/** A collector's reason is its answer's start: enough to act on, never a whole body. */
const REASON_CHARS = 300;

/** Out of descriptors: warn at once, then at most this often (with the count). */
const DESCRIPTOR_WARNING_INTERVAL_MS = 60_000;

/** The state behind the gauges, read when metrics are scraped. */
export interface GaugeState {
  /** Descriptors held for tailed files. */
  readonly openFiles: number;
  /** Files being tailed, parked ones included. */
  readonly watchedFiles: number;
  readonly files: readonly FileStatus[];
  readonly memoryUsedBytes: number;
  readonly memoryLimitBytes: number;
  /** Batches being sent or waiting to retry. */
  readonly requestsPending: number;
  readonly disk: DiskStatus;
}

/**
 * The stages report events through their observer interfaces and know nothing of
 * metrics or logs; this turns each event into its metrics and its log line, one entry
 * per event. A stage that gains an event gains an entry here: the compiler asks for it.
 * Component loggers: `tail`, `records`, `shipper`, `collector`, `checkpoint`, `disk`.
 */
export class Telemetry {
  readonly tail: TailObserver;
  readonly records: RecordObserver;
  readonly ship: ShipObserver;
  readonly client: CollectorClientEvents;
  readonly checkpoints: CheckpointObserver;
  readonly reclaim: ReclaimObserver;
  /** Records refused for good since start, and how many of them fell off the capped file. */
  readonly deadLetter = { records: 0, dropped: 0 };
  readonly #metrics: Metrics;
  readonly #outage = new OutageReport();
  readonly #authWarnings = new RateLimit(AUTH_WARNING_INTERVAL_MS);
  readonly #descriptorWarnings = new RateLimit(DESCRIPTOR_WARNING_INTERVAL_MS);
  #linesRead = 0;
  #linesTruncated = 0;
  #linesReadPublished = 0;
  #linesTruncatedPublished = 0;

  constructor(metrics: Metrics, log: Logger, now: () => number = Date.now) {
    this.#metrics = metrics;
    const m = metrics;
    const tailLog = log.child({ component: 'tail' });
    const recordLog = log.child({ component: 'records' });
    const shipLog = log.child({ component: 'shipper' });
    const clientLog = log.child({ component: 'collector' });
    const checkpointLog = log.child({ component: 'checkpoint' });
    const diskLog = log.child({ component: 'disk' });

    this.tail = {
      fileOpened: (path, offset, resumed) => tailLog.info({ path: nameText(path), offset, resumed }, 'file opened'),
      fileClosed: (path, deleted) => tailLog.info({ path: nameText(path), deleted }, 'file closed'),
      truncated: (path, previousOffset) => {
        m.truncations.inc();
        tailLog.warn({ path: nameText(path), previousOffset }, 'file truncated; reading it again from the start');
      },
      rotated: (path) => {
        m.rotations.inc();
        tailLog.info({ path: nameText(path) }, 'file rotated');
      },
      generationFound: (path, found) => {
        m.generationsFound.inc();
        tailLog.info({ path: nameText(path), found: nameText(found) }, 'rotated file never seen at its path; reading it');
      },
      copyFound: (path, copy, offset) => {
        m.copiesRead.inc();
        tailLog.info({ path: nameText(path), copy: nameText(copy), offset }, 'truncated file; reading the rest of its content from its copy');
      },
      lost: (path, bytes, reason) => {
        if (bytes !== undefined) m.rotationLostBytes.inc(bytes);
        tailLog.error({ path: nameText(path), bytes: bytes ?? 'unknown', reason }, 'bytes lost to rotation');
      },
      openFailed: (path, code) => {
        m.fileOpenErrors.inc({ code });
        tailLog.warn({ path: nameText(path), code }, 'cannot read file; will retry');
      },
      refused: (path, reason) => {
        m.filesRefused.inc({ reason });
        tailLog.warn({ path: nameText(path), reason }, 'file not read: see "What tailship refuses to read" in the README');
      },
      descriptorsExhausted: (path, code) => {
        m.openDeferred.inc({ code });
        const n = this.#descriptorWarnings.hit(now());
        if (n > 0) tailLog.warn({ path: nameText(path), code, deferred: n }, 'out of file descriptors; opening later (raise nofile or lower TAILSHIP_MAX_OPEN_FILES)');
      },
      openFileLimit: (effective, requested, nofile) =>
        tailLog.info({ maxOpenFiles: effective, requested, nofileSoftLimit: nofile ?? 'unknown' }, 'open file limit'),
      bytesRead: (n) => m.bytesRead.inc(n),
      failed: (error) => tailLog.error({ err: error }, 'file discovery failed; will retry'),
    };

    this.records = {
      parseFailed: (parser) => m.parseErrors.inc({ parser }),
      parseFailures: (report) => recordLog.warn(report, 'lines did not parse; shipped unparsed with parse_error'),
    };

    this.ship = {
      delivered: (records, bytes) => {
        m.batchesSent.inc();
        m.recordsSent.inc(records);
        m.bytesSent.inc(bytes);
        m.collectorUp.set(1);
        m.consecutiveFailures.set(0);
        m.lastSuccess.set(now() / 1000);
        if (this.#outage.delivered()) shipLog.info('collector accepting again');
      },
      attemptFailed: (reason, status, consecutive) => {
        m.sendFailures.inc({ reason: status === undefined ? reason.split(':')[0]! : String(status) });
        m.collectorUp.set(0);
        m.consecutiveFailures.set(consecutive);
        const at = now();
        // Only the status goes in the log, never a header or the token.
        if ((status === 401 || status === 403) && this.#authWarnings.hit(at) > 0) {
          shipLog.warn(
            { status, failures: consecutive },
            'collector refused the credentials; retrying; check the token, password or Secret tailship is given',
          );
        }
        const outage = this.#outage.failed(at);
        const why = reason.slice(0, REASON_CHARS);
        if (outage?.level === 'debug') shipLog.debug({ reason: why, status }, 'delivery attempt failed; will retry');
        if (outage?.level === 'warn') {
          shipLog.warn(
            { reason: why, status, downSeconds: Math.round(outage.downMs / 1000), failures: consecutive },
            'collector unavailable; data waits in the files and will be sent when it is back',
          );
        }
      },
      retryScheduled: () => m.retries.inc(),
      collectorDropped: (records, reason) => {
        m.collectorDropped.inc(records);
        shipLog.warn({ records, reason: reason.slice(0, REASON_CHARS) }, 'collector accepted the request but dropped records');
      },
      split: (records) => {
        m.splits.inc();
        shipLog.debug({ records }, 'collector refused the body size (413); splitting the batch');
      },
      deadLettered: (records, reason, status, dropped) => {
        this.deadLetter.records += records;
        this.deadLetter.dropped += dropped;
        m.deadLettered.inc(records);
        if (dropped > 0) m.deadLetterDropped.inc(dropped);
        shipLog.error({ records, status, reason: reason.slice(0, REASON_CHARS) }, 'records rejected; written to the dead-letter file');
      },
    };

    this.client = {
      verificationOff: () =>
        clientLog.warn(
          { setting: 'TAILSHIP_TLS_INSECURE_SKIP_VERIFY' },
          'TLS certificate verification is OFF: anyone on the network path can read and alter what is sent',
        ),
      rotated: (path) => clientLog.info({ path }, 'credentials file changed; using the new secret'),
      readFailed: (path, code) => clientLog.warn({ path, code }, 'cannot read the credentials file; keeping the previous secret'),
    };

    this.checkpoints = {
      writeFailed: (error) => checkpointLog.error({ err: error }, 'checkpoint write failed; will retry'),
    };

    this.reclaim = {
      reclaimed: (path, bytes) => {
        m.reclaimedBytes.inc(bytes);
        diskLog.debug({ path: nameText(path), bytes }, 'freed acknowledged bytes');
      },
      refused: (path, code, fileSystem) => {
        m.reclaimRefused.inc({ code });
        if (fileSystem) {
          diskLog.warn({ path: nameText(path), code }, 'this file system cannot free acknowledged bytes (no hole punching); shipping goes on, the files keep their size on disk');
        } else {
          diskLog.warn({ path: nameText(path), code }, 'cannot open the file for writing to free acknowledged bytes; shipping goes on; mount the log volume read-write for TAILSHIP_RECLAIM_ACKED');
        }
      },
      volumeLimit: (near, usedBytes, limitBytes) => {
        const fields = { usedBytes, limitBytes, percent: Math.round((usedBytes / limitBytes) * 100) };
        if (near) diskLog.warn(fields, 'the watched files use more than 80% of TAILSHIP_VOLUME_LIMIT; the Pod may be evicted when the volume is full');
        else diskLog.info(fields, 'the watched files are back under 80% of TAILSHIP_VOLUME_LIMIT');
      },
    };
  }

  /**
   * The hot path: one record made. Counted here and published on scrape: a prom-client
   * call per line costs more than the line.
   */
  recordRead(truncated: boolean): void {
    this.#linesRead++;
    if (truncated) this.#linesTruncated++;
  }

  /** `lines` records read at once, `truncated` of them cut to the line limit. */
  recordsRead(lines: number, truncated: number): void {
    this.#linesRead += lines;
    this.#linesTruncated += truncated;
  }

  /** Publishes the counts kept off the hot path and sets the gauges from the state now. */
  publish(state: GaugeState): void {
    const m = this.#metrics;
    m.linesRead.inc(this.#linesRead - this.#linesReadPublished);
    m.linesTruncated.inc(this.#linesTruncated - this.#linesTruncatedPublished);
    this.#linesReadPublished = this.#linesRead;
    this.#linesTruncatedPublished = this.#linesTruncated;
    m.filesWatched.set(state.watchedFiles);
    m.openFiles.set(state.openFiles);
    m.memoryUsed.set(state.memoryUsedBytes);
    m.memoryLimit.set(state.memoryLimitBytes);
    m.inFlight.set(state.requestsPending);
    m.unacknowledged.set(unacknowledgedBytes(state.files));
    m.filesDiskBytes.set(state.disk.filesDiskBytes);
    m.volumeLimit.set(state.disk.volumeLimitBytes ?? 0);
    m.volumeNearLimit.set(state.disk.nearLimit ? 1 : 0);
    m.bytesBehind.reset();
    let total = 0;
    for (const f of state.files) total += f.bytesBehind;
    m.totalBytesBehind.set(total);
    for (const f of furthestBehind(state.files, BYTES_BEHIND_TOP_FILES)) m.bytesBehind.set({ file: f.path }, f.bytesBehind);
  }
}

/** The `n` files furthest behind (most bytes not yet acknowledged). */
export function furthestBehind(files: readonly FileStatus[], n: number): FileStatus[] {
  if (files.length <= n) return [...files];
  return [...files].sort((a, b) => b.bytesBehind - a.bytesBehind).slice(0, n);
}
