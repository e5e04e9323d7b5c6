// The collector side of the configuration: protocol, compression, headers, auth, TLS.
// Checked here (pure) so a mistake is one clear line at start-up, not a 400 at runtime.
// The protocols' own rules (Loki label names, index patterns, field references) live
// with each protocol in ship/; config asks them through these pure checks, and ship/
// never imports config/.
import type { AuthOptions } from '../ship/auth.js';
import { DEFAULT_ES_INDEX } from '../ship/encoders/elasticsearch.js';
import { indexPatternProblem } from '../ship/encoders/es-index.js';
import { fieldRefProblem } from '../ship/encoders/field-ref.js';
import { isValidLokiLabelName } from '../ship/encoders/loki.js';
import type { SinkKind } from '../ship/protocol.js';
import type { CollectorTlsOptions } from '../ship/tls-options.js';
import type { SinkConfig } from './config.js';
import type { Env } from './env-spec.js';

export interface CollectorSections {
  readonly sink: SinkConfig;
  readonly auth: AuthOptions;
  readonly tls: CollectorTlsOptions;
}

/** A configuration problem: the variable to name and what is wrong. */
export interface CollectorConfigProblem {
  readonly variable: string;
  readonly message: string;
}

/** HTTP token characters (RFC 9110). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/**
 * Set by tailship itself, per request: a user value would break framing or encoding.
 * Content-Type may be replaced: Fluent Bit's http input takes NDJSON only as
 * application/json, Fluentd's in_http only as application/x-ndjson.
 */
const RESERVED_HEADERS = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'host', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer']);
/** `/<index>/_bulk`: the URL names the index. */
const INDEX_IN_PATH = /^\/[^/_][^/]*\/_bulk\/?$/;

