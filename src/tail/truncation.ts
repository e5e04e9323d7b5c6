// When a file's content is no longer the one being read, and which file holds the rest
// of it. Pure.

/**
 * Was the file truncated since it was last looked at? Its size never shrinks otherwise
 * (`size` below the larger of the read position and the largest size seen), and a
 * rewrite in place (`>`, copytruncate followed by writes past the read position) shows
 * in its first bytes: `headNow` is the file's first `head.length` bytes now, undefined
 * when they were not read (the file did not change).
 */
export function truncationSeen(
  was: { readonly position: number; readonly size: number; readonly head: Buffer },
  size: number,
  headNow: Buffer | undefined,
): boolean {
  if (size < Math.max(was.position, was.size)) return true;
  return headNow !== undefined && was.head.length > 0 && !headNow.equals(was.head);
}

/** Does a file starting with `candidate` start with all of `head` (it may go on beyond it)? */
export function startsWithHead(candidate: Buffer, head: Buffer): boolean {
  return head.length > 0 && candidate.length >= head.length && candidate.subarray(0, head.length).equals(head);
}

/**
 * Bytes two heads must share before a new file is taken for a copy of a file still being
 * read: fewer could be two different logs that start alike (one short line each).
 */
export const MIN_COPY_HEAD_BYTES = 256;

/**
 * Could the file starting with `candidate` be a copy of the one starting with `head` — made
 * before it was truncated, or still being made? One head is a prefix of the other, over
 * at least MIN_COPY_HEAD_BYTES.
 */
export function mayBeCopyOf(candidate: Buffer, head: Buffer): boolean {
  const n = Math.min(candidate.length, head.length);
  return n >= MIN_COPY_HEAD_BYTES && candidate.subarray(0, n).equals(head.subarray(0, n));
}

/**
 * Of the files that hold a truncated generation, the copy to read: the one that appeared
 * last (copytruncate copies just before it truncates; older copies of a generation that
 * started alike appeared before).
 */
export function newestCopy<T extends { readonly bornMs: number }>(candidates: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of candidates) if (best === undefined || c.bornMs > best.bornMs) best = c;
  return best;
}
