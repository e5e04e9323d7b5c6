import type { SendOutcome } from '../send-outcome.js';
import type { ResponseReader } from './response-reader.js';

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * The generic reading of an HTTP status (the `ndjson` and `json` protocols, and the
 * fallback for the others): 2xx delivered; 3xx, 408, 429, 5xx and 401/403 retried (a Secret
 * may be rotated under us); 413 split; other 4xx rejected.
 */
export function classifyStatus(status: number, body: string, retryAfterMs: number | undefined): SendOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  const reason = `HTTP ${status}${body ? `: ${firstKiB(body)}` : ''}`;
  if (status === 413) return { kind: 'split', reason, status };
  // A 3xx means a URL that needs fixing, not data to throw away: keep it in the files.
  if (RETRY_STATUSES.has(status) || status >= 500 || status < 400 || status === 401 || status === 403) {
    return retryAfterMs === undefined
      ? { kind: 'retry', reason, status }
      : { kind: 'retry', reason, status, retryAfterMs };
  }
  return { kind: 'reject', reason, status };
}

/** The first KiB of a response body, for dead letters and logs. */
export function firstKiB(text: string): string {
  return text.length > 1024 ? text.slice(0, 1024) : text;
}

/** The generic reading as a response reader: the `ndjson` and `json` protocols. */
export const readHttpStatus: ResponseReader = (res) => classifyStatus(res.status, res.body, res.retryAfterMs);
