// Known records and context for the encoders' golden tests.
import type { LogRecord, RecordContext } from '../../src/record/log-record.js';

export const T0 = Date.parse('2026-11-25T21:00:00.123Z');

export const ctx: RecordContext = {
  host: 'web-7d4b9',
  kubernetes: { pod: 'web-7d4b9', namespace: 'shop', node: 'worker-1', podIp: '10.1.2.3', container: 'nginx-container' },
  fields: [['env', 'prod']],
  timestampField: '@timestamp',
};

/** A record from /pod-data/access.log at `offset`, read at T0 (+ `dtMs`). */
export function rec(offset: number, message: string, over: Partial<LogRecord> = {}): LogRecord {
  return {
    message,
    timeMs: T0,
    readTimeMs: T0,
    file: '/pod-data/access.log',
    offset,
    id: `a1b2c3d4e5f60718-${offset.toString(16)}`,
    truncated: false,
    ...over,
  };
}

export const ACCESS =
  '10.0.0.7 - - [25/Nov/2026:21:00:00 +0000] "GET /index.html HTTP/1.1" 200 615 "-" "curl/8.5.0"';
