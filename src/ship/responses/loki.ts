import { classifyStatus } from './http-status.js';
import type { ResponseReader } from './response-reader.js';

/**
 * Loki's push API answers 204 on success; 429 (rate or stream limits) and 5xx are
 * retried; 400 (entry too far behind, out of order, line too long, bad labels) is
 * permanent and dead-lettered with Loki's message. A 400 can mean Loki stored the other
 * entries of the push. That is the generic reading of a status.
 */
export const readLokiResponse: ResponseReader = (res) => classifyStatus(res.status, res.body, res.retryAfterMs);
