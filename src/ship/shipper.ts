import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Batch } from '../batch/batch.js';
import { initialCollectorState, type CollectorState } from './collector-state.js';
import type { DeadLetterFile } from './dead-letter.js';
import type { Encoder } from './encoders/encoder.js';
import type { HttpResult } from './http-transport.js';
import type { Protocol } from './protocol.js';
import type { ResponseReader } from './responses/response-reader.js';
import { retryDelayMs, type BackoffPolicy } from './retry-timing.js';
import { RetryWaits } from './retry-waits.js';
import type { SendOutcome } from './send-outcome.js';

const gzipAsync = promisify(gzip);
/** Output chunk of the async gzip: fewer round trips between the thread pool and the loop. */
const GZIP_CHUNK_BYTES = 64 * 1024;

/** Records sent together: a whole batch, or part of one after a split or partial answer. */
type RecordSet<F> = Pick<Batch<F>, 'count' | 'bytes' | 'fragments' | 'body'>;

/** What the shipper needs of a transport (CollectorClient, or a stand-in in unit tests). */
export interface Transport {
  post(body: Buffer | string, headers: Record<string, string>): Promise<HttpResult>;
}

export interface ShipperOptions {
  readonly maxInFlight: number;
  readonly backoff: BackoffPolicy;
  /** Attempts of one request before its records are dead-lettered (Infinity: never). */
  readonly retryLimit: number;
  readonly compression: 'gzip' | 'none';
  readonly gzipLevel: number;
}

/** What the shipper reports; health/telemetry.ts turns these into metrics and logs. */
export interface ShipObserver {
  delivered(records: number, bytes: number, durationMs: number): void;
  attemptFailed(reason: string, status: number | undefined, consecutiveFailures: number): void;
  retryScheduled(delayMs: number): void;
  /** The collector accepted a request but says it discarded `records` of it (not retried). */
  collectorDropped?(records: number, reason: string): void;
  split(records: number): void;
  deadLettered(records: number, reason: string, status: number | undefined, dropped: number): void;
}

/**
 * Sends sealed batches: up to `maxInFlight` at once, each retried until it is delivered
 * or dead-lettered, then handed to `onSettled` (which acks its offsets). A batch is
 * settled exactly once; nothing is dropped on a transient error (docs/architecture.md,
 * "Acknowledgement").
 */
