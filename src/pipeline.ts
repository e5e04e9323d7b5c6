import { join } from 'node:path';
import type { Logger } from 'pino';
import { MemoryBudget, readAheadLimit } from './ack/memory-budget.js';
import { Batcher } from './batch/batcher.js';
import { CheckpointStore } from './checkpoint/checkpoint-store.js';
import type { Config } from './config/config.js';
import { redactUrl } from './config/load-config.js';
import { collectorClientOptions } from './config/stage-options.js';
import type { Metrics } from './health/metrics.js';
import type { RecordContext } from './record/log-record.js';
import { RecordAssembler } from './record/record-assembler.js';
import { RateLimit } from './log/rate-limit.js';
import { TimedAssembler } from './record/timed-assembler.js';
import { DEAD_LETTER_FILE, DeadLetterFile } from './ship/dead-letter.js';
import { createProtocol, type Protocol } from './ship/protocol.js';
import { CollectorClient } from './ship/collector-client.js';
import { initialCollectorState, Shipper, type CollectorState } from './ship/shipper.js';
import { globSet } from './tail/glob-set.js';
import { TailManager, type FileStatus } from './tail/tail-manager.js';

const CHECKPOINT_TTL_MS = 24 * 3_600_000;
/** With data waiting and no retry scheduled, this long without progress means wedged. */
const WEDGED_AFTER_MS = 5 * 60_000;

export interface PipelineStatus {
  readonly started: boolean;
  readonly draining: boolean;
  readonly files: readonly FileStatus[];
  readonly fileErrors: ReadonlyArray<{ path: string; code: string }>;
  readonly collector: CollectorState & { readonly url: string };
  readonly memory: { readonly usedBytes: number; readonly limitBytes: number; readonly process: NodeJS.MemoryUsage };
  readonly batches: { readonly open: number; readonly pending: number; readonly inFlight: number };
  /** Records refused for good since start, and how many of those fell off the capped file. */
  readonly deadLetter: { readonly records: number; readonly dropped: number; readonly file: string };
}

/**
 * Wires the data flow of DESIGN.md: tail → records → batches → shipper → acks →
 * checkpoint. Owns the lifecycle: start, drain, stop. Reports to metrics and logs.
 */
export class Pipeline {
  readonly #config: Config;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #version: string;
  readonly #budget: MemoryBudget;
  readonly #store: CheckpointStore;
  readonly #protocol: Protocol;
  readonly #batcher: Batcher<unknown>;
  readonly #records: TimedAssembler;
  #linesRead = 0;
  #linesTruncated = 0;
  #linesReadPublished = 0;
  #linesTruncatedPublished = 0;
  #collector: CollectorClient | undefined;
  #shipper: Shipper<unknown> | undefined;
  #tail: TailManager | undefined;
  #checkpointTimer: NodeJS.Timeout | undefined;
  #checkpointing: Promise<void> = Promise.resolve();
  #started = false;
  #draining = false;
  #stopped = false;
  #lastOutageLogMs = 0;
  readonly #authWarnings = new RateLimit(5 * 60_000);
  #deadLettered = 0;
  #deadLetterDropped = 0;

