// The collector side of the configuration: protocols and their options, headers, auth
// and TLS, checked at start-up with one-line errors, secrets never shown.
import t from 'tap';
import { ConfigError, describeConfig, loadConfig } from '../../src/config/load-config.js';

const base = { TAILSHIP_COLLECTOR_URL: 'http://collector:9000/' };

function problem(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return '';
}

t.test('defaults: ndjson, gzip at a fast level, default Loki labels, a data-stream index', async (t) => {
  const { config } = loadConfig(base);
  t.equal(config.sink.kind, 'ndjson');
  t.equal(config.sink.compression, 'gzip');
  t.equal(config.sink.compressionLevel, 1);
  t.same(config.sink.headers, []);
  t.same(config.sink.loki.labels.map(([k]) => k), ['job', 'namespace', 'pod', 'container', 'filename']);
  t.equal(config.sink.loki.line, 'message');
  t.equal(config.sink.elasticsearch.index, 'logs-tailship-default');
  t.same(config.auth, { bearerToken: undefined, bearerTokenFile: undefined, basicUser: undefined, basicPassword: undefined, basicPasswordFile: undefined });
  t.equal(config.tls.insecureSkipVerify, false);
});

t.test('sinks and their settings', async (t) => {
  t.equal(loadConfig({ ...base, TAILSHIP_SINK: 'OpenSearch' }).config.sink.kind, 'elasticsearch');
  t.equal(loadConfig({ ...base, TAILSHIP_SINK: 'splunk_hec' }).config.sink.kind, 'splunk_hec');
  const es = loadConfig({ TAILSHIP_COLLECTOR_URL: 'http://es:9200/web-logs/_bulk', TAILSHIP_SINK: 'elasticsearch' }).config;
  t.equal(es.sink.elasticsearch.index, undefined, 'the URL names the index');
  const loki = loadConfig({
    ...base,
    TAILSHIP_SINK: 'loki',
    TAILSHIP_LOKI_LABELS: 'app=web,status=$status',
    TAILSHIP_LOKI_STRUCTURED_METADATA: 'id=$id',
    TAILSHIP_LOKI_LINE: 'json',
    TAILSHIP_TENANT_ID: 'team-a',
  }).config;
  t.same(loki.sink.loki, { labels: [['app', 'web'], ['status', '$status']], structuredMetadata: [['id', '$id']], line: 'json' });
  t.equal(loki.sink.tenantId, 'team-a');
  t.equal(loadConfig({ ...base, TAILSHIP_COMPRESSION: 'none', TAILSHIP_COMPRESSION_LEVEL: '6' }).config.sink.compression, 'none');
});

t.test('mistakes are one line naming the variable', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ TAILSHIP_SINK: 'kafka' }, /^TAILSHIP_SINK="kafka" is invalid: expected one of ndjson, json, loki/],
    [{ TAILSHIP_COMPRESSION: 'zstd' }, /TAILSHIP_COMPRESSION="zstd" is invalid: expected one of gzip, none/],
    [{ TAILSHIP_COMPRESSION_LEVEL: '12' }, /TAILSHIP_COMPRESSION_LEVEL="12" is invalid: expected a whole number from 1 to 9/],
    [{ TAILSHIP_LOKI_LABELS: 'a-b=1' }, /^TAILSHIP_LOKI_LABELS is invalid: "a-b" is not a valid Loki label name/],
    [{ TAILSHIP_LOKI_LABELS: 'a=1,a=2' }, /label a is given twice/],
    [{ TAILSHIP_LOKI_LABELS: 'line=$id' }, /one stream per line/],
    [{ TAILSHIP_LOKI_LABELS: 'x=$1bad' }, /not a field reference/],
    [{ TAILSHIP_LOKI_LABELS: 'zone=$kubernetes.zone' }, /\$kubernetes\.zone is not known; use one of \$kubernetes\.pod/],
    [{ TAILSHIP_ES_INDEX: 'Logs-%Y' }, /^TAILSHIP_ES_INDEX is invalid: index names are lowercase/],
    [{ TAILSHIP_HEADERS: 'Content-Encoding=br' }, /TAILSHIP_HEADERS is invalid: Content-Encoding is set by tailship/],
    [{ TAILSHIP_HEADERS: 'bad name=1' }, /not a valid header name/],
    [{ TAILSHIP_AUTH_BEARER_TOKEN: 'a', TAILSHIP_AUTH_BEARER_TOKEN_FILE: '/t' }, /not both/],
    [{ TAILSHIP_AUTH_BASIC_USER: 'u' }, /^TAILSHIP_AUTH_BASIC_PASSWORD is invalid: is required/],
    [{ TAILSHIP_AUTH_BASIC_PASSWORD: 'p' }, /^TAILSHIP_AUTH_BASIC_USER is invalid/],
    [{ TAILSHIP_AUTH_BEARER_TOKEN: 't', TAILSHIP_AUTH_BASIC_USER: 'u', TAILSHIP_AUTH_BASIC_PASSWORD: 'p' }, /bearer token or basic auth/],
    [{ TAILSHIP_AUTH_BEARER_TOKEN: 't', TAILSHIP_HEADERS: 'Authorization=x' }, /Authorization is already set/],
    [{ TAILSHIP_COLLECTOR_URL: 'https://c/', TAILSHIP_TLS_CERT_FILE: '/c.pem' }, /^TAILSHIP_TLS_KEY_FILE is invalid: a client certificate needs both/],
    [{ TAILSHIP_TLS_CA_FILE: '/ca.pem' }, /^TAILSHIP_COLLECTOR_URL is invalid: TAILSHIP_TLS_\* settings are given but the URL is not https/],
    [{ TAILSHIP_TLS_INSECURE_SKIP_VERIFY: 'maybe' }, /expected true or false/],
  ];
  for (const [env, want] of cases) t.match(problem(env), want, JSON.stringify(env));
});

t.test('secrets never shown: not in --check-config, not in error messages', async (t) => {
  const secrets = {
    ...base,
    TAILSHIP_AUTH_BEARER_TOKEN: 'tok-SECRET-1',
    TAILSHIP_HEADERS: 'X-Api-Key=key-SECRET-2,X-Team=web',
  };
  const described = JSON.stringify(describeConfig(loadConfig(secrets).config));
  t.notMatch(described, /SECRET/);
  t.match(described, /"name":"X-Api-Key","secretValue":"\*\*\*"/);
  const basic = { ...base, TAILSHIP_AUTH_BASIC_USER: 'me', TAILSHIP_AUTH_BASIC_PASSWORD: 'pw-SECRET-3' };
  t.notMatch(JSON.stringify(describeConfig(loadConfig(basic).config)), /SECRET/);
  // A bad value in a secret variable is named, never echoed.
  t.notMatch(problem({ TAILSHIP_HEADERS: 'novalue-SECRET-4' }), /SECRET/);
  t.match(problem({ TAILSHIP_HEADERS: 'novalue-SECRET-4' }), /TAILSHIP_HEADERS=\(secret, not shown\)/);
  const url = loadConfig({ TAILSHIP_COLLECTOR_URL: 'https://user:pw-SECRET-5@loki:3100/' }).config;
  t.notMatch(JSON.stringify(describeConfig(url)), /SECRET/);
});
