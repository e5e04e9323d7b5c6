// The nginx parser: access lines in the usual formats and error lines, as fields and a time.
import t from 'tap';
import { NGINX_BAD_TIME, NGINX_FIELD_NAMES, NGINX_NO_MATCH, NginxParser } from '../../src/record/nginx-parser.js';

const T0 = Date.UTC(2026, 10, 25, 21, 0, 0); // 25/Nov/2026:21:00:00 +0000

interface Row {
  name: string;
  line: string;
  fields?: Record<string, unknown>;
  timeMs?: number;
  error?: string;
}

// Lines shaped as nginx writes them (escape=default: `"`, `\`, controls and bytes ≥ 0x80
// come out as \xHH).
const rows: Row[] = [
  {
    name: 'combined, dashes for user and referer',
    line: '127.0.0.1 - - [25/Nov/2026:21:00:00 +0000] "GET /index.html HTTP/1.1" 200 615 "-" "curl/8.5.0"',
    fields: {
      remote_addr: '127.0.0.1',
      method: 'GET',
      path: '/index.html',
      protocol: 'HTTP/1.1',
      status: 200,
      body_bytes_sent: 615,
      user_agent: 'curl/8.5.0',
    },
    timeMs: T0,
  },
  {
    name: 'main: x_forwarded_for after the user agent',
    line: '10.1.2.3 - - [25/Nov/2026:21:00:00 +0000] "GET / HTTP/1.1" 304 0 "https://example.com/a" "Mozilla/5.0 (X11; Linux x86_64)" "203.0.113.7, 10.0.0.1"',
    fields: {
      remote_addr: '10.1.2.3',
      method: 'GET',
      path: '/',
      protocol: 'HTTP/1.1',
      status: 304,
      body_bytes_sent: 0,
      referer: 'https://example.com/a',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
      x_forwarded_for: '203.0.113.7, 10.0.0.1',
    },
    timeMs: T0,
  },
  {
    name: 'main with "-" as x_forwarded_for',
    line: '10.1.2.3 - - [25/Nov/2026:21:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "-" "-"',
    fields: { remote_addr: '10.1.2.3', method: 'GET', path: '/', protocol: 'HTTP/1.1', status: 200, body_bytes_sent: 5 },
    timeMs: T0,
  },
  {
    name: 'IPv6 client, basic-auth user, zone offset',
    line: '2001:db8:85a3::8a2e:370:7334 - alice [25/Nov/2026:22:30:00 +0130] "POST /api/items HTTP/2.0" 201 17 "-" "okhttp/4.12.0"',
    fields: {
      remote_addr: '2001:db8:85a3::8a2e:370:7334',
      remote_user: 'alice',
      method: 'POST',
      path: '/api/items',
      protocol: 'HTTP/2.0',
      status: 201,
      body_bytes_sent: 17,
      user_agent: 'okhttp/4.12.0',
    },
    timeMs: T0,
  },
  {
    name: 'negative zone offset',
    line: '::1 - - [25/Nov/2026:16:00:00 -0500] "GET / HTTP/1.1" 200 1 "-" "x"',
    fields: { remote_addr: '::1', method: 'GET', path: '/', protocol: 'HTTP/1.1', status: 200, body_bytes_sent: 1, user_agent: 'x' },
    timeMs: T0,
  },
  {
    name: 'escaped quotes (\\x22) and UTF-8 bytes in the user agent and path',
    line: '192.0.2.1 - - [25/Nov/2026:21:00:00 +0000] "GET /search?q=\\x22a b\\x22 HTTP/1.1" 200 9 "-" "Agent \\x22quoted\\x22 \\xE2\\x80\\x94 caf\\xC3\\xA9 \\x5Cslash"',
    fields: {
      remote_addr: '192.0.2.1',
      method: 'GET',
      path: '/search?q="a b"',
      protocol: 'HTTP/1.1',
      status: 200,
      body_bytes_sent: 9,
      user_agent: 'Agent "quoted" — café \\slash',
    },
    timeMs: T0,
  },
  {
    name: 'request line with spaces in the target',
    line: '192.0.2.1 - - [25/Nov/2026:21:00:00 +0000] "GET /a b c HTTP/1.1" 400 150 "-" "-"',
    fields: { remote_addr: '192.0.2.1', method: 'GET', path: '/a b c', protocol: 'HTTP/1.1', status: 400, body_bytes_sent: 150 },
    timeMs: T0,
  },
  {
    name: 'TLS handshake sent to a plain-HTTP port: request kept whole, escaped',
    line: '198.51.100.9 - - [25/Nov/2026:21:00:00 +0000] "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03" 400 157 "-" "-"',
    fields: {
      remote_addr: '198.51.100.9',
      request: '\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03',
      status: 400,
      body_bytes_sent: 157,
    },
    timeMs: T0,
  },
  {
    name: 'empty request line (connection closed before a request)',
    line: '198.51.100.9 - - [25/Nov/2026:21:00:00 +0000] "" 400 0 "-" "-"',
    fields: { remote_addr: '198.51.100.9', status: 400, body_bytes_sent: 0 },
    timeMs: T0,
  },
  {
    name: 'garbage request line (not a method)',
    line: '198.51.100.9 - - [25/Nov/2026:21:00:00 +0000] "hello there" 400 0 "-" "-"',
    fields: { remote_addr: '198.51.100.9', request: 'hello there', status: 400, body_bytes_sent: 0 },
    timeMs: T0,
  },
  {
    name: 'HTTP/0.9 request: method and path only',
    line: '192.0.2.1 - - [25/Nov/2026:21:00:00 +0000] "GET /" 200 10 "-" "-"',
    fields: { remote_addr: '192.0.2.1', method: 'GET', path: '/', status: 200, body_bytes_sent: 10 },
    timeMs: T0,
  },
  {
    name: 'large byte count stays a number',
    line: '192.0.2.1 - - [25/Nov/2026:21:00:00 +0000] "GET /big.iso HTTP/1.1" 200 1099511627776 "-" "wget"',
    fields: {
      remote_addr: '192.0.2.1',
      method: 'GET',
      path: '/big.iso',
      protocol: 'HTTP/1.1',
      status: 200,
      body_bytes_sent: 1099511627776,
      user_agent: 'wget',
    },
    timeMs: T0,
  },
  {
    name: 'common format (no referer, no agent)',
    line: '192.0.2.1 - - [25/Nov/2026:21:00:00 +0000] "GET / HTTP/1.0" 200 2326',
    fields: { remote_addr: '192.0.2.1', method: 'GET', path: '/', protocol: 'HTTP/1.0', status: 200, body_bytes_sent: 2326 },
    timeMs: T0,
  },
  {
    name: 'key=value timings, several upstreams summed',
    line: '192.0.2.1 - - [25/Nov/2026:21:00:00 +0000] "GET /api HTTP/1.1" 502 0 "-" "-" rt=0.250 uct="0.001" uht="-" urt="0.100, 0.150"',
    fields: {
      remote_addr: '192.0.2.1',
      method: 'GET',
      path: '/api',
      protocol: 'HTTP/1.1',
      status: 502,
      body_bytes_sent: 0,
      request_time: 0.25,
      upstream_connect_time: 0.001,
      upstream_response_time: 0.25,
    },
    timeMs: T0,
  },
  {
    name: 'bare timings after main ($request_time $upstream_response_time)',
    line: '192.0.2.1 - - [25/Nov/2026:21:00:00 +0000] "GET / HTTP/1.1" 200 3 "-" "-" "-" 0.004 -',
    fields: {
      remote_addr: '192.0.2.1',
      method: 'GET',
      path: '/',
      protocol: 'HTTP/1.1',
      status: 200,
      body_bytes_sent: 3,
      request_time: 0.004,
    },
    timeMs: T0,
  },
  {
    name: 'error.log: open() failed with full request context',
    line: '2026/11/25 21:00:00 [error] 123#0: *1 open() "/usr/share/nginx/html/missing" failed (2: No such file or directory), client: 127.0.0.1, server: localhost, request: "GET /missing HTTP/1.1", host: "127.0.0.1:8080", referrer: "http://127.0.0.1:8080/"',
    fields: {
      level: 'error',
      pid: 123,
      tid: 0,
      connection: 1,
      error: 'open() "/usr/share/nginx/html/missing" failed (2: No such file or directory)',
      remote_addr: '127.0.0.1',
      server: 'localhost',
      method: 'GET',
      path: '/missing',
      protocol: 'HTTP/1.1',
      http_host: '127.0.0.1:8080',
      referer: 'http://127.0.0.1:8080/',
    },
    timeMs: new Date(2026, 10, 25, 21, 0, 0).getTime(),
  },
  {
    name: 'error.log: upstream timeout with upstream and IPv6 client',
    line: '2026/11/25 21:00:00 [error] 31#31: *6789 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 2001:db8::2, server: api.example.com, request: "POST /v1/x HTTP/1.1", upstream: "http://10.0.0.5:8080/v1/x", host: "api.example.com"',
    fields: {
      level: 'error',
      pid: 31,
      tid: 31,
      connection: 6789,
      error: 'upstream timed out (110: Connection timed out) while reading response header from upstream',
      remote_addr: '2001:db8::2',
      server: 'api.example.com',
      method: 'POST',
      path: '/v1/x',
      protocol: 'HTTP/1.1',
      upstream: 'http://10.0.0.5:8080/v1/x',
      http_host: 'api.example.com',
    },
    timeMs: new Date(2026, 10, 25, 21, 0, 0).getTime(),
  },
  {
    name: 'error.log: process notice without connection',
    line: '2026/11/25 21:00:00 [notice] 1#1: start worker process 29',
    fields: { level: 'notice', pid: 1, tid: 1, error: 'start worker process 29' },
    timeMs: new Date(2026, 10, 25, 21, 0, 0).getTime(),
  },
  { name: 'not nginx at all', line: 'Exception in thread "main" java.lang.IllegalStateException', error: NGINX_NO_MATCH },
  { name: 'empty line', line: '', error: NGINX_NO_MATCH },
  {
    name: 'bad month',
    line: '127.0.0.1 - - [25/Foo/2026:21:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',
    error: NGINX_BAD_TIME,
  },
  {
    name: 'status not a number',
    line: '127.0.0.1 - - [25/Nov/2026:21:00:00 +0000] "GET / HTTP/1.1" abc 1 "-" "-"',
    error: NGINX_NO_MATCH,
  },
  {
    name: 'cut short inside the user agent (truncated line)',
    line: '127.0.0.1 - - [25/Nov/2026:21:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0 (X11',
    error: NGINX_NO_MATCH,
  },
];

