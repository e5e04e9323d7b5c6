// Loading the environment: defaults, units, one-line errors naming the variable, the
// nearest-name warning, and what --check-config shows.
import t, { type Test } from 'tap';
import { ConfigError, describeConfig, loadConfig } from '../../src/config/load-config.js';

const base = { TAILSHIP_COLLECTOR_URL: 'http://collector:9000/' };

t.test('defaults', async (t) => {
  const { config, warnings } = loadConfig(base);
  t.same(config.sources.include, ['/pod-data/**/*.log']);
  t.equal(config.batch.maxBytes, 1024 * 1024);
  t.equal(config.batch.lingerMs, 1000);
  t.equal(config.health.port, 8686);
  t.equal(config.delivery.retryLimit, Infinity);
  t.equal(config.state.dir, '/var/lib/tailship');
  t.same(warnings, []);
  t.ok(Object.isFrozen(config.batch), 'config is frozen');
});

t.test('values with units, lists and an empty value meaning unset', async (t) => {
  const { config } = loadConfig({
    ...base,
    TAILSHIP_INCLUDE: '/a/*.log, /b/**/*.log',
    TAILSHIP_BATCH_MAX_BYTES: '512KiB',
    TAILSHIP_BATCH_LINGER_MS: '250ms',
    TAILSHIP_RETRY_MAX: '1m',
    TAILSHIP_EXCLUDE: '',
  });
  t.same(config.sources.include, ['/a/*.log', '/b/**/*.log']);
  t.equal(config.batch.maxBytes, 512 * 1024);
  t.equal(config.batch.lingerMs, 250);
  t.equal(config.delivery.retryMaxMs, 60_000);
  t.same(config.sources.exclude, []);
});

t.test('one-line errors naming the variable, the value and the form expected', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{}, /^TAILSHIP_COLLECTOR_URL is required: expected an http:\/\/ or https:\/\/ URL/],
    [{ TAILSHIP_COLLECTOR_URL: 'ftp://x' }, /^TAILSHIP_COLLECTOR_URL="ftp:\/\/x" is invalid: expected an http/],
    [{ ...base, TAILSHIP_BATCH_MAX_BYTES: 'lots' }, /^TAILSHIP_BATCH_MAX_BYTES="lots" is invalid: expected a size .*512KiB/],
    [{ ...base, TAILSHIP_BATCH_LINGER_MS: 'soon' }, /^TAILSHIP_BATCH_LINGER_MS="soon" is invalid: expected a duration/],
    [{ ...base, TAILSHIP_RETRY_MAX: '30' }, /^TAILSHIP_RETRY_MAX="30" is invalid: expected a duration like 250ms, 5s/],
    [{ ...base, TAILSHIP_HEALTH_PORT: '70000' }, /^TAILSHIP_HEALTH_PORT="70000" is invalid: expected a whole number from 0 to 65535/],
    [{ ...base, TAILSHIP_LOG_LEVEL: 'loud' }, /^TAILSHIP_LOG_LEVEL="loud" is invalid: expected one of trace, debug/],
    [{ ...base, TAILSHIP_START_AT: 'middle' }, /^TAILSHIP_START_AT="middle" is invalid: expected one of beginning, end/],
    [{ ...base, TAILSHIP_RETRY_INITIAL: '1m', TAILSHIP_RETRY_MAX: '1s' }, /^TAILSHIP_RETRY_INITIAL=.*at most TAILSHIP_RETRY_MAX/],
  ];
  for (const [env, re] of cases) {
    try {
      loadConfig(env);
      t.fail(`accepted ${JSON.stringify(env)}`);
    } catch (error) {
      t.type(error, ConfigError);
      t.match((error as Error).message, re);
      t.notMatch((error as Error).message, /\n/, 'one line');
    }
  }
});

t.test('unknown TAILSHIP_ variables warn with the nearest name', async (t) => {
  const { warnings } = loadConfig({ ...base, TAILSHIP_BATCH_MAX_BYTE: '1MiB', TAILSHIP_ZZZZZZZZZZ: 'x', OTHER: 'y' });
  t.same(warnings, [
    'unknown variable TAILSHIP_BATCH_MAX_BYTE is ignored; did you mean TAILSHIP_BATCH_MAX_BYTES?',
    'unknown variable TAILSHIP_ZZZZZZZZZZ is ignored',
  ]);
});

t.test('the effective config hides credentials in the collector URL', async (t) => {
  const { config } = loadConfig({ TAILSHIP_COLLECTOR_URL: 'https://user:hunter2@collector:9000/push' });
  const shown = JSON.stringify(describeConfig(config));
  t.notMatch(shown, /hunter2/);
  t.match(shown, /https:\/\/\*\*\*:\*\*\*@collector:9000\/push/);
  t.match(shown, /"retryLimit":"unlimited"/);
});

t.test('--check-config masks secrets but shows the paths of secret files', async (t) => {
  const { config } = loadConfig({
    ...base,
    TAILSHIP_AUTH_BASIC_USER: 'shipper',
    TAILSHIP_AUTH_BASIC_PASSWORD: 'pa55-word',
  });
  const shown = JSON.stringify(describeConfig(config));
  t.notMatch(shown, /pa55-word/);
  t.match(shown, /"shipper"/);
  const withFile = JSON.stringify(
    describeConfig(loadConfig({ ...base, TAILSHIP_AUTH_BEARER_TOKEN: 'tok-123' }).config),
  );
  t.notMatch(withFile, /tok-123/);
});

