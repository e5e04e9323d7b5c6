import { isAbsolute, resolve } from 'node:path';
import picomatch from 'picomatch';

/**
 * Which files a per-file setting applies to. A glob without a `/` matches the file's
 * name in any directory (`access.log`, `*error.log`); one with a `/` matches the whole
 * path (relative globs are taken from the working directory, as TAILSHIP_INCLUDE's are).
 * No glob means every file.
 */
export function pathMatcher(glob: string | undefined): (path: string) => boolean {
  if (glob === undefined || glob === '**' || glob === '*') return () => true;
  if (!glob.includes('/')) return picomatch(glob, { dot: true, basename: true });
  return picomatch(isAbsolute(glob) ? glob : resolve(glob), { dot: true });
}

/** The value of the first rule whose glob matches `path`, or undefined. */
export function firstMatch<T>(
  rules: ReadonlyArray<{ readonly match: (path: string) => boolean; readonly value: T }>,
  path: string,
): T | undefined {
  for (const r of rules) if (r.match(path)) return r.value;
  return undefined;
}
