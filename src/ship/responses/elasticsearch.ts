import type { SendOutcome } from '../send-outcome.js';
import { classifyStatus, firstKiB } from './http-status.js';
import type { ResponseReader } from './response-reader.js';

/** A `_bulk` answer: the request's HTTP status, then, for a 2xx, each item's result. */
export const readElasticsearchResponse: ResponseReader = (res, count) => {
  if (res.status < 200 || res.status >= 300) return classifyStatus(res.status, res.body, res.retryAfterMs);
  return readBulkResponse(res.body, count);
};

interface BulkItemResult {
  status?: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } } | string;
}

/** `took` and `errors` come first in a bulk response: most answers are settled without parsing. */
const NO_ERRORS = /^\s*\{[^{}[\]]*"errors"\s*:\s*false/;

/**
 * Reads a 2xx bulk response for a request of `count` documents. Items come back in request
 * order: 2xx and 409 (created before: a re-send) are delivered; 408, 429, 5xx (and 401/403,
 * e.g. a cluster block while the disk is full) are retried alone; any other item error
 * (mapping, parsing, a missing index) is dead-lettered with Elasticsearch's reason.
 */
export function readBulkResponse(body: string, count: number): SendOutcome {
  if (NO_ERRORS.test(body)) return { kind: 'delivered' };
  let parsed: { errors?: unknown; items?: unknown };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return { kind: 'retry', reason: `unreadable bulk response: ${firstKiB(body).slice(0, 200)}` };
  }
  if (parsed === null || typeof parsed !== 'object') {
    return { kind: 'retry', reason: 'unreadable bulk response: not an object' };
  }
  if (parsed.errors !== true) return { kind: 'delivered' };
  const items = parsed.items;
  if (!Array.isArray(items) || items.length !== count) {
    const n = Array.isArray(items) ? items.length : 0;
    return { kind: 'retry', reason: `bulk response has ${n} items for ${count} documents` };
  }
  const retry: number[] = [];
  const reject: Array<{ index: number; reason: string }> = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Record<string, BulkItemResult> | null;
    const result = item && typeof item === 'object' ? Object.values(item)[0] : undefined;
    const status = result?.status ?? 0;
    if ((status >= 200 && status < 300) || status === 409) continue;
    if (status === 408 || status === 429 || status >= 500 || status === 401 || status === 403 || status === 0) {
      retry.push(i);
    } else {
      reject.push({ index: i, reason: itemReason(status, result?.error) });
    }
  }
  if (retry.length === 0 && reject.length === 0) return { kind: 'delivered' };
  return { kind: 'partial', retry, reject };
}

function itemReason(status: number, error: BulkItemResult['error']): string {
  if (error === undefined) return `bulk item ${status}`;
  if (typeof error === 'string') return `bulk item ${status}: ${error.slice(0, 500)}`;
  let text = `bulk item ${status} ${error.type ?? 'error'}: ${error.reason ?? ''}`;
  if (error.caused_by?.reason) text += ` (caused by ${error.caused_by.type ?? 'error'}: ${error.caused_by.reason})`;
  return text.slice(0, 1000);
}
