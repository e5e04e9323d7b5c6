// The result of one delivery attempt, as a value: expected failures are not exceptions.

export type SendOutcome =
  /**
   * Accepted. `dropped`: the collector said it discarded some records for good and must
   * not be sent them again (OTLP partial success): counted and logged, not retried.
   */
  | { readonly kind: 'delivered'; readonly dropped?: { readonly records: number; readonly reason: string } }
  /** Transient: try the same records again after a backoff (or `retryAfterMs`). */
  | { readonly kind: 'retry'; readonly reason: string; readonly status?: number; readonly retryAfterMs?: number }
  /** The collector refused the body for its size: send the records in halves. */
  | { readonly kind: 'split'; readonly reason: string; readonly status: number }
  /** Permanent: the records go to the dead-letter file and their offsets are acked. */
  | { readonly kind: 'reject'; readonly reason: string; readonly status?: number }
  /**
   * Per-record results in a successful response (Elasticsearch bulk): `retry` and
   * `reject` hold indexes into the request's records; the rest were delivered.
   */
  | {
      readonly kind: 'partial';
      readonly retry: readonly number[];
      readonly reject: ReadonlyArray<{ readonly index: number; readonly reason: string }>;
      readonly retryAfterMs?: number;
    };
