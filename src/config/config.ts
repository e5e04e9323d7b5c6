// The validated, frozen configuration passed down from main. Units are in the names.
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
  readonly drain: {
    readonly quietMs: number;
    readonly timeoutMs: number;
  };
  readonly health: {
    readonly host: string;
    readonly port: number;
  };
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  readonly metadata: {
    readonly host: string;
    readonly fields: ReadonlyArray<readonly [string, string]>;
    readonly kubernetes: {
      readonly pod?: string | undefined;
      readonly namespace?: string | undefined;
      readonly node?: string | undefined;
      readonly podIp?: string | undefined;
      readonly container?: string | undefined;
    };
  };
}
