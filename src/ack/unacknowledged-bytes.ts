/**
 * Bytes of the log files read and not yet acknowledged by the collector: per open file,
 * its read offset minus its acknowledged (checkpoint) offset. An incomplete last line,
 * read but waiting for its newline, counts until it is complete and acknowledged. This
 * is what a restart would read again; the memory budget counts something else, the
 * encoded records held in memory (memory-budget.ts). Pure.
 */
export function unacknowledgedBytes(files: ReadonlyArray<{ readonly readOffset: number; readonly ackedOffset: number }>): number {
  let sum = 0;
  for (const f of files) sum += Math.max(0, f.readOffset - f.ackedOffset);
  return sum;
}
