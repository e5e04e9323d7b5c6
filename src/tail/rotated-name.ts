// Which names in a directory are rotated generations of a watched file. Pure.

/**
 * After the watched name: a date, a time or a generation number, as rotation tools write
 * them (`.1`, `-20261130`, `.2026-11-30`, `_20261130-1764460800`), then optionally the
 * extension logrotate's `extension` keeps last, then optionally `.gz`. Only gzip is read
 * (through gunzip): a name with another compression is not a generation tailship can read.
 */
const STAMP_THEN = /^[._-][0-9][0-9._-]*?(\.(?!gz$)[A-Za-z][A-Za-z0-9]*)?(\.gz)?$/;

/**
 * The watched name `name` is a rotated form of, if any: the forms of logrotate
 * (numbered, `dateext`, `dateext` with `extension`, each with or without `compress`),
 * savelog and the usual cron scripts. For `access.log`:
 *
 *   access.log.1   access.log.1.gz   access.log-20261130   access.log-20261130.gz
 *   access.log.2026-11-30   access.log_20261130   access-20261130.log   access-20261130.log.gz
 *
 * O(length of the name) lookups in `watched`, whatever the number of watched names.
 */
export function rotatedBaseOf(name: string, watched: (base: string) => boolean): string | undefined {
  for (let i = 1; i < name.length - 1; i++) {
    const c = name.charCodeAt(i);
    // '.', '-' or '_' followed by a digit: a stamp may start here.
    if ((c !== 0x2e && c !== 0x2d && c !== 0x5f) || !isDigit(name.charCodeAt(i + 1))) continue;
    const m = STAMP_THEN.exec(name.slice(i));
    if (m === null) continue;
    const stem = name.slice(0, i);
    const ext = m[1];
    if (ext === undefined && watched(stem)) return stem;
    // logrotate's `extension .log`: access.log -> access-20261130.log
    if (ext !== undefined && watched(stem + ext)) return stem + ext;
  }
  return undefined;
}

/** Is `name` a rotated form of the file named `base`? */
export function isRotatedName(name: string, base: string): boolean {
  return rotatedBaseOf(name, (b) => b === base) !== undefined;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
