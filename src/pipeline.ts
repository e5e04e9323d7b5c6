import { join } from 'node:path';
import type { Logger } from 'pino';
import { MemoryBudget } from './ack/memory-budget.js';
import { Batcher } from './batch/batcher.js';
import { CheckpointStore } from './checkpoint/checkpoint-store.js';
import { CheckpointWriter } from './checkpoint/checkpoint-writer.js';
import type { Config } from './config/config.js';
import { redactUrl } from './config/load-config.js';
import * as options from './config/stage-options.js';
import type { Metrics } from './health/metrics.js';
import { PipelineHealth, type PipelineState } from './health/status.js';
import { Telemetry } from './health/telemetry.js';
import { Reclaimer } from './reclaim/reclaimer.js';
import { RecordAssembler, type PlainLineHandler, type PlainRunHandler, type RecordHandler } from './record/record-assembler.js';
import { TimedAssembler } from './record/timed-assembler.js';
import { CollectorClient } from './ship/collector-client.js';
import { DEAD_LETTER_FILE, DeadLetterFile } from './ship/dead-letter.js';
import { createProtocol, type Protocol } from './ship/protocol.js';
import { Shipper } from './ship/shipper.js';
import { admittingFs } from './tail/file-admission.js';
import { nodeFs } from './tail/file-system.js';
import { globSet } from './tail/glob-set.js';
import { TailManager } from './tail/tail-manager.js';

/**
 * Wires the data flow of docs/architecture.md: tail → records → batches → shipper →
 * acknowledgements → checkpoints, with telemetry and the health report beside it. Owns
 * the lifecycle: start, drain, stop. Each stage does its own work; this only connects
 * them.
 */
export class Pipeline {
  /** What the health server reads: probes, /status, gauges. */
  readonly health: PipelineHealth;
  readonly #config: Config;
  readonly #log: Logger;
  readonly #version: string;
  readonly #telemetry: Telemetry;
  readonly #budget: MemoryBudget;
  readonly #store: CheckpointStore;
  readonly #protocol: Protocol;
  readonly #batcher: Batcher<unknown>;
  readonly #records: TimedAssembler;
  readonly #reclaimer: Reclaimer;
  #client: CollectorClient | undefined;
  #shipper: Shipper<unknown> | undefined;
  #tail: TailManager | undefined;
  #checkpoints: CheckpointWriter | undefined;
  #started = false;
  #draining = false;
  #stopped = false;

  constructor(config: Config, log: Logger, metrics: Metrics, version: string) {
    this.#config = config;
    this.#log = log;
    this.#version = version;
    this.#telemetry = new Telemetry(metrics, log);
    this.#budget = new MemoryBudget(options.memoryBudgetBytes(config));
    this.#store = new CheckpointStore(config.state.dir, log.child({ component: 'checkpoint' }));
    this.#protocol = createProtocol(config.sink, options.recordContext(config), version);
    this.#batcher = new Batcher(this.#protocol.encoder, options.batcherOptions(config), this.#budget, (batch) =>
      this.#shipper!.enqueue(batch),
    );
    const emit: RecordHandler = (record, queue, end) => {
      this.#telemetry.recordRead(record.truncated);
      this.#batcher.add(record, queue, end);
    };
    const plainLine: PlainLineHandler = (line, queue, end) => {
      if (!this.#batcher.addLine(line, queue, end)) return false;
      this.#telemetry.recordRead(line.truncated);
      return true;
    };
    const plainRun: PlainRunHandler = (run, queue) => {
      const { lines, truncated } = run;
      const all = this.#batcher.addRun(run, queue);
      this.#telemetry.recordsRead(run.lines - lines, run.truncated - truncated);
      return all;
    };
    this.#records = new TimedAssembler(
      new RecordAssembler(
        emit,
        options.recordOptions(config),
        this.#telemetry.records,
        plainLine,
        this.#batcher.takesRuns ? plainRun : undefined,
      ),
    );
    // The tail's descriptors, once it runs: a file open there is reopened through its own.
    this.#reclaimer = new Reclaimer(
      options.reclaimOptions(config),
      (id, key) => this.#tail?.descriptorOf(id, key),
      this.#telemetry.reclaim,
      (id) => this.#tail?.knownSize(id),
    );
    const deadLetterFile = join(config.state.dir, DEAD_LETTER_FILE);
    this.health = new PipelineHealth(() => this.#state(), this.#telemetry, redactUrl(config.delivery.url), deadLetterFile);
  }

  /** Loads the checkpoints, then starts sending and tailing. Throws a TailshipError for a bad state dir or TLS/auth file. */
  async start(): Promise<void> {
    const c = this.#config;
    await this.#store.prepare();
    const checkpoints = await this.#store.load();
    this.#log.info({ stateDir: c.state.dir, files: checkpoints.length }, 'checkpoints loaded');
    this.#reclaimer.resume(checkpoints);
    const client = new CollectorClient(options.collectorClientOptions(c), this.#protocol, this.#version, this.#telemetry.client);
    this.#client = client;
    this.#shipper = new Shipper(
      this.#protocol,
      client,
      options.shipperOptions(c),
      new DeadLetterFile(c.state.dir, c.delivery.deadLetterMaxBytes),
      this.#telemetry.ship,
      (batch, bufferFree) => this.#batcher.acknowledge(batch, bufferFree),
    );
    const globs = globSet(c.sources.include, c.sources.exclude);
    const fs = admittingFs(nodeFs, { ...options.admissionConfig(c), roots: globs.roots.map((r) => r.dir) });
    const tail = new TailManager(
      globs,
      // An unreadable checkpoint (set aside) tells nothing: the rotated files there are history.
      options.tailOptions(c, !this.#store.existed, this.#store.writtenMs > 0 ? this.#store.writtenMs : Date.now()),
      this.#records,
      this.#budget,
      this.#telemetry.tail,
      checkpoints,
      fs,
    );
    this.#tail = tail;
    await tail.start();
    const reclaimer = this.#reclaimer;
    const entries = (now: number) => reclaimer.annotate(tail.checkpoints(now));
    // Blocks are freed only below offsets a checkpoint on disk holds (docs/architecture.md, "Reclaim").
    this.#checkpoints = new CheckpointWriter(this.#store, entries, c.state.checkpointIntervalMs, this.#telemetry.checkpoints, (written) =>
      reclaimer.written(written),
    );
    this.#checkpoints.start();
    this.#started = true;
    this.#log.info(
      { include: c.sources.include, collector: redactUrl(client.url), sink: c.sink.kind, files: tail.openFiles },
      'tailship started',
    );
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

  /** Stops in the order of docs/architecture.md: reading, sending, HTTP, checkpoint, files. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#batcher.shutdown();
    this.#checkpoints?.stop();
    this.#records.close();
    this.#tail?.pause();
    this.#shipper?.stop();
    // Requests still in flight are cut before the last checkpoint, so that no answer can
    // be acknowledged after it (a line acked but not checkpointed is sent again).
    await this.#client?.destroy();
    await this.#checkpoints?.write();
    await this.#tail?.close();
  }

  #state(): PipelineState {
    return {
      started: this.#started,
      draining: this.#draining,
      stopped: this.#stopped,
      tail: this.#tail,
      shipper: this.#shipper,
      budget: this.#budget,
      batcher: this.#batcher,
      disk: this.#reclaimer,
    };
  }
}
