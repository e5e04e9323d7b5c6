// How a batch's records are laid out as a request body. Most protocols' bodies are the
// records joined: `head`, the records separated by `separator`, `tail`. An encoder that
// says so (its `frame`) lets the batch write its records into the body directly, as bytes
// from the moment they are batched (exact size, no string rope keeping its pieces alive;
// see ship/encoders/ndjson.ts).

/** body = head + fragments joined by separator + tail. */
export interface ByteFrame {
  readonly head: Buffer;
  readonly separator: Buffer;
  readonly tail: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** Records simply concatenated (each carries its own newline, or none is needed). */
export const CONCATENATED: ByteFrame = { head: EMPTY, separator: EMPTY, tail: EMPTY };

/** A JSON array of objects: `[a,b,c]`. */
export const JSON_ARRAY: ByteFrame = { head: Buffer.from('['), separator: Buffer.from(','), tail: Buffer.from(']') };

/** The body of `fragments` in `frame`, as one Buffer. */
export function frameBody(frame: ByteFrame, fragments: readonly Buffer[]): Buffer {
  const { head, separator, tail } = frame;
  if (separator.length === 0 && head.length === 0 && tail.length === 0) return Buffer.concat(fragments);
  const parts: Buffer[] = new Array<Buffer>(fragments.length * 2 + 1);
  let n = 0;
  let length = head.length + tail.length;
  parts[n++] = head;
  for (let i = 0; i < fragments.length; i++) {
    if (i > 0) parts[n++] = separator;
    parts[n++] = fragments[i]!;
    length += fragments[i]!.length + (i > 0 ? separator.length : 0);
  }
  parts[n++] = tail;
  parts.length = n;
  return Buffer.concat(parts, length);
}
