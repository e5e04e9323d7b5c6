// The README is the user's manual: every variable tailship reads is documented there.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { KNOWN_ENV_NAMES } from '../src/config/env-spec.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

t.test('every environment variable has a row in a README table', async (t) => {
  const missing = [...KNOWN_ENV_NAMES].filter((name) => !readme.includes(`| \`${name}\` |`));
  t.same(missing, [], 'undocumented variables');
});

// TAILSHIP_BATCH_MAX_BYTE and TAILSHIP_COLECTOR_URL are the README's examples of misspelt
// names; TAILSHIP_POD_TEST and TAILSHIP_PEERS_DIR are read by the tests, not by tailship.
t.test('every variable named in the README exists', async (t) => {
  const named = new Set([...readme.matchAll(/\bTAILSHIP_[A-Z0-9_]+\b/g)].map((m) => m[0]));
  const unknown = [...named].filter(
    (n) => !KNOWN_ENV_NAMES.has(n) && !/^TAILSHIP_(POD_TEST|PEERS_DIR|NODE_OPTIONS|BATCH_MAX_BYTE|COLECTOR_URL)$/.test(n),
  );
  t.same(unknown, [], 'names the README uses that tailship does not read');
});

t.test('every metric tailship defines has a row in the metrics table', async (t) => {
  const { createMetrics } = await import('../src/health/metrics.js');
  const names = createMetrics()
    .registry.getMetricsAsArray()
    .map((m) => m.name)
    // Node's process metrics (prom-client defaults) are named in the prose, not the table.
    .filter((n) => !/^tailship_(process|nodejs)_/.test(n));
  const missing = names.filter((n) => !new RegExp(`\\| \`${n}(\\{[a-z,]+\\})?\` \\|`).test(readme));
  t.same(missing, [], 'undocumented metrics');
  t.ok(names.length > 20, `${names.length} metrics checked`);
});
