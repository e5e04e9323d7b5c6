/** One label of a host name: letters, digits, `-` inside, and `_` (Docker Compose and some cluster DNS use it). */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Whether a URL's `hostname` (as the WHATWG parser leaves it: lower-case, IPv4 in
 * canonical form, IPv6 in brackets, other scripts in punycode) is an IP address or a
 * name a resolver can look up: labels of at most 63 characters, 253 in all (RFC 1035,
 * relaxed to allow `_`). The parser itself accepts hosts such as `$(collector_host)` or
 * `a*b`, which can never resolve; refusing them at start-up turns a minute of failed
 * sends into one line naming the variable. Pure.
 */
export function isHostName(hostname: string): boolean {
  if (hostname.startsWith('[')) return true;
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => LABEL.test(label));
}