/** The sink, auth and TLS sections, or the first problem found, naming its variable. */
export function collectorSections(e: Env, url: URL): CollectorSections | CollectorConfigProblem {
  const kind: SinkKind = e.TAILSHIP_SINK === 'opensearch' ? 'elasticsearch' : e.TAILSHIP_SINK;

  const headers: Array<{ name: string; secretValue: string }> = [];
  for (const [name, value] of e.TAILSHIP_HEADERS ?? []) {
    if (!HEADER_NAME.test(name)) return problem('TAILSHIP_HEADERS', `"${name}" is not a valid header name`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      return problem('TAILSHIP_HEADERS', `${name} is set by tailship itself and cannot be overridden`);
    }
    if (/[\r\n\0]/.test(value)) return problem('TAILSHIP_HEADERS', `the value of ${name} contains a line break`);
    headers.push({ name, secretValue: value });
  }

  const labels = e.TAILSHIP_LOKI_LABELS;
  const seen = new Set<string>();
  for (const [name, template] of labels) {
    if (!isValidLokiLabelName(name)) {
      return problem('TAILSHIP_LOKI_LABELS', `"${name}" is not a valid Loki label name (letters, digits and _, not starting with a digit or __)`);
    }
    if (seen.has(name)) return problem('TAILSHIP_LOKI_LABELS', `label ${name} is given twice`);
    seen.add(name);
    const bad = fieldRefProblem(template);
    if (bad) return problem('TAILSHIP_LOKI_LABELS', bad);
    if (template === '$id' || template === '$offset') {
      return problem('TAILSHIP_LOKI_LABELS', `label ${name}=${template} would make one stream per line; put it in TAILSHIP_LOKI_STRUCTURED_METADATA`);
    }
  }
  for (const [name, template] of e.TAILSHIP_LOKI_STRUCTURED_METADATA ?? []) {
    if (!isValidLokiLabelName(name)) return problem('TAILSHIP_LOKI_STRUCTURED_METADATA', `"${name}" is not a valid name`);
    const bad = fieldRefProblem(template);
    if (bad) return problem('TAILSHIP_LOKI_STRUCTURED_METADATA', bad);
  }

  let index: string | undefined = e.TAILSHIP_ES_INDEX;
  if (index !== undefined) {
    const bad = indexPatternProblem(index);
    if (bad) return problem('TAILSHIP_ES_INDEX', bad);
  } else if (!INDEX_IN_PATH.test(url.pathname)) {
    index = DEFAULT_ES_INDEX;
  }

  const auth: AuthOptions = {
    bearerToken: e.TAILSHIP_AUTH_BEARER_TOKEN,
    bearerTokenFile: e.TAILSHIP_AUTH_BEARER_TOKEN_FILE,
    basicUser: e.TAILSHIP_AUTH_BASIC_USER,
    basicPassword: e.TAILSHIP_AUTH_BASIC_PASSWORD,
    basicPasswordFile: e.TAILSHIP_AUTH_BASIC_PASSWORD_FILE,
  };
  if (auth.bearerToken !== undefined && auth.bearerTokenFile !== undefined) {
    return problem('TAILSHIP_AUTH_BEARER_TOKEN_FILE', 'set either TAILSHIP_AUTH_BEARER_TOKEN or TAILSHIP_AUTH_BEARER_TOKEN_FILE, not both');
  }
  if (auth.basicPassword !== undefined && auth.basicPasswordFile !== undefined) {
    return problem('TAILSHIP_AUTH_BASIC_PASSWORD_FILE', 'set either TAILSHIP_AUTH_BASIC_PASSWORD or TAILSHIP_AUTH_BASIC_PASSWORD_FILE, not both');
  }
  const basicPassword = auth.basicPassword !== undefined || auth.basicPasswordFile !== undefined;
  if (auth.basicUser === undefined && basicPassword) {
    return problem('TAILSHIP_AUTH_BASIC_USER', 'is required with TAILSHIP_AUTH_BASIC_PASSWORD(_FILE)');
  }
  if (auth.basicUser !== undefined && !basicPassword) {
    return problem('TAILSHIP_AUTH_BASIC_PASSWORD', 'is required with TAILSHIP_AUTH_BASIC_USER (or set TAILSHIP_AUTH_BASIC_PASSWORD_FILE)');
  }
  const bearer = auth.bearerToken !== undefined || auth.bearerTokenFile !== undefined;
  if (bearer && auth.basicUser !== undefined) {
    return problem('TAILSHIP_AUTH_BASIC_USER', 'set either a bearer token or basic auth, not both');
  }
  if ((bearer || auth.basicUser !== undefined) && headers.some((h) => h.name.toLowerCase() === 'authorization')) {
    return problem('TAILSHIP_HEADERS', 'Authorization is already set by TAILSHIP_AUTH_*');
  }

  const tls: CollectorTlsOptions = {
    caFile: e.TAILSHIP_TLS_CA_FILE,
    certFile: e.TAILSHIP_TLS_CERT_FILE,
    keyFile: e.TAILSHIP_TLS_KEY_FILE,
    serverName: e.TAILSHIP_TLS_SERVER_NAME,
    insecureSkipVerify: e.TAILSHIP_TLS_INSECURE_SKIP_VERIFY,
  };
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    return problem(tls.certFile === undefined ? 'TAILSHIP_TLS_CERT_FILE' : 'TAILSHIP_TLS_KEY_FILE', 'a client certificate needs both TAILSHIP_TLS_CERT_FILE and TAILSHIP_TLS_KEY_FILE');
  }
  const tlsSet = tls.caFile ?? tls.certFile ?? tls.serverName ?? (tls.insecureSkipVerify ? 'yes' : undefined);
  if (tlsSet !== undefined && url.protocol !== 'https:') {
    return problem('TAILSHIP_COLLECTOR_URL', 'TAILSHIP_TLS_* settings are given but the URL is not https://');
  }

  return {
    sink: {
      kind,
      compression: e.TAILSHIP_COMPRESSION,
      compressionLevel: e.TAILSHIP_COMPRESSION_LEVEL,
      headers,
      tenantId: e.TAILSHIP_TENANT_ID,
      loki: { labels, structuredMetadata: e.TAILSHIP_LOKI_STRUCTURED_METADATA ?? [], line: e.TAILSHIP_LOKI_LINE },
      elasticsearch: { index },
      splunk: { sourcetype: e.TAILSHIP_SPLUNK_SOURCETYPE, index: e.TAILSHIP_SPLUNK_INDEX },
    },
    auth,
    tls,
  };
}

function problem(variable: string, message: string): CollectorConfigProblem {
  return { variable, message };
}
