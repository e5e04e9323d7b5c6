// File systems made for one test: a loop-mounted ext4 or xfs image, a tmpfs, a ramfs
// (which cannot punch holes). Needs root; unmounted and removed at teardown.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ScratchKind = 'ext4' | 'xfs' | 'tmpfs' | 'ramfs';

const MKFS: Partial<Record<ScratchKind, string[]>> = {
  ext4: ['mkfs.ext4', '-q', '-F'],
  xfs: ['mkfs.xfs', '-q', '-f'],
};

/** Why `kind` cannot be made here (not root, no mkfs), or undefined when it can. */
export function scratchUnavailable(kind: ScratchKind): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting needs root';
  const mkfs = MKFS[kind];
  if (mkfs !== undefined) {
    try {
      execFileSync('sh', ['-c', `command -v ${mkfs[0]}`], { stdio: 'ignore' });
    } catch {
      return `${mkfs[0]} is not installed (.ci/run installs it)`;
    }
  }
  return undefined;
}

/** mkfs.xfs refuses file systems smaller than this. */
const XFS_MIN_MIB = 300;

/**
 * Mounts a fresh `kind` of `sizeMiB` (an xfs image at least XFS_MIN_MIB, sparse) and returns its mount point, with `logs/` in it and
 * a `state/` beside it (off the scratch volume: only the log files count there).
 */
export function mountScratch(t: { teardown(fn: () => unknown): void }, kind: ScratchKind, sizeMiB: number): {
  dir: string;
  mount: string;
  logs: string;
  state: string;
} {
  const dir = mkdtempSync(join(tmpdir(), `tailship-${kind}-`));
  const mount = join(dir, 'mnt');
  mkdirSync(mount);
  const mkfs = MKFS[kind];
  const image = join(dir, `${kind}.img`);
  t.teardown(() => {
    // Lazy: a descriptor a killed child left is gone by the time the kernel looks.
    try {
      execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
    rmSync(dir, { recursive: true, force: true });
  });
  if (mkfs !== undefined) {
    execFileSync('truncate', ['-s', `${kind === 'xfs' ? Math.max(sizeMiB, XFS_MIN_MIB) : sizeMiB}M`, image]);
    execFileSync(mkfs[0]!, [...mkfs.slice(1), image], { stdio: 'ignore' });
    // xfs: a fixed 64 KiB instead of its speculative preallocation, which adds 8-32 MiB
    // past the end of a file being appended (README, "Disk space on the shared volume").
    execFileSync('mount', ['-o', kind === 'xfs' ? 'loop,allocsize=64k' : 'loop', image, mount]);
  } else {
    execFileSync('mount', ['-t', kind, '-o', `size=${sizeMiB}m`, kind, mount]);
  }
  const logs = join(mount, 'logs');
  mkdirSync(logs);
  return { dir, mount, logs, state: join(dir, 'state') };
}

/** Disk space the files in `paths` use: summed st_blocks × 512 (what `du` shows). */
export function diskBytes(paths: readonly string[]): number {
  let sum = 0;
  for (const p of paths) {
    try {
      sum += statSync(p).blocks * 512;
    } catch {
      // not there (yet)
    }
  }
  return sum;
}
