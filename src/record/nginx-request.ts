import { unescapeNginx } from './nginx-escape.js';

/**
 * A request line into method, path and protocol; a line that is not one (no method
 * token, a protocol that is not HTTP/x) is kept whole as `request`.
 */
export function splitRequest(r: string, fields: Record<string, unknown>, escaped: boolean): void {
  if (r.length === 0 || r === '-') return;
  const sp1 = r.indexOf(' ');
  const sp2 = r.lastIndexOf(' ');
  if (sp1 > 0 && isMethod(r, sp1)) {
    if (sp1 === sp2) {
      // HTTP/0.9: method and path only.
      if (sp1 + 1 < r.length) {
        fields['method'] = method(r, sp1);
        fields['path'] = escaped ? unescapeNginx(r.slice(sp1 + 1)) : r.slice(sp1 + 1);
        return;
      }
    } else {
      const protocol = sp2 > sp1 + 1 ? httpProtocol(r, sp2 + 1) : undefined;
      if (protocol !== undefined) {
        fields['method'] = method(r, sp1);
        const path = r.slice(sp1 + 1, sp2);
        fields['path'] = escaped ? unescapeNginx(path) : path;
        fields['protocol'] = protocol;
        return;
      }
    }
  }
  fields['request'] = r;
}

/** The common methods as constants: no new string per line. */
function method(r: string, end: number): string {
  if (end === 3 && r.startsWith('GET')) return 'GET';
  if (end === 4 && r.startsWith('POST')) return 'POST';
  if (end === 4 && r.startsWith('HEAD')) return 'HEAD';
  return r.slice(0, end);
}

/** `HTTP/d` or `HTTP/d.d` from `i` to the end of `r`, else undefined. */
function httpProtocol(r: string, i: number): string | undefined {
  const n = r.length - i;
  if ((n !== 6 && n !== 8) || !r.startsWith('HTTP/', i) || !isDigit(r.charCodeAt(i + 5))) return undefined;
  if (n === 6) return r.slice(i);
  if (r.charCodeAt(i + 6) !== 46 /* . */ || !isDigit(r.charCodeAt(i + 7))) return undefined;
  if (r.endsWith('HTTP/1.1')) return 'HTTP/1.1';
  if (r.endsWith('HTTP/2.0')) return 'HTTP/2.0';
  return r.slice(i);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Upper-case letters, digits, `-` and `_` (M-SEARCH, PROPFIND), starting with a letter. */
function isMethod(r: string, end: number): boolean {
  if (end > 32) return false;
  const first = r.charCodeAt(0);
  if (first < 65 || first > 90) return false;
  for (let i = 1; i < end; i++) {
    const c = r.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95)) return false;
  }
  return true;
}
