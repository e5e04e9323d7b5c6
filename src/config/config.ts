// The validated, frozen configuration passed down from main. Units are in the names.
import type { KubernetesMeta } from '../record/kubernetes-meta.js';
import type { AuthOptions } from '../ship/auth.js';
import type { ProtocolOptions } from '../ship/protocol.js';
import type { CollectorTlsOptions } from '../ship/tls-options.js';
import type { FollowSymlinks } from '../tail/file-admission.js';
import type { RecordsConfig } from './record-config.js';

export interface Config {
  readonly sources: {
    readonly include: readonly string[];
    readonly exclude: readonly string[];
    readonly startAt: 'beginning' | 'end';
    readonly maxLineBytes: number;
    readonly readChunkBytes: number;
    readonly pollIntervalMs: number;
    readonly pollOnly: boolean;
    readonly rotateWaitMs: number;
    /** Files held open at most (before the `nofile` cap applied at start). */
    readonly maxOpenFiles: number;
    /** A file read to its end and quiet this long is closed until it grows. */
    readonly closeInactiveMs: number;
    /** Where a watched path may lead (tail/file-admission.ts). */
    readonly followSymlinks: FollowSymlinks;
  };
  /** The log volume's disk space (README, "Disk space on the shared volume"). */
  readonly disk: {
    /** Free the blocks of acknowledged bytes in place (needs the files writable). */
    readonly reclaimAcked: boolean;
    /** The volume's size limit (an emptyDir's sizeLimit): warn above 80 % of it. */
    readonly volumeLimitBytes: number | undefined;
  };
  readonly state: {
    readonly dir: string;
    readonly checkpointIntervalMs: number;
  };
  readonly batch: {
    readonly maxBytes: number;
    readonly maxEvents: number;
    readonly lingerMs: number;
  };
  readonly delivery: {
    readonly url: URL;
    readonly maxInFlight: number;
    readonly requestTimeoutMs: number;
    readonly retryInitialMs: number;
    readonly retryMaxMs: number;
    /** Attempts before a batch is dead-lettered; Infinity by default. */
    readonly retryLimit: number;
    readonly deadLetterMaxBytes: number;
  };
  readonly memoryLimitBytes: number;
  /** The collector's protocol and request options (TAILSHIP_SINK, TAILSHIP_COMPRESSION, …). */
  readonly sink: SinkConfig;
  /** Secrets: masked by `describeConfig` (key names hold token/password). */
  readonly auth: AuthOptions;
  readonly tls: CollectorTlsOptions;
  readonly drain: {
    readonly quietMs: number;
    readonly timeoutMs: number;
  };
  readonly health: {
    readonly host: string;
    readonly port: number;
  };
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Parsers, multiline joining and the time field's name (record-config.ts). */
  readonly records: RecordsConfig;
  readonly metadata: {
    readonly host: string;
    readonly fields: ReadonlyArray<readonly [string, string]>;
    readonly kubernetes: KubernetesMeta;
  };
}

/** The collector's protocol (with its options) and request options. */
export interface SinkConfig extends ProtocolOptions {
  readonly compression: 'gzip' | 'none';
  readonly compressionLevel: number;
  /** TAILSHIP_HEADERS; the value's key name makes `describeConfig` mask it. */
  readonly headers: ReadonlyArray<{ readonly name: string; readonly secretValue: string }>;
  /** Sent as X-Scope-OrgID (Loki and the other Grafana-stack gateways). */
  readonly tenantId: string | undefined;
}
