// The standard record of a plain line (no parser, no multiline: the default) written as
// bytes straight from the tail's read buffer into the batch's body. The string way
// decodes the line, escapes it with JSON.stringify, concatenates a dozen pieces, measures
// and flattens the rope and encodes it back to UTF-8: four copies and about 1 KiB of
// garbage per nginx line, which were half of tailship's CPU per GB (bench/PROFILE.md).
// Here the record is rendered by a small WebAssembly function (line-record.wat): the line
// is copied into its memory, escaped 16 bytes at a time between the constant parts of the
// record (made once per file or per millisecond), and the record copied out into the
// batch: no object and no string per line.
//
// The output is byte for byte what the encoder's `text` gives (test/ship/encoders/
// line-record-bytes.test.ts checks it on arbitrary bytes): JSON.stringify's escapes (ECMA-262
// QuoteJSONString: `\"`, `\\`, `\b \t \n \f \r`, other controls as `\u00xx`, nothing
// else), and a line that is not valid UTF-8 is left to the string way, where it is
// decoded with U+FFFD as before.
import { isUtf8 } from 'node:buffer';
import { RUN_AGAIN, RUN_DONE, RUN_FULL, RUN_REFUSED, type LineEncoding, type RunResult, type RunTarget } from '../../batch/batch.js';
import type { ByteFrame } from '../../batch/byte-frame.js';
import type { PlainLine, PlainRun, RecordContext } from '../../record/log-record.js';
import { LINE_RECORD_WASM } from './line-record-wasm.js';
import { RecordJson } from './record-json.js';
import { epochSecondsText } from './time-text.js';

const ACTION_END = Buffer.from('"}}\n');

// The module's memory layout (line-record.wat): its tables, renderRun's result, the
// pieces' total length and (start, length) pairs, then the pieces' bytes, then a line and
// its record, or a run of lines, its staged records and their spans.
const CLASS = 0;
const SHORT = 256;
const HEX = 512;
const RESULT = 896;
const PIECE_TOTAL = 1020;
const PIECES = 1024;
const PIECE_BYTES = 1120;
const PAGE = 65_536;
/** A run's records are staged this many bytes at a time, then copied into the batch. */
const STAGE_BYTES = 64 * 1024;
const STAGE_SPANS = 2048;
/** The most a record takes beyond 6 bytes per line byte and its pieces (line-record.wat). */
const RECORD_SLACK = 64;
/** Pieces in the module's order (line-record.wat). */
const ACTION_HEAD = 0;
const ACTION_KEY = 1;
const ACTION_TAIL = 2;
const OPEN = 3;
const TIME = 4;
const FILE = 5;
const ID = 6;
const END = 7;
const END_TRUNCATED = 8;
const FIRST_LEAD = 9;
const LEAD = 10;
const PIECE_COUNT = 11;
const TRUNCATED = 1;
const WITH_ACTION = 2;
const FIRST_LINE_UTF8 = 4;
// renderRun's answers (line-record.wat).
const WASM_ROOM = 2;
const WASM_CHECK = 3;
const HIGH_BIT = 0x80000000;

/** Compiled once; each encoder instantiates it with a memory of its own. */
const lineRecordModule = new WebAssembly.Module(LINE_RECORD_WASM);

type RenderFn = (lineStart: number, lineEnd: number, out: number, offset: number, flags: number) => number;
type RenderRunFn = (
  ...args: [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number]
) => number;

/**
 * What goes before each record: Elasticsearch's bulk action, `<head(timeMs)><id>"}}\n`,
 * where `head` is the action up to the opening quote of `_id`.
 */
export interface BulkAction {
  head(timeMs: number): string;
}

/**
 * The byte form of `RecordJson.object` for a plain record, followed by `suffix` (the
 * frame's per-record end: `\n` for NDJSON, nothing for a JSON array) and preceded by a
 * bulk action when one is given.
 */
