import type { SendOutcome } from '../send-outcome.js';
import { classifyStatus, firstKiB } from './http-status.js';
import type { CollectorResponse } from './response-reader.js';

const OTLP_RETRY = new Set([429, 502, 503, 504]);

/**
 * OTLP/HTTP responses: 200 is success, and a `partialSuccess` with rejected records
 * means the collector dropped those for good (the spec forbids retrying): delivered,
 * with the count reported. 429/502/503/504 retried, honouring Retry-After; 400 (bad
 * data) dead-lettered; 413 splits the batch; the rest as for any collector.
 */
export function readOtlpResponse(res: CollectorResponse): SendOutcome {
  if (res.status >= 200 && res.status < 300) {
    const partial = partialSuccess(res.body);
    return partial ? { kind: 'delivered', dropped: partial } : { kind: 'delivered' };
  }
  const reason = `HTTP ${res.status}${res.body ? `: ${statusMessage(res.body)}` : ''}`;
  if (OTLP_RETRY.has(res.status)) {
    return res.retryAfterMs === undefined
      ? { kind: 'retry', reason, status: res.status }
      : { kind: 'retry', reason, status: res.status, retryAfterMs: res.retryAfterMs };
  }
  if (res.status === 400) return { kind: 'reject', reason, status: 400 };
  return classifyStatus(res.status, res.body, res.retryAfterMs);
}

function partialSuccess(body: string): { records: number; reason: string } | undefined {
  if (!body.includes('partialSuccess')) return undefined;
  try {
    const parsed = JSON.parse(body) as {
      partialSuccess?: { rejectedLogRecords?: string | number; errorMessage?: string };
    };
    const rejected = Number(parsed.partialSuccess?.rejectedLogRecords ?? 0);
    if (!(rejected > 0)) return undefined;
    return { records: rejected, reason: parsed.partialSuccess?.errorMessage || 'rejected by the collector' };
  } catch {
    return undefined;
  }
}

/** The `message` of a google.rpc.Status body, else the body's first KiB. */
function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string' && parsed.message) return parsed.message;
  } catch {
    // not JSON: use the text
  }
  return firstKiB(body);
}
