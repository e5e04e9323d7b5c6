// What each stage is given, from the configuration: each stage takes an options type of
// its own, declared beside it, and this is the one place that maps Config to them.
import { readAheadLimit } from '../ack/memory-budget.js';
import type { BatcherOptions } from '../batch/batcher.js';
import type { ReclaimOptions } from '../reclaim/reclaimer.js';
import type { RecordContext } from '../record/log-record.js';
import type { RecordOptions } from '../record/record-assembler.js';
import type { CollectorClientOptions } from '../ship/collector-client.js';
import type { ShipperOptions } from '../ship/shipper.js';
import type { AdmissionConfig, TailOptions } from '../tail/tail-interfaces.js';
import type { Config } from './config.js';

/** Checkpoints of files not open for a day are forgotten. */
const CHECKPOINT_TTL_MS = 24 * 3_600_000;

/** The metadata every record carries, the same for the whole process. */
export function recordContext(c: Config): RecordContext {
  return {
    host: c.metadata.host,
    kubernetes: c.metadata.kubernetes,
    fields: c.metadata.fields,
    timestampField: c.records.timestampField,
    epochTimeField: c.records.epochTimeField,
  };
}

/**
 * `firstRun`: no checkpoint file existed (TAILSHIP_START_AT applies only then).
 * `knownSinceMs`: when the last run last wrote what it knew (the checkpoint's time).
 */
export function tailOptions(c: Config, firstRun: boolean, knownSinceMs: number): TailOptions {
  return {
    host: c.metadata.host,
    startAt: c.sources.startAt,
    maxLineBytes: c.sources.maxLineBytes,
    readChunkBytes: c.sources.readChunkBytes,
    pollIntervalMs: c.sources.pollIntervalMs,
    pollOnly: c.sources.pollOnly,
    rotateWaitMs: c.sources.rotateWaitMs,
    maxOpenFiles: c.sources.maxOpenFiles,
    closeInactiveMs: c.sources.closeInactiveMs,
    checkpointTtlMs: CHECKPOINT_TTL_MS,
    firstRun,
    knownSinceMs,
  };
}

export function reclaimOptions(c: Config): ReclaimOptions {
  return { enabled: c.disk.reclaimAcked, volumeLimitBytes: c.disk.volumeLimitBytes };
}

/**
 * What the tail refuses to open (README, "What tailship refuses to read"): links out of the
 * volume as TAILSHIP_FOLLOW_SYMLINKS says, and every file tailship reads for itself.
 */
export function admissionConfig(c: Config): AdmissionConfig {
  const own = [c.auth.bearerTokenFile, c.auth.basicPasswordFile, c.tls.caFile, c.tls.certFile, c.tls.keyFile];
  return {
    followSymlinks: c.sources.followSymlinks,
    protectedFiles: own.filter((f): f is string => f !== undefined),
    stateDir: c.state.dir,
  };
}

export function recordOptions(c: Config): RecordOptions {
  return { ...c.records, context: recordContext(c), maxRecordBytes: c.sources.maxLineBytes };
}

/** Bytes read and not yet acknowledged that tailship holds at most (memory-budget.ts). */
export function memoryBudgetBytes(c: Config): number {
  return readAheadLimit(c.memoryLimitBytes, c.batch.maxBytes, c.delivery.maxInFlight);
}

export function batcherOptions(c: Config): BatcherOptions {
  return {
    maxBytes: c.batch.maxBytes,
    maxEvents: c.batch.maxEvents,
    lingerMs: c.batch.lingerMs,
  };
}

export function shipperOptions(c: Config): ShipperOptions {
  return {
    maxInFlight: c.delivery.maxInFlight,
    backoff: { initialMs: c.delivery.retryInitialMs, maxMs: c.delivery.retryMaxMs },
    retryLimit: c.delivery.retryLimit,
    compression: c.sink.compression,
    gzipLevel: c.sink.compressionLevel,
  };
}

export function collectorClientOptions(c: Config): CollectorClientOptions {
  return {
    url: c.delivery.url,
    requestTimeoutMs: c.delivery.requestTimeoutMs,
    connections: c.delivery.maxInFlight,
    headers: c.sink.headers,
    tenantId: c.sink.tenantId,
    auth: c.auth,
    tls: c.tls,
  };
}
