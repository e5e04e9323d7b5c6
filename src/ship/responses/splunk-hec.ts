import type { SendOutcome } from '../send-outcome.js';
import { classifyStatus, firstKiB } from './http-status.js';
import type { CollectorResponse } from './response-reader.js';

/** HEC codes worth waiting out: server busy (9), internal error (8), and token problems a rotation fixes. */
const RETRY_CODES = new Set([1, 2, 3, 4, 8, 9]);

interface HecAnswer {
  text?: unknown;
  code?: unknown;
  'invalid-event-number'?: unknown;
}

/**
 * HEC answers `{"text":"Success","code":0}`; only code 0 is success, whatever the HTTP
 * status. Codes 8 and 9 (busy) and token problems (1–4) are retried; an invalid event
 * (`invalid-event-number`) is dead-lettered alone and the others are sent again, since
 * HEC does not say which of them it kept (at-least-once: they may be indexed twice);
 * other codes (5 no data, 7 incorrect index, …) dead-letter the request.
 */
export function readHecResponse(res: CollectorResponse, count: number): SendOutcome {
  let answer: HecAnswer | undefined;
  try {
    const parsed = JSON.parse(res.body) as unknown;
    if (parsed !== null && typeof parsed === 'object') answer = parsed as HecAnswer;
  } catch {
    answer = undefined;
  }
  const code = typeof answer?.code === 'number' ? answer.code : undefined;
  const ok = res.status >= 200 && res.status < 300;
  if (ok && code === 0) return { kind: 'delivered' };
  if (code === undefined) {
    if (!ok) return classifyStatus(res.status, res.body, res.retryAfterMs);
    // A 2xx without a HEC answer is not proof of delivery (a proxy, a wrong URL).
    return { kind: 'retry', reason: `HTTP ${res.status} without a HEC code: ${firstKiB(res.body).slice(0, 200)}` };
  }
  const reason = `HEC code ${code}${typeof answer?.text === 'string' ? ` ${answer.text}` : ''} (HTTP ${res.status})`;
  if (res.status === 413) return { kind: 'split', reason, status: 413 };
  if (RETRY_CODES.has(code) || res.status === 429 || res.status >= 500) {
    return res.retryAfterMs === undefined
      ? { kind: 'retry', reason, status: res.status }
      : { kind: 'retry', reason, status: res.status, retryAfterMs: res.retryAfterMs };
  }
  const invalid = answer?.['invalid-event-number'];
  if (typeof invalid === 'number' && Number.isInteger(invalid) && invalid >= 0 && invalid < count) {
    const retry: number[] = [];
    for (let i = 0; i < count; i++) if (i !== invalid) retry.push(i);
    return { kind: 'partial', retry, reject: [{ index: invalid, reason }] };
  }
  return { kind: 'reject', reason, status: res.status };
}
