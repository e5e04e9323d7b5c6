// Which names in a directory are rotated generations of a watched file. Pure.

/**
 * A date, a time or a generation number, as rotation tools write them: `1`, `20261130`,
 * `2026-11-30`, `20261130-1764460800`, `2026-11-30_12.00.00`.
 */
const STAMP = '[0-9][0-9._-]*';
/** Only gzip is read (through gunzip); names with another compression are not generations we can read. */
const GZ = '(?:\\.gz)?';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Is `name` a rotated form of the file named `base`? The forms of logrotate (numbered,
 * `dateext`, `dateext` with `extension`, each with or without `compress`), savelog and
 * the usual cron scripts, for `access.log`:
 *
 *   access.log.1   access.log.1.gz   access.log-20261130   access.log-20261130.gz
 *   access.log.2026-11-30   access.log_20261130   access-20261130.log   access-20261130.log.gz
 */
export function isRotatedName(name: string, base: string): boolean {
  return rotatedNamePattern(base).test(name);
}

const patterns = new Map<string, RegExp>();

function rotatedNamePattern(base: string): RegExp {
  let re = patterns.get(base);
  if (re === undefined) {
    const dot = base.lastIndexOf('.');
    const forms = [`${escape(base)}[._-]${STAMP}${GZ}`];
    // logrotate's `extension .log` keeps the extension last: access-20261130.log
    if (dot > 0) forms.push(`${escape(base.slice(0, dot))}[._-]${STAMP}${escape(base.slice(dot))}${GZ}`);
    re = new RegExp(`^(?:${forms.join('|')})$`);
    if (patterns.size < 4096) patterns.set(base, re);
  }
  return re;
}

/** A gzip file by name (what logrotate's `compress` writes). */
export const isGzipName = (name: string): boolean => name.endsWith('.gz');
