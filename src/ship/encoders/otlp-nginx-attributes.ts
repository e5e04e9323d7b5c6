// The nginx parser's fields as OpenTelemetry attributes, named by the semantic
// conventions' attribute registry (https://opentelemetry.io/docs/specs/semconv/registry/
// attributes/: http, url, client, server, network, user_agent, user, process, thread).
// Other protocols ship the parser's own names; an OTLP backend looks for these.
import { anyValueJson } from './otlp-value.js';

/** Fields that become one attribute of another name, the value unchanged. */
const RENAMED: Readonly<Record<string, string>> = {
  remote_addr: 'client.address',
  remote_user: 'user.name',
  status: 'http.response.status_code',
  body_bytes_sent: 'http.response.body.size',
  user_agent: 'user_agent.original',
  server: 'server.address',
  pid: 'process.pid',
  tid: 'thread.id',
};

/** Request headers nginx logged: `http.request.header.<name>`, a string array (one value). */
const HEADERS: Readonly<Record<string, string>> = {
  referer: 'referer',
  x_forwarded_for: 'x-forwarded-for',
  http_host: 'host',
};

/** The methods `http.request.method` may name; others are `_OTHER` with the original kept. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'QUERY', 'TRACE']);

const PROTOCOL = /^([A-Za-z]+)\/(\d+(?:\.\d+)*)$/;

// Bounded: the names are the nginx parser's (and their `parsed_` forms), a fixed set.
const prefixes = new Map<string, string>();
/** `,{"key":<name>,"value":`, made once per name. */
function open(name: string): string {
  let p = prefixes.get(name);
  if (p === undefined) {
    p = `,{"key":${JSON.stringify(name)},"value":`;
    prefixes.set(name, p);
  }
  return p;
}

function stringAttribute(name: string, value: string): string {
  return `${open(name)}{"stringValue":${JSON.stringify(value)}}}`;
}

/**
 * One field of the nginx parser as `,{"key":…,"value":…}` attribute text (several for
 * `path` and `protocol`, none for `level`, which is the record's severity):
 *
 * - remote_addr → client.address, remote_user → user.name, status →
 *   http.response.status_code, body_bytes_sent → http.response.body.size, user_agent →
 *   user_agent.original, server → server.address, pid → process.pid, tid → thread.id;
 * - method → http.request.method, or `_OTHER` and http.request.method_original for a
 *   method the conventions do not list;
 * - path → url.path and url.query (the text after `?`, when there is one);
 * - protocol `HTTP/1.1` → network.protocol.name `http`, network.protocol.version `1.1`
 *   (`HTTP/2.0` → `2`);
 * - referer, x_forwarded_for, http_host → http.request.header.referer /
 *   .x-forwarded-for / .host, string arrays as the conventions define headers;
 * - any other field (request, request_time, upstream_*, connection, error, upstream,
 *   subrequest, parse_error…) keeps its name.
 */
export function nginxAttributeJson(key: string, value: unknown): string {
  const renamed = RENAMED[key];
  if (renamed !== undefined) {
    const v = anyValueJson(value);
    return v === undefined ? '' : `${open(renamed)}${v}}`;
  }
  if (typeof value === 'string') {
    const header = HEADERS[key];
    if (header !== undefined) {
      return `${open(`http.request.header.${header}`)}{"arrayValue":{"values":[{"stringValue":${JSON.stringify(value)}}]}}}`;
    }
    switch (key) {
      case 'level':
        return '';
      case 'method':
        return KNOWN_METHODS.has(value)
          ? stringAttribute('http.request.method', value)
          : stringAttribute('http.request.method', '_OTHER') + stringAttribute('http.request.method_original', value);
      case 'path': {
        const q = value.indexOf('?');
        if (q < 0) return stringAttribute('url.path', value);
        const query = value.slice(q + 1);
        return stringAttribute('url.path', value.slice(0, q)) + (query ? stringAttribute('url.query', query) : '');
      }
      case 'protocol': {
        const m = PROTOCOL.exec(value);
        if (m === null) break;
        const version = m[2]!.endsWith('.0') && m[2] !== '1.0' ? m[2]!.slice(0, -2) : m[2]!;
        return stringAttribute('network.protocol.name', m[1]!.toLowerCase()) + stringAttribute('network.protocol.version', version);
      }
    }
  }
  const v = anyValueJson(value);
  return v === undefined ? '' : `${open(key)}${v}}`;
}