export class Shipper<F> {
  readonly #encoder: Encoder<F>;
  readonly #readResponse: ResponseReader;
  readonly #transport: Transport;
  readonly #opts: ShipperOptions;
  readonly #deadLetter: DeadLetterFile;
  readonly #observer: ShipObserver;
  readonly #onSettled: (batch: Batch<F>, bufferFree: boolean) => void;
  /**
   * Batches whose own buffer went out as a body that was not simply delivered. An
   * uncompressed batch is sent as it lies in its buffer; a socket write of it may still be
   * queued when an answer comes before the collector read the whole body (a 413, a 401, a
   * reset), so that buffer must not be reused for the next batch. A delivered body was
   * read by the collector, and a gzip body is a copy.
   */
  readonly #exposed = new WeakSet<RecordSet<F>>();
  readonly #random: () => number;
  readonly #queue: Batch<F>[] = [];
  #inFlight = 0;
  #stopped = false;
  readonly #waits = new RetryWaits(() => {
    this.state.retrying = this.#waits.count;
    this.state.nextAttemptMs = this.#waits.nextDueMs;
  });
  readonly #idleWaiters: Array<() => void> = [];
  /** Request bodies by the record set they carry; dropped with the set. */
  readonly #bodies = new WeakMap<RecordSet<F>, Buffer | string>();
  readonly state: CollectorState = initialCollectorState();

  constructor(
    protocol: Pick<Protocol<F>, 'encoder' | 'readResponse'>,
    transport: Transport,
    opts: ShipperOptions,
    deadLetter: DeadLetterFile,
    observer: ShipObserver,
    onSettled: (batch: Batch<F>, bufferFree: boolean) => void,
    random: () => number = Math.random,
  ) {
    this.#encoder = protocol.encoder;
    this.#readResponse = protocol.readResponse;
    this.#transport = transport;
    this.#opts = opts;
    this.#deadLetter = deadLetter;
    this.#observer = observer;
    this.#onSettled = onSettled;
    this.#random = random;
  }

  /** Batches waiting or being sent. */
  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  enqueue(batch: Batch<F>): void {
    this.#queue.push(batch);
    this.#next();
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops retrying: waits are cut short and unsettled batches stay unacked (re-sent next run). */
  stop(): void {
    this.#stopped = true;
    this.#waits.wakeAll();
  }

  #next(): void {
    while (!this.#stopped && this.#inFlight < this.#opts.maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.shift()!;
      this.#inFlight++;
      void this.#send(batch).then((settled) => {
        this.#inFlight--;
        if (settled) this.#onSettled(batch, !this.#exposed.has(batch));
        this.#next();
        if (this.pending === 0 || this.#stopped) for (const w of this.#idleWaiters.splice(0)) w();
      });
    }
  }

  /**
   * Sends a record set until every record in it is delivered or dead-lettered. The
   * common path — the whole batch, accepted — never looks at single records: a byte
   * batch makes its per-record views only for a split, a partial answer or a dead letter.
   */
  async #send(set: RecordSet<F>): Promise<boolean> {
    let pending = set;
    for (let attempt = 1; ; attempt++) {
      if (this.#stopped) return false;
      const started = Date.now();
      const outcome = await this.#attempt(pending);
      if (pending === set && outcome.kind !== 'delivered' && this.#opts.compression !== 'gzip') this.#exposed.add(set);
      if (this.#stopped && outcome.kind === 'retry') return false;
      switch (outcome.kind) {
        case 'delivered':
          this.#succeeded(pending.count, pending.bytes, started);
          if (outcome.dropped) this.#observer.collectorDropped?.(outcome.dropped.records, outcome.dropped.reason);
          return true;
        case 'reject':
          this.#failed(outcome.reason, outcome.status);
          return this.#deadLetterAll(pending.fragments, outcome.reason, outcome.status);
        case 'split': {
          this.#failed(outcome.reason, outcome.status);
          if (pending.count === 1) return this.#deadLetterAll(pending.fragments, outcome.reason, outcome.status);
          this.#observer.split(pending.count);
          const all = pending.fragments;
          const half = Math.ceil(all.length / 2);
          // One half after the other: splitting never raises the number of requests in flight.
          return (
            (await this.#send(this.#subset(all.slice(0, half)))) && (await this.#send(this.#subset(all.slice(half))))
          );
        }
        case 'partial': {
          // Only the records the collector took count as delivered: the ones it asks for
          // again are counted when they get through, the refused ones as dead letters.
          const notDelivered = new Set([...outcome.retry, ...outcome.reject.map((r) => r.index)]);
          const all = pending.fragments;
          const taken = this.#subset(all.filter((_, i) => !notDelivered.has(i)));
          this.#succeeded(taken.count, taken.bytes, started);
          if (outcome.reject.length > 0) {
            await this.#deadLetterEntries(
              outcome.reject.map((r) => ({ reason: r.reason, status: undefined, request: this.#requestText(all[r.index]) })),
              outcome.reject[0]!.reason,
              undefined,
            );
          }
          if (outcome.retry.length === 0) return true;
          pending = this.#subset(outcome.retry.map((i) => all[i]!));
          // TAILSHIP_RETRY_LIMIT counts attempts of a record, whether the whole request
          // failed or the collector asked for some of its records again.
          if (attempt >= this.#opts.retryLimit) {
            return this.#deadLetterAll(pending.fragments, 'retry limit reached: the collector asked for these records again', undefined);
          }
          if (!(await this.#wait(attempt, outcome.retryAfterMs))) return false;
          break;
        }
        case 'retry':
          this.#failed(outcome.reason, outcome.status);
          if (attempt >= this.#opts.retryLimit) {
            return this.#deadLetterAll(pending.fragments, `retry limit reached: ${outcome.reason}`, outcome.status);
          }
          if (!(await this.#wait(attempt, outcome.retryAfterMs))) return false;
          break;
      }
    }
  }

  /** One request. Never throws: anything unexpected is a failure to retry, not a lost batch. */
  async #attempt(set: RecordSet<F>): Promise<SendOutcome> {
    try {
      return await this.#tryAttempt(set);
    } catch (error) {
      return { kind: 'retry', reason: `request failed: ${(error as Error).message ?? String(error)}` };
    }
  }

  async #tryAttempt(set: RecordSet<F>): Promise<SendOutcome> {
    const headers: Record<string, string> = { 'content-type': this.#encoder.contentType };
    if (this.#opts.compression === 'gzip') headers['content-encoding'] = 'gzip';
    const body = await this.#requestBody(set);
    const result = await this.#transport.post(body, headers);
    if (result.kind === 'error') return { kind: 'retry', reason: `${result.code}: ${result.message}` };
    return this.#readResponse(result, set.count);
  }

  /**
   * The body for a record set, encoded (and compressed) once and reused by every retry of
   * the same records; a split or a partial retry is a new set, so a new body. A body built
   * per attempt would make every retry during an outage allocate a batch-sized body and
   * gzip it again: garbage Buffers that V8 frees only at its next major GC (measured with
   * the collector down and a 32 MiB budget full: RSS 178 MiB that way, 140 MiB this way),
   * and CPU spent compressing the same bytes over and over. A byte batch is its own body.
   */
  async #requestBody(set: RecordSet<F>): Promise<Buffer | string> {
    const cached = this.#bodies.get(set);
    if (cached !== undefined) return cached;
    let body: Buffer | string = set.body ?? this.#encoder.body(set.fragments);
    // zlib's async API runs on the thread pool, off the event loop.
    if (this.#opts.compression === 'gzip') {
      body = await gzipAsync(body, { level: this.#opts.gzipLevel, chunkSize: GZIP_CHUNK_BYTES });
    }
    this.#bodies.set(set, body);
    return body;
  }

  /** Some of a set's records, as a set of their own. */
  #subset(fragments: readonly F[]): RecordSet<F> {
    let bytes = 0;
    for (const f of fragments) bytes += this.#encoder.size(f);
    return { count: fragments.length, bytes, fragments, body: undefined };
  }

  #succeeded(count: number, bytes: number, started: number): void {
    const now = Date.now();
    this.state.lastSuccessMs = now;
    this.state.consecutiveFailures = 0;
    this.state.failingSinceMs = undefined;
    this.#observer.delivered(count, bytes, now - started);
  }

  #failed(reason: string, status: number | undefined): void {
    const now = Date.now();
    this.state.lastError = reason;
    this.state.lastErrorMs = now;
    this.state.consecutiveFailures++;
    this.state.failingSinceMs ??= now;
    this.#observer.attemptFailed(reason, status, this.state.consecutiveFailures);
  }

  async #deadLetterAll(fragments: readonly F[], reason: string, status: number | undefined): Promise<boolean> {
    await this.#deadLetterEntries(
      fragments.map((f) => ({ reason, status, request: this.#requestText(f) })),
      reason,
      status,
    );
    return true;
  }

  /**
   * Writes refused records to the dead-letter file and reports them. The collector has
   * refused them for good either way, so a failed write (state dir gone, disk full) must
   * not stop the batch from settling: a rejection escaping #next would be an unhandled
   * rejection (fatal in Node) and would never free the in-flight slot. Records that
   * could not be written are reported as dropped.
   */
  async #deadLetterEntries(
    entries: ReadonlyArray<{ reason: string; status: number | undefined; request: string }>,
    reason: string,
    status: number | undefined,
  ): Promise<void> {
    let dropped: number;
    let why = reason;
    try {
      dropped = await this.#deadLetter.write(entries, Date.now());
    } catch (error) {
      dropped = entries.length;
      const e = error as NodeJS.ErrnoException;
      why = `${reason} (not kept: dead-letter file ${e.code ?? e.message})`;
    }
    this.#observer.deadLettered(entries.length, why, status, dropped);
  }

  #requestText(fragment: F | undefined): string {
    return fragment === undefined ? '' : String(this.#encoder.body([fragment]));
  }

  /** Sleeps before retry `attempt`; false when stopped meanwhile. */
  async #wait(attempt: number, retryAfterMs: number | undefined): Promise<boolean> {
    const delay = retryDelayMs(this.#opts.backoff, attempt, this.#random, retryAfterMs);
    this.#observer.retryScheduled(delay);
    await this.#waits.wait(delay);
    return !this.#stopped;
  }
}
