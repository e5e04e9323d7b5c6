// OTLP severity from what a parser found: a level word (nginx error log, JSON logs), or
// else an HTTP status (access logs). Numbers follow the OpenTelemetry log data model.

export interface Severity {
  readonly number: number;
  readonly text: string;
}

/** Level words, lower-case, → SeverityNumber (syslog names mapped as in the data model's appendix). */
const LEVELS: Readonly<Record<string, number>> = {
  trace: 1,
  debug: 5,
  info: 9,
  informational: 9,
  notice: 10,
  warn: 13,
  warning: 13,
  error: 17,
  err: 17,
  crit: 18,
  critical: 18,
  alert: 19,
  emerg: 21,
  emergency: 21,
  fatal: 21,
  panic: 21,
};

const LEVEL_KEYS = ['level', 'severity', 'log_level', 'loglevel'] as const;

/** The severity of a record's parsed fields, or undefined when nothing says. */
export function severityOf(fields: Readonly<Record<string, unknown>> | undefined): Severity | undefined {
  if (fields === undefined) return undefined;
  for (const key of LEVEL_KEYS) {
    const v = fields[key];
    if (typeof v !== 'string') continue;
    const n = LEVELS[v.trim().toLowerCase()];
    if (n !== undefined) return { number: n, text: v };
  }
  const status = fields['status'];
  const code = typeof status === 'number' ? status : typeof status === 'string' ? Number(status) : NaN;
  if (!Number.isInteger(code) || code < 100 || code > 599) return undefined;
  if (code >= 500) return { number: 17, text: 'ERROR' };
  if (code >= 400) return { number: 13, text: 'WARN' };
  return { number: 9, text: 'INFO' };
}
