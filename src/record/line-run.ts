// How the bytes of a run of whole lines are lines: the rule LineSplitter applies to what
// it reads and the record stage to a run it is handed (tail/line-splitter.ts); the
// WebAssembly render of a run (ship/encoders/line-record.wat, renderRun) applies it too.

/** Receives each complete line. `line` is valid only during the call (it may view a reused buffer). */
export type LineHandler = (line: Buffer, start: number, end: number, truncated: boolean) => void;

const NL = 0x0a;
const CR = 0x0d;

/**
 * The lines of a run, one call each, as the splitter defines them: without the `\n` and
 * a `\r` before it; longer than `maxLineBytes`, cut to it and marked truncated. `start` is
 * the line's file offset, `end` the offset past its `\n`.
 */
export function eachLine(chunk: Buffer, from: number, to: number, offset: number, maxLineBytes: number, onLine: LineHandler): void {
  let pos = from;
  while (pos < to) {
    const nl = chunk.indexOf(NL, pos);
    let stop = nl;
    if (stop > pos && chunk[stop - 1] === CR) stop--;
    const start = offset + pos - from;
    const end = offset + nl + 1 - from;
    if (stop - pos > maxLineBytes) onLine(chunk.subarray(pos, pos + maxLineBytes), start, end, true);
    else onLine(chunk.subarray(pos, stop), start, end, false);
    pos = nl + 1;
  }
}