export class LineRecordBytes implements LineEncoding {
  readonly #json: RecordJson;
  readonly #epochKey: string;
  readonly #action: BulkAction | undefined;
  readonly #memory = new WebAssembly.Memory({ initial: 1 });
  readonly #render: RenderFn;
  readonly #renderRun: RenderRunFn;
  /** A view of all of #memory (renewed when it grows). */
  #bytes: Buffer;
  /** The pieces as Buffers, in the module's order. */
  readonly #pieces: Buffer[] = new Array<Buffer>(PIECE_COUNT).fill(Buffer.alloc(0));
  /** Where the line goes in #memory: past the pieces, 16-byte aligned. */
  #lineAt = 0;
  /** The pieces' total length. */
  #pieceBytes = 0;
  // Caches: a chunk's lines share a read time and, in runs, a file.
  #ms = NaN;
  #path: string | undefined;
  #key: string | undefined;
  #frame: ByteFrame | undefined;
  // The run whose lines are in #memory (from #inAt), and its `from` when they were copied.
  #inSeq = -1;
  #inFrom = 0;
  #inAt = 0;
  #inEnd = 0;
  readonly #result: RunResult = {
    status: RUN_DONE,
    staged: new Uint8Array(0),
    spans: new Int32Array(0),
    records: 0,
    bytes: 0,
    end: 0,
  };

  constructor(ctx: RecordContext, suffix: string, action?: BulkAction) {
    this.#json = new RecordJson(ctx);
    this.#action = action;
    const sample = this.#json.parts();
    this.#epochKey = sample.epochTimeKey;
    this.#pieces[ACTION_TAIL] = action ? ACTION_END : Buffer.alloc(0);
    this.#pieces[OPEN] = Buffer.from(`{${sample.timestampField}:"`);
    this.#pieces[END] = Buffer.from(`",${sample.tail}}${suffix}`);
    this.#pieces[END_TRUNCATED] = Buffer.from(`",${sample.tail},"truncated":true}${suffix}`);
    const instance = new WebAssembly.Instance(lineRecordModule, { env: { memory: this.#memory } });
    this.#render = instance.exports['render'] as RenderFn;
    this.#renderRun = instance.exports['renderRun'] as RenderRunFn;
    this.#bytes = Buffer.from(this.#memory.buffer);
    writeTables(this.#bytes);
  }

  most(p: PlainLine): number {
    this.#prepare(p);
    const pieces = this.#pieces;
    const end = p.truncated ? pieces[END_TRUNCATED]! : pieces[END]!;
    // Every byte escaped as \u00xx at worst; offsets below 2^53 have at most 16 digits.
    const action = this.#action ? pieces[ACTION_HEAD]!.length + pieces[ACTION_KEY]!.length + 14 + ACTION_END.length : 0;
    return (
      action + pieces[OPEN]!.length + pieces[TIME]!.length + 6 * p.line.length + pieces[FILE]!.length + 16 + pieces[ID]!.length + 14 + end.length
    );
  }

  /**
   * Writes the record of `p` at `pos` of `s` (which has `most(p)` bytes of room; call
   * `most` first for the same line). Returns the position after it, or -1 for a line
   * that is not valid UTF-8.
   */
  render(p: PlainLine, s: Buffer, pos: number): number {
    const line = p.line;
    // Past a run's lines when one is loaded (and the 16 bytes its newline search reads), so
    // that a line refused from a run does not make the rest of the run be copied in again.
    const lineAt = this.#inSeq === -1 ? this.#lineAt : (this.#inEnd + 31) & ~15;
    const out = (lineAt + line.length + 15) & ~15;
    // The record: the pieces, the escaped line (6 bytes a byte at worst), two offsets of at
    // most 16 digits.
    const room = this.#pieceBytes + 6 * line.length + 48;
    if (out + room > this.#bytes.length) this.#grow(out + room);
    const bytes = this.#bytes;
    bytes.set(line, lineAt);
    let end = this.#render(lineAt, lineAt + line.length, out, p.offset, (p.truncated ? TRUNCATED : 0) | (this.#action ? WITH_ACTION : 0));
    if (end < 0) {
      // A byte above 0x7f: only then can the line be invalid UTF-8.
      end &= ~HIGH_BIT;
      if (!isUtf8(line)) return -1;
    }
    s.set(bytes.subarray(out, end), pos);
    return pos + end - out;
  }

  /**
   * The records of `run`'s lines for the batch `target` describes: the lines are copied
   * into the module's memory once per run, rendered there (line-record.wat, renderRun)
   * STAGE_BYTES of records at a time and handed back to be copied into the batch. A line
   * with a byte above 0x7f is checked for UTF-8 here, and refused if it is not.
   */
  renderRun(run: PlainRun, target: RunTarget): RunResult {
    this.#prepare(run);
    if (target.frame !== this.#frame) {
      this.#frame = target.frame;
      this.#pieces[FIRST_LEAD] = target.frame.head;
      this.#pieces[LEAD] = target.frame.separator;
      this.#storePieces();
    }
    if (run.seq !== this.#inSeq) this.#copyIn(run);
    const result = this.#result;
    let flags = this.#action ? WITH_ACTION : 0;
    let stage = STAGE_BYTES;
    for (;;) {
      const inAt = this.#inAt + run.from - this.#inFrom;
      // The staging area: after the lines and 16 bytes the newline search may read.
      const out = (this.#inEnd + 31) & ~15;
      const spans = (out + stage + 7) & ~7;
      const spansEnd = spans + 8 * STAGE_SPANS;
      if (spansEnd > this.#bytes.length) this.#grow(spansEnd);
      const status = this.#renderRun(
        inAt,
        this.#inEnd,
        out,
        out + stage,
        target.room,
        spans,
        spansEnd,
        target.spanBase,
        run.offset,
        run.maxLineBytes,
        target.count,
        target.bytes,
        target.maxEvents,
        target.maxBytes,
        flags,
      );
      const bytes = this.#bytes;
      const next = bytes.readUInt32LE(RESULT);
      const staged = bytes.readUInt32LE(RESULT + 4);
      const records = bytes.readUInt32LE(RESULT + 8);
      const note = bytes.readUInt32LE(RESULT + 20);
      run.offset += next - inAt;
      run.from += next - inAt;
      run.lines += records;
      run.truncated += bytes.readUInt32LE(RESULT + 16);
      result.records = records;
      result.bytes = bytes.readUInt32LE(RESULT + 12);
      result.end = run.offset;
      result.staged = bytes.subarray(out, staged);
      result.spans = new Int32Array(bytes.buffer, spans, 2 * records);
      if (status === WASM_ROOM || status === WASM_CHECK) {
        if (records > 0) {
          result.status = RUN_AGAIN;
          return result;
        }
        // Each retry below happens once per call: a second would mean the module loops.
        if (status === WASM_ROOM) {
          // Nothing staged: a line longer than the staging area. Make room for it.
          if (stage >= note) throw new Error(`renderRun: no room for a line in ${stage} bytes of stage`);
          stage = note;
          continue;
        }
        if (flags & FIRST_LINE_UTF8) throw new Error('renderRun: a checked line refused again');
        // The line has a byte above 0x7f: valid UTF-8 goes on, anything else is refused.
        if (!isUtf8(bytes.subarray(next, note))) {
          result.status = RUN_REFUSED;
          return result;
        }
        flags |= FIRST_LINE_UTF8;
        continue;
      }
      result.status = status === RUN_DONE ? RUN_DONE : RUN_FULL;
      return result;
    }
  }

  /** Copies the run's lines not yet taken into #memory, past the pieces. */
  #copyIn(run: PlainRun): void {
    const length = run.to - run.from;
    const at = this.#lineAt;
    if (at + length + 32 > this.#bytes.length) this.#grow(at + length + 32);
    this.#bytes.set(run.chunk.subarray(run.from, run.to), at);
    this.#inSeq = run.seq;
    this.#inFrom = run.from;
    this.#inAt = at;
    this.#inEnd = at + length;
  }

  #prepare(p: Pick<PlainLine, 'timeMs' | 'file' | 'key'>): void {
    let changed = false;
    const pieces = this.#pieces;
    if (p.timeMs !== this.#ms) {
      this.#ms = p.timeMs;
      const epoch = this.#epochKey ? `${this.#epochKey}${epochSecondsText(p.timeMs)}` : '';
      pieces[TIME] = Buffer.from(`${this.#json.iso(p.timeMs)}"${epoch},"message":"`);
      if (this.#action) pieces[ACTION_HEAD] = Buffer.from(this.#action.head(p.timeMs));
      changed = true;
    }
    if (p.file !== this.#path) {
      this.#path = p.file;
      pieces[FILE] = Buffer.from(`","file":${this.#json.fileJson(p.file)},"offset":`);
      changed = true;
    }
    if (p.key !== this.#key) {
      this.#key = p.key;
      pieces[ID] = Buffer.from(`,"id":"${p.key}-`);
      if (this.#action) pieces[ACTION_KEY] = Buffer.from(`${p.key}-`);
      changed = true;
    }
    if (changed) this.#storePieces();
  }

  /** Lays the pieces out in the module's memory, one after another, and notes where. */
  #storePieces(): void {
    let total = 0;
    for (const piece of this.#pieces) total += piece.length;
    if (PIECE_BYTES + total > this.#bytes.length) this.#grow(PIECE_BYTES + total);
    const bytes = this.#bytes;
    let at = PIECE_BYTES;
    for (let i = 0; i < PIECE_COUNT; i++) {
      const piece = this.#pieces[i]!;
      bytes.writeUInt32LE(at, PIECES + 8 * i);
      bytes.writeUInt32LE(piece.length, PIECES + 8 * i + 4);
      bytes.set(piece, at);
      at += piece.length;
    }
    bytes.writeUInt32LE(total, PIECE_TOTAL);
    this.#pieceBytes = total;
    // The line or run goes after the pieces: a run copied there before is gone if they moved.
    const lineAt = (at + 15) & ~15;
    if (lineAt !== this.#lineAt) this.#inSeq = -1;
    this.#lineAt = lineAt;
  }

  /** Grows the memory to at least `size` bytes (a long line, a long path). */
  #grow(size: number): void {
    this.#memory.grow(Math.ceil((size - this.#bytes.length) / PAGE));
    // Growing detaches the old ArrayBuffer: only this class holds views of it.
    this.#bytes = Buffer.from(this.#memory.buffer);
  }
}

/** The module's escape tables: JSON.stringify's escapes of single bytes (ECMA-262 QuoteJSONString). */
function writeTables(bytes: Buffer): void {
  for (let b = 0; b < 0x20; b++) bytes[CLASS + b] = 5;
  const short: Record<number, string> = { 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0c: 'f', 0x0d: 'r', 0x22: '"', 0x5c: '\\' };
  for (const [b, letter] of Object.entries(short)) {
    bytes[CLASS + Number(b)] = 1;
    bytes[SHORT + Number(b)] = letter.charCodeAt(0);
  }
  bytes.write('0123456789abcdef', HEX, 'latin1');
}
