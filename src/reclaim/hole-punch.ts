// fallocate(2) with FALLOC_FL_PUNCH_HOLE: Node has no binding for it, so libc's is called
// through koffi (an FFI library whose npm package carries its prebuilt binaries: no
// compiler, no install script, works in the FROM scratch image, which has glibc).
import { createRequire } from 'node:module';
import { constants } from 'node:os';

/** linux/falloc.h: free the range's blocks, leave the file's size as it is. */
const FALLOC_FL_KEEP_SIZE = 0x01;
const FALLOC_FL_PUNCH_HOLE = 0x02;

type Fallocate = (fd: number, mode: number, offset: number, length: number) => number;

let binding: { fallocate: Fallocate; errno: () => number } | undefined;

/** Loaded on first use, so a tailship that never reclaims never loads the FFI library. */
function load(): NonNullable<typeof binding> {
  if (binding === undefined) {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    // libc is loaded already (node links it): dlopen finds it by its soname, no ld.so.cache needed.
    const libc = koffi.load('libc.so.6');
    const fallocate = libc.func('int fallocate(int fd, int mode, int64_t offset, int64_t len)') as Fallocate;
    binding = { fallocate, errno: () => koffi.errno() };
  }
  return binding;
}

const ERRNO_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno)) if (!ERRNO_NAMES.has(n)) ERRNO_NAMES.set(n, name);
// On Linux ENOTSUP and EOPNOTSUPP are one number; fallocate(2) documents the latter.
ERRNO_NAMES.set(constants.errno.EOPNOTSUPP, 'EOPNOTSUPP');

/**
 * Frees the blocks of `length` bytes at `offset` of the open file `fd` (opened for
 * writing), keeping its size: reads of the range then return zeros, and a writer
 * appending through its own descriptor sees nothing change. Synchronous: a punch is a
 * metadata change of a few microseconds to a millisecond. Returns undefined when done,
 * else the errno's name: EOPNOTSUPP where the file system cannot punch holes (ramfs,
 * some network and overlay file systems), EBADF when `fd` is not open for writing…, and
 * ENOSYS where the FFI library cannot be loaded (a platform koffi has no binary for).
 */
export function punchHole(fd: number, offset: number, length: number): string | undefined {
  let fallocate: Fallocate;
  let errno: () => number;
  try {
    ({ fallocate, errno } = load());
  } catch {
    return 'ENOSYS';
  }
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) === 0) return undefined;
  const n = errno();
  return ERRNO_NAMES.get(n) ?? `ERRNO_${n}`;
}
