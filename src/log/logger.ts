import { pino, type Logger } from 'pino';

/**
 * tailship's own logs: JSON lines on stdout. Written synchronously so the last lines
 * before an exit are not lost; tailship logs events, never per line, so this is cheap.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { name: 'tailship' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Defence in depth: never print credentials even if an object carrying them is logged.
    redact: {
      paths: ['headers.authorization', 'headers.Authorization', '*.authorization', 'token', 'password'],
      censor: '***',
    },
  });
}

export type { Logger };
