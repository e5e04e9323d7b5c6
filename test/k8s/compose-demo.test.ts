// docker/compose.yaml (the demo) gives tailship only variables it reads, with values it
// accepts, and runs it as the Kubernetes manifests do. CI also runs
// `docker-compose config -q` on it; this test needs no container engine.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { KNOWN_ENV_NAMES } from '../../src/config/env-spec.js';
import { loadConfig } from '../../src/config/load-config.js';

const compose = parse(readFileSync(fileURLToPath(new URL('../../docker/compose.yaml', import.meta.url)), 'utf8'), {
  uniqueKeys: true,
});
const services = compose.services as Record<string, any>;

t.test('tailship service: known variables, values tailship accepts', async (t) => {
  const tailship = services['tailship'];
  t.ok(tailship, 'has a tailship service');
  // Compose interpolates `$$` to a literal `$`.
  const env: Record<string, string> = Object.fromEntries(
    Object.entries(tailship.environment as Record<string, string>).map(([k, v]) => [k, String(v).replaceAll('$$', '$')]),
  );
  for (const name of Object.keys(env)) t.ok(KNOWN_ENV_NAMES.has(name), `${name} is a variable tailship reads`);
  const { config, warnings } = loadConfig(env);
  t.same(warnings, [], 'no warnings');
  t.equal(tailship.read_only, true, 'read-only root filesystem');
  t.equal(tailship.user, '10001:10001', 'the image user');
  t.same(tailship.cap_drop, ['ALL'], 'no capabilities');
  const state = tailship.volumes.find((v: any) => (typeof v === 'string' ? v.endsWith(`:${config.state.dir}`) : v.target === config.state.dir));
  t.ok(state, `a volume at the state dir ${config.state.dir}`);
});

t.test('nginx writes real files to the volume tailship reads', async (t) => {
  const nginxMount = services['nginx'].volumes.find((v: any) => v.target === '/var/log/nginx');
  const tailshipMount = services['tailship'].volumes.find((v: any) => v.target === '/pod-data');
  t.equal(nginxMount?.source, tailshipMount?.source, 'the same named volume');
  t.equal(nginxMount?.volume?.nocopy, true, "nocopy: the image's stdout links stay out of the volume");
  const reclaim = loadConfig({ ...services['tailship'].environment, TAILSHIP_COLLECTOR_URL: 'http://loki:3100/' }).config.disk.reclaimAcked;
  t.equal(tailshipMount?.read_only ?? false, !reclaim, 'read-write for tailship exactly when it frees acknowledged bytes');
  if (reclaim) {
    const logFiles = services['log-files'];
    t.match(logFiles?.entrypoint?.join(' '), /chown 10001:10001/, "log-files gives nginx's files to tailship's UID");
    t.equal(logFiles?.volumes?.[0]?.source, nginxMount?.source, 'on the shared volume');
    t.same(services['nginx'].depends_on, { 'log-files': { condition: 'service_completed_successfully' } }, 'before nginx starts');
  }
});
