// The standard record of a plain line (no parser, no multiline: the default) written as
// bytes straight from the tail's read buffer into the batch's body. The string way
// decodes the line, escapes it with JSON.stringify, concatenates a dozen pieces, measures
// and flattens the rope and encodes it back to UTF-8: four copies and about 1 KiB of
// garbage per nginx line, which were half of tailship's CPU per GB (bench/PROFILE.md).
// Here the line's bytes are copied once, escaped on the way where needed, and the rest of
// the record is bytes made once per file or per millisecond.
//
// The output is byte for byte what the encoder's `text` gives (test/ship/encoders/
// line-record-bytes.test.ts checks it on arbitrary bytes): JSON.stringify's escapes (ECMA-262
// QuoteJSONString: `\"`, `\\`, `\b \t \n \f \r`, other controls as `\u00xx`, nothing
// else), and a line that is not valid UTF-8 is left to the string way, where it is
// decoded with U+FFFD as before.
import { isUtf8 } from 'node:buffer';
import type { LineEncoding } from '../../batch/batch.js';
import type { PlainLine, RecordContext } from '../../record/log-record.js';
import { RecordJson } from './record-json.js';
import { epochSecondsText } from './time-text.js';

// Bytes that JSON.stringify escapes (controls, `"` and `\`): the bytes the escape adds.
const ESCAPE_ADDS = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) ESCAPE_ADDS[b] = 5;
for (const b of [0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x22, 0x5c]) ESCAPE_ADDS[b] = 1;
const SHORT_ESCAPE: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72, 0x22: 0x22, 0x5c: 0x5c };
const HEX = Buffer.from('0123456789abcdef');
const ACTION_END = Buffer.from('"}}\n');

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
  /** `{"@timestamp":"` */
  readonly #open: Buffer;
  /** `,"time":` when records carry epoch seconds too. */
  readonly #epochKey: string;
  readonly #end: Buffer;
  readonly #endTruncated: Buffer;
  // Caches: a chunk's lines share a read time and, in runs, a file.
  #ms = NaN;
  /** `<iso>"[,"time":<epoch>],"message":"` for #ms. */
  #time = Buffer.alloc(0);
  #path: string | undefined;
  /** `","file":<path>,"offset":` */
  #file = Buffer.alloc(0);
  #key: string | undefined;
  /** `,"id":"<key>-` */
  #id = Buffer.alloc(0);
  readonly #action: BulkAction | undefined;
  /** The action's head for #ms, then `<key>-` (empty without an action). */
  #actionHead = Buffer.alloc(0);
  #actionKey = Buffer.alloc(0);

  constructor(ctx: RecordContext, suffix: string, action?: BulkAction) {
    this.#json = new RecordJson(ctx);
    this.#action = action;
    const sample = this.#json.parts();
    this.#open = Buffer.from(`{${sample.timestampField}:"`);
    this.#epochKey = sample.epochTimeKey;
    this.#end = Buffer.from(`",${sample.tail}}${suffix}`);
    this.#endTruncated = Buffer.from(`",${sample.tail},"truncated":true}${suffix}`);
  }

  most(p: PlainLine): number {
    this.#prepare(p);
    const end = p.truncated ? this.#endTruncated : this.#end;
    // Every byte escaped as \u00xx at worst; offsets below 2^53 have at most 16 digits.
    const action = this.#action ? this.#actionHead.length + this.#actionKey.length + 14 + ACTION_END.length : 0;
    return action + this.#open.length + this.#time.length + 6 * p.line.length + this.#file.length + 16 + this.#id.length + 14 + end.length;
  }

  /**
   * One pass over the line, copying and escaping at once (an nginx line has quotes, so
   * it always needs escaping). Call after `most` for the same line.
   */
  render(p: PlainLine, s: Buffer, pos: number): number {
    const line = p.line;
    if (this.#action) {
      pos = put(s, pos, this.#actionHead);
      pos = put(s, pos, this.#actionKey);
      pos = writeHex(s, pos, p.offset);
      pos = put(s, pos, ACTION_END);
    }
    pos = put(s, pos, this.#open);
    pos = put(s, pos, this.#time);
    let high = 0;
    for (let i = 0; i < line.length; i++) {
      const b = line[i]!;
      high |= b;
      const adds = ESCAPE_ADDS[b];
      if (adds === 0) {
        s[pos++] = b;
      } else if (adds === 1) {
        s[pos++] = 0x5c;
        s[pos++] = SHORT_ESCAPE[b]!;
      } else {
        s[pos++] = 0x5c;
        s[pos++] = 0x75; // u
        s[pos++] = 0x30;
        s[pos++] = 0x30;
        s[pos++] = HEX[b >> 4]!;
        s[pos++] = HEX[b & 15]!;
      }
    }
    // Only a line with bytes above ASCII can be invalid UTF-8.
    if (high >= 0x80 && !isUtf8(line)) return -1;
    pos = put(s, pos, this.#file);
    pos = writeDecimal(s, pos, p.offset);
    pos = put(s, pos, this.#id);
    pos = writeHex(s, pos, p.offset);
    return put(s, pos, p.truncated ? this.#endTruncated : this.#end);
  }

  #prepare(p: PlainLine): void {
    if (p.timeMs !== this.#ms) {
      this.#ms = p.timeMs;
      const epoch = this.#epochKey ? `${this.#epochKey}${epochSecondsText(p.timeMs)}` : '';
      this.#time = Buffer.from(`${this.#json.iso(p.timeMs)}"${epoch},"message":"`);
      if (this.#action) this.#actionHead = Buffer.from(this.#action.head(p.timeMs));
    }
    if (p.file !== this.#path) {
      this.#path = p.file;
      this.#file = Buffer.from(`","file":${this.#json.fileJson(p.file)},"offset":`);
    }
    if (p.key !== this.#key) {
      this.#key = p.key;
      this.#id = Buffer.from(`,"id":"${p.key}-`);
      this.#actionKey = Buffer.from(`${p.key}-`);
    }
  }
}

/** Copies `src` into `target` at `pos` (TypedArray#set: a V8 builtin, no JS wrapper like Buffer#copy's). */
function put(target: Buffer, pos: number, src: Buffer): number {
  target.set(src, pos);
  return pos + src.length;
}

function decimalDigits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

function hexDigits(n: number): number {
  let d = 1;
  while (n >= 16) {
    n = Math.floor(n / 16);
    d++;
  }
  return d;
}

function writeDecimal(target: Buffer, pos: number, n: number): number {
  const end = pos + decimalDigits(n);
  for (let i = end - 1; i >= pos; i--) {
    target[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return end;
}

function writeHex(target: Buffer, pos: number, n: number): number {
  const end = pos + hexDigits(n);
  for (let i = end - 1; i >= pos; i--) {
    target[i] = HEX[n % 16]!;
    n = Math.floor(n / 16);
  }
  return end;
}