t.test('nginx lines', async (t) => {
  const parser = new NginxParser();
  for (const row of rows) {
    const got = parser.parse(row.line);
    if (row.error !== undefined) {
      t.equal(got, row.error, row.name);
      continue;
    }
    if (typeof got === 'string') {
      t.fail(`${row.name}: ${got}`);
      continue;
    }
    t.strictSame(got.fields, row.fields, `${row.name}: fields`);
    t.equal(got.timeMs, row.timeMs, `${row.name}: time`);
    const undeclared = Object.keys(got.fields).filter((k) => !NGINX_FIELD_NAMES.includes(k));
    t.strictSame(undeclared, [], `${row.name}: every field name is in NGINX_FIELD_NAMES`);
  }
});

t.test('the time cache follows the line, not the previous one', async (t) => {
  const parser = new NginxParser();
  const at = (time: string) =>
    parser.parse(`1.2.3.4 - - [${time}] "GET / HTTP/1.1" 200 1 "-" "-"`) as { timeMs: number };
  t.equal(at('25/Nov/2026:21:00:00 +0000').timeMs, T0);
  t.equal(at('25/Nov/2026:21:00:00 +0000').timeMs, T0, 'cached');
  t.equal(at('25/Nov/2026:21:00:01 +0000').timeMs, T0 + 1000, 'next second');
  t.equal(at('25/Nov/2026:21:00:01 +0100').timeMs, T0 + 1000 - 3_600_000, 'same clock, other zone');
});
