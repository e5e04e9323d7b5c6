// The README is the user's manual: every variable tailship reads is documented there.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { KNOWN_ENV_NAMES } from '../src/config/env-spec.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

t.test('every environment variable has a row in a README table', async (t) => {
  const missing = [...KNOWN_ENV_NAMES].filter((name) => !readme.includes(`| \`${name}\` |`));
  t.same(missing, [], 'undocumented variables');
});

// TAILSHIP_BATCH_MAX_BYTE is the README's example of a misspelt name.
t.test('every variable named in the README exists', async (t) => {
  const named = new Set([...readme.matchAll(/\bTAILSHIP_[A-Z0-9_]+\b/g)].map((m) => m[0]));
  const unknown = [...named].filter((n) => !KNOWN_ENV_NAMES.has(n) && !/^TAILSHIP_(POD_TEST|NODE_OPTIONS|BATCH_MAX_BYTE)$/.test(n));
  t.same(unknown, [], 'names the README uses that tailship does not read');
});