t.test('the path of a token file is shown, not masked', async (t) => {
  const shown = JSON.stringify(
    describeConfig(loadConfig({ ...base, TAILSHIP_AUTH_BEARER_TOKEN_FILE: '/var/run/secrets/tailship/token' }).config),
  );
  t.match(shown, /"\/var\/run\/secrets\/tailship\/token"/);
});

/** The message of the ConfigError `loadConfig(env)` throws (fails the test if it accepts). */
function refusal(t: Test, env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    t.type(error, ConfigError);
    const message = (error as Error).message;
    t.notMatch(message, /\n/, 'one line');
    return message;
  }
  t.fail(`accepted ${JSON.stringify(env)}`);
  return '';
}

t.test('a $(NAME) reference Kubernetes left unexpanded is an error naming the variable', async (t) => {
  t.equal(
    refusal(t, { TAILSHIP_COLLECTOR_URL: 'http://$(COLLECTOR_HOST):9880/' }),
    'TAILSHIP_COLLECTOR_URL="http://$(COLLECTOR_HOST):9880/" holds $(COLLECTOR_HOST), a reference that Kubernetes did not expand: ' +
      "it expands $(NAME) only in a container's env values, and only when NAME is defined before it in that list",
  );
  // Any variable tailship reads, not only the URL.
  t.match(refusal(t, { ...base, TAILSHIP_TENANT_ID: 'team-$(TEAM)' }), /^TAILSHIP_TENANT_ID="team-\$\(TEAM\)" holds \$\(TEAM\)/);
  t.match(refusal(t, { ...base, K8S_NAMESPACE: '$(POD_NAMESPACE)' }), /^K8S_NAMESPACE="\$\(POD_NAMESPACE\)" holds/);
  // A secret's value is never shown, not even the part that looks like a reference.
  const secret = refusal(t, { ...base, TAILSHIP_AUTH_BASIC_USER: 'u', TAILSHIP_AUTH_BASIC_PASSWORD: 'pw-$(SECRET_PART)' });
  t.match(secret, /^TAILSHIP_AUTH_BASIC_PASSWORD \(secret, not shown\) holds a \$\(NAME\) reference/);
  t.notMatch(secret, /SECRET_PART|pw-/);
  // What is not a Kubernetes reference stays accepted: `$field` templates, a `$` in a regex.
  t.doesNotThrow(() => loadConfig({ ...base, TAILSHIP_LOKI_LABELS: 'ns=$kubernetes.namespace', TAILSHIP_MULTILINE_START: '^\\S.*$' }));
  t.doesNotThrow(() => loadConfig({ ...base, TAILSHIP_FIELDS: 'price=$(5)' }), '$(5) is not a variable name');
});

t.test('a collector URL whose host is neither a DNS name nor an IP address is refused', async (t) => {
  for (const url of ['http://a*b:9880/', 'http://collector!/', "http://it's/", 'http://a..b/', `http://${'x'.repeat(64)}.example/`]) {
    t.match(refusal(t, { TAILSHIP_COLLECTOR_URL: url }), /^TAILSHIP_COLLECTOR_URL=".*" is invalid: expected a URL whose host is a DNS name or an IP address \(".*" is neither\)$/, url);
  }
  const accepted = [
    'http://collector:9880/',
    'http://log-collector.logging.svc.cluster.local:9880/ingest',
    'http://my_service:8080/',
    'http://10.0.0.7:3100',
    'http://[fd00::7]:3100/',
    'https://bücher.example/',
    'http://collector.example./',
  ];
  for (const url of accepted) t.doesNotThrow(() => loadConfig({ TAILSHIP_COLLECTOR_URL: url }), url);
});

t.test('a fatal error names a misspelling of its variable', async (t) => {
  t.equal(
    refusal(t, { TAILSHIP_COLECTOR_URL: 'http://collector:9880/' }),
    'TAILSHIP_COLLECTOR_URL is required: expected an http:// or https:// URL, like http://collector:8080/; ' +
      'TAILSHIP_COLECTOR_URL is set: did you mean TAILSHIP_COLLECTOR_URL?',
  );
  t.match(
    refusal(t, { ...base, TAILSHIP_BATCH_MAX_BYTES: '4MiB', TAILSHIP_MEMORY_LIMT: '64MiB', TAILSHIP_MEMORY_LIMITS: '1GiB', TAILSHIP_MEMORY_LIMIT: '2MiB' }),
    /^TAILSHIP_MEMORY_LIMIT=.* is invalid: expected at least twice .*; TAILSHIP_MEMORY_LIMT, TAILSHIP_MEMORY_LIMITS are set: did you mean TAILSHIP_MEMORY_LIMIT\?$/,
  );
  // A misspelling of another variable is only a warning, never part of this error.
  t.notMatch(refusal(t, { TAILSHIP_BATCH_MAX_BYTE: '1MiB' }), /BATCH/);
});
