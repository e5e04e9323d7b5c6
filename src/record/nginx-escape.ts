import { isUtf8 } from 'node:buffer';

/**
 * Undoes nginx's default log escaping. With `escape=default` (the default) nginx writes
 * `"`, `\`, bytes below 0x20, 0x7F and every byte from 0x80 up as `\xHH` (upper-case
 * hex) in variables, so a quoted field never holds a raw `"`, and a UTF-8 user agent
 * arrives as `\xE2\x80\x94`. The bytes are put back and decoded as UTF-8 — or, when
 * they are not valid UTF-8, as Latin-1, the charset HTTP headers historically carry
 * (a client sending `café` in ISO-8859-1 logs `caf\xE9`), so no character is lost to
 * U+FFFD. Returns `text` itself when it holds no escape.
 */
export function unescapeNginx(text: string): string {
  if (text.indexOf('\\x') < 0) return text;
  const src = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 92 && src[i + 1] === 120 && i + 3 < src.length) {
      const hi = hexValue(src[i + 2]!);
      const lo = hexValue(src[i + 3]!);
      if (hi >= 0 && lo >= 0) {
        out[o++] = hi * 16 + lo;
        i += 3;
        continue;
      }
    }
    out[o++] = c;
  }
  const bytes = out.subarray(0, o);
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
