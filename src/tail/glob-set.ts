import { isAbsolute, resolve } from 'node:path';
import picomatch from 'picomatch';

/** Where to look for files, and which of them to tail. Pure: no file system access. */
export interface GlobSet {
  /** Directories below which matches can exist (the static prefix of each include glob). */
  readonly roots: readonly { readonly dir: string; readonly recursive: boolean }[];
  matches(path: string): boolean;
}

export function globSet(include: readonly string[], exclude: readonly string[]): GlobSet {
  const abs = (g: string) => (isAbsolute(g) ? g : resolve(g));
  const opts = { dot: true };
  const inc = include.map((g) => picomatch(abs(g), opts));
  // An exclude without a leading / applies in any directory (`*.gz`, `**/debug-*.log`),
  // as people write them; an include is a place, resolved like a path.
  const anywhere = (g: string) => (isAbsolute(g) ? g : g.startsWith('**/') ? g : `**/${g}`);
  const exc = exclude.map((g) => picomatch(anywhere(g), opts));
  const roots = new Map<string, boolean>();
  for (const g of include) {
    const scan = picomatch.scan(abs(g));
    const dir = scan.isGlob ? scan.base : resolve(abs(g), '..');
    // A glob with ** or a wildcard in a directory part needs a recursive walk.
    const recursive = scan.isGlob && /[*?[{]/.test(scan.glob.split('/').slice(0, -1).join('/'));
    roots.set(dir, (roots.get(dir) ?? false) || recursive);
  }
  return {
    roots: [...roots].map(([dir, recursive]) => ({ dir, recursive })),
    matches: (path) => inc.some((m) => m(path)) && !exc.some((m) => m(path)),
  };
}
