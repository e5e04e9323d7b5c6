// Joining encoded records into a request body as bytes. A record is kept as a Buffer from
// the moment it is batched (exact size, no rope keeping its pieces alive; see ndjson.ts);
// a body is one Buffer.concat.

const COMMA = Buffer.from(',');

/** `head` + fragments separated by commas + `tail`, as one Buffer. */
export function joinWithCommas(head: Buffer, fragments: readonly Buffer[], tail: Buffer): Buffer {
  const parts: Buffer[] = new Array<Buffer>(fragments.length * 2 + 1);
  let n = 0;
  let length = head.length + tail.length;
  parts[n++] = head;
  for (let i = 0; i < fragments.length; i++) {
    if (i > 0) parts[n++] = COMMA;
    parts[n++] = fragments[i]!;
    length += fragments[i]!.length + (i > 0 ? 1 : 0);
  }
  parts[n++] = tail;
  parts.length = n;
  return Buffer.concat(parts, length);
}