  constructor(config: Config, log: Logger, metrics: Metrics, version: string) {
    this.#config = config;
    this.#log = log;
    this.#metrics = metrics;
    this.#version = version;
    this.#budget = new MemoryBudget(
      readAheadLimit(config.memoryLimitBytes, config.batch.maxBytes, config.delivery.maxInFlight),
    );
    this.#store = new CheckpointStore(config.state.dir, log.child({ component: 'checkpoint' }));
    const ctx: RecordContext = {
      host: config.metadata.host,
      kubernetes: config.metadata.kubernetes,
      fields: config.metadata.fields,
      timestampField: config.records.timestampField,
    };
    this.#protocol = createProtocol(config.sink, ctx, version);
    this.#batcher = new Batcher(
      this.#protocol.encoder,
      {
        maxBytes: config.batch.maxBytes,
        maxEvents: config.batch.maxEvents,
        lingerMs: config.batch.lingerMs,
        reuseArenas: config.sink.compression === 'gzip',
      },
      this.#budget,
      (batch) => this.#shipper!.enqueue(batch),
    );
    const recordLog = log.child({ component: 'records' });
    this.#records = new TimedAssembler(
      new RecordAssembler(
        (record, queue, end) => {
          // Counted here, published on scrape: a prom-client call per line costs more than the line.
          this.#linesRead++;
          if (record.truncated) this.#linesTruncated++;
          this.#batcher.add(record, queue, end);
        },
        { ...config.records, context: ctx, maxRecordBytes: config.sources.maxLineBytes },
        {
          parseFailed: (parser) => metrics.parseErrors.inc({ parser }),
          parseFailures: (r) => recordLog.warn(r, 'lines did not parse; shipped unparsed with parse_error'),
        },
      ),
    );
    metrics.memoryLimit.set(this.#budget.limitBytes);
  }

  async start(): Promise<void> {
    const c = this.#config;
    await this.#store.prepare();
    const checkpoints = await this.#store.load();
    this.#log.info({ stateDir: c.state.dir, files: checkpoints.length }, 'checkpoints loaded');

    const clientLog = this.#log.child({ component: 'collector' });
    const collector = new CollectorClient(collectorClientOptions(c), this.#protocol, this.#version, {
      verificationOff: () =>
        clientLog.warn(
          { setting: 'TAILSHIP_TLS_INSECURE_SKIP_VERIFY' },
          'TLS certificate verification is OFF: anyone on the network path can read and alter what is sent',
        ),
      rotated: (path) => clientLog.info({ path }, 'credentials file changed; using the new secret'),
      readFailed: (path, code) => clientLog.warn({ path, code }, 'cannot read the credentials file; keeping the previous secret'),
    });
    this.#collector = collector;
    const shipLog = this.#log.child({ component: 'shipper' });
    const m = this.#metrics;
    this.#shipper = new Shipper(
      this.#protocol,
      collector,
      {
        maxInFlight: c.delivery.maxInFlight,
        backoff: { initialMs: c.delivery.retryInitialMs, maxMs: c.delivery.retryMaxMs },
        retryLimit: c.delivery.retryLimit,
        compression: c.sink.compression,
        gzipLevel: c.sink.compressionLevel,
      },
      new DeadLetterFile(c.state.dir, c.delivery.deadLetterMaxBytes),
      {
        delivered: (records, bytes) => {
          m.batchesSent.inc();
          m.recordsSent.inc(records);
          m.bytesSent.inc(bytes);
          m.collectorUp.set(1);
          m.consecutiveFailures.set(0);
          m.lastSuccess.set(Date.now() / 1000);
          if (this.#lastOutageLogMs > 0) {
            shipLog.info('collector accepting again');
            this.#lastOutageLogMs = 0;
          }
        },
        attemptFailed: (reason, status, consecutive) => {
          m.sendFailures.inc({ reason: status === undefined ? reason.split(':')[0]! : String(status) });
          m.collectorUp.set(0);
          m.consecutiveFailures.set(consecutive);
          if (status === 401 || status === 403) this.#reportAuthRefused(shipLog, status, consecutive);
          this.#reportOutage(shipLog, reason, status);
        },
        retryScheduled: () => m.retries.inc(),
        collectorDropped: (records, reason) => {
          m.collectorDropped.inc(records);
          shipLog.warn({ records, reason: reason.slice(0, 300) }, 'collector accepted the request but dropped records');
        },
        split: (records) => {
          m.splits.inc();
          shipLog.debug({ records }, 'collector refused the body size (413); splitting the batch');
        },
        deadLettered: (records, reason, status, dropped) => {
          this.#deadLettered += records;
          this.#deadLetterDropped += dropped;
          m.deadLettered.inc(records);
          if (dropped > 0) m.deadLetterDropped.inc(dropped);
          shipLog.error({ records, status, reason: reason.slice(0, 300) }, 'records rejected; written to the dead-letter file');
        },
      },
      (batch) => this.#batcher.acknowledge(batch),
    );

    const tailLog = this.#log.child({ component: 'tail' });
    this.#tail = new TailManager(
      globSet(c.sources.include, c.sources.exclude),
      {
        host: c.metadata.host,
        startAt: c.sources.startAt,
        maxLineBytes: c.sources.maxLineBytes,
        readChunkBytes: c.sources.readChunkBytes,
        pollIntervalMs: c.sources.pollIntervalMs,
        pollOnly: c.sources.pollOnly,
        rotateWaitMs: c.sources.rotateWaitMs,
        checkpointTtlMs: CHECKPOINT_TTL_MS,
        firstRun: !this.#store.existed,
      },
      this.#records,
      this.#budget,
      {
        fileOpened: (path, offset, resumed) => tailLog.info({ path, offset, resumed }, 'file opened'),
        fileClosed: (path, deleted) => tailLog.info({ path, deleted }, 'file closed'),
        truncated: (path, previousOffset) => {
          m.truncations.inc();
          tailLog.warn({ path, previousOffset }, 'file truncated; reading it again from the start');
        },
        rotated: (path) => {
          m.rotations.inc();
          tailLog.info({ path }, 'file rotated');
        },
        openFailed: (path, code) => {
          m.fileOpenErrors.inc({ code });
          tailLog.warn({ path, code }, 'cannot read file; will retry');
        },
        bytesRead: (n) => m.bytesRead.inc(n),
        failed: (error) => tailLog.error({ err: error }, 'file discovery failed; will retry'),
      },
      checkpoints,
    );
    await this.#tail.start();
    this.#scheduleCheckpoint();
    this.#started = true;
    this.#log.info(
      { include: c.sources.include, collector: redactUrl(collector.url), sink: c.sink.kind, files: this.#tail.openFiles },
      'tailship started',
    );
  }

  /** A collector down for over a minute is logged at warn once, then every five minutes. */
  #reportOutage(log: Logger, reason: string, status: number | undefined): void {
    const state = this.#shipper!.state;
    const now = Date.now();
    const downMs = now - (state.failingSinceMs ?? now);
    if (downMs < 60_000) {
      log.debug({ reason: reason.slice(0, 300), status }, 'delivery attempt failed; will retry');
      return;
    }
    if (now - this.#lastOutageLogMs < 5 * 60_000) return;
    this.#lastOutageLogMs = now;
    log.warn(
      { reason: reason.slice(0, 300), status, downSeconds: Math.round(downMs / 1000), failures: state.consecutiveFailures },
      'collector unavailable; data waits in the files and will be sent when it is back',
    );
  }

  /**
   * 401/403 are retried (a rotated Secret may be mounted any moment) but they mean the
   * credentials are wrong: warn at once, then at most every five minutes while it lasts.
   * Only the status goes in the log, never a header or the token.
   */
  #reportAuthRefused(log: Logger, status: number, failures: number): void {
    if (this.#authWarnings.hit(Date.now()) === 0) return;
    log.warn(
      { status, failures },
      'collector refused the credentials; retrying; check the token, password or Secret tailship is given',
    );
  }

  #scheduleCheckpoint(): void {
    this.#checkpointTimer = setInterval(() => void this.checkpoint(), this.#config.state.checkpointIntervalMs);
    this.#checkpointTimer.unref();
  }

  /** Writes the checkpoint (serialised; a failure is logged and retried next time). */
  checkpoint(): Promise<void> {
    const run = this.#checkpointing.then(async () => {
      if (!this.#tail) return;
      const now = Date.now();
      try {
        await this.#store.write(this.#tail.checkpoints(now), now);
      } catch (error) {
        this.#log.error({ err: error }, 'checkpoint write failed; will retry');
      }
    });
    this.#checkpointing = run;
    return run;
  }

  get ready(): boolean {
    return this.#started && !this.#stopped && (this.#tail?.started ?? false);
  }

  /** Liveness: false only when data waits and nothing has moved for minutes with no retry due. */
  get live(): boolean {
    const s = this.#shipper;
    if (!s || this.#budget.usedBytes === 0 || s.state.retrying > 0) return true;
    // A failed attempt is activity too. Without it, after five minutes of outage the probe
    // failed whenever every in-flight batch happened to be in an attempt rather than a
    // backoff (a hanging collector: 30 s requests between waits; with one batch in flight,
    // most of the time), and the kubelet restarted a sidecar that was only waiting.
    const lastActivityMs = Math.max(this.#batcher.lastAcknowledgedMs, s.state.lastErrorMs ?? 0);
    return Date.now() - lastActivityMs < WEDGED_AFTER_MS;
  }

  status(): PipelineStatus {
    this.#metrics.linesRead.inc(this.#linesRead - this.#linesReadPublished);
    this.#metrics.linesTruncated.inc(this.#linesTruncated - this.#linesTruncatedPublished);
    this.#linesReadPublished = this.#linesRead;
    this.#linesTruncatedPublished = this.#linesTruncated;
    const s = this.#shipper;
    const files = this.#tail?.files() ?? [];
    this.#metrics.filesWatched.set(this.#tail?.openFiles ?? 0);
    this.#metrics.memoryUsed.set(this.#budget.usedBytes);
    this.#metrics.inFlight.set(s?.pending ?? 0);
    this.#metrics.bytesBehind.reset();
    for (const f of files) this.#metrics.bytesBehind.set({ file: f.path }, f.bytesBehind);
    return {
      started: this.#started,
      draining: this.#draining,
      files,
      fileErrors: this.#tail?.errors() ?? [],
      collector: {
        url: redactUrl(this.#config.delivery.url),
        ...(s?.state ?? initialCollectorState()),
      },
      memory: { usedBytes: this.#budget.usedBytes, limitBytes: this.#budget.limitBytes, process: process.memoryUsage() },
      batches: { open: this.#batcher.open, pending: s?.pending ?? 0, inFlight: s?.inFlight ?? 0 },
      deadLetter: { records: this.#deadLettered, dropped: this.#deadLetterDropped, file: join(this.#config.state.dir, DEAD_LETTER_FILE) },
    };
  }

  /**
   * Graceful drain (SIGTERM): keep tailing and shipping until every file has been quiet
   * for `quietMs` and everything read is acknowledged, or until the deadline. Returns
   * the bytes still unacknowledged (0 when fully drained).
   */
  async drain(abort: AbortSignal): Promise<number> {
    this.#draining = true;
    const tail = this.#tail;
    const shipper = this.#shipper;
    if (!tail || !shipper) return 0;
    const { quietMs, timeoutMs } = this.#config.drain;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !abort.aborted) {
      await tail.pollNow();
      const quiet = Date.now() - tail.lastReadMs >= quietMs && tail.caughtUp;
      if (tail.caughtUp) {
        this.#records.flush();
        this.#batcher.flush();
      }
      if (quiet && this.#batcher.open === 0 && shipper.pending === 0) break;
      await new Promise((r) => setTimeout(r, Math.min(100, quietMs)));
    }
    return this.#budget.usedBytes;
  }

  /** Stops everything in the order of DESIGN.md: reading, sending, checkpoint, HTTP pool. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#batcher.shutdown();
    if (this.#checkpointTimer) clearInterval(this.#checkpointTimer);
    this.#records.close();
    this.#tail?.pause();
    this.#shipper?.stop();
    // Requests still in flight are cut before the last checkpoint, so that no answer can
    // be acknowledged after it (a line acked but not checkpointed is sent again).
    await this.#collector?.destroy();
    await this.checkpoint();
    await this.#tail?.close();
  }
}
