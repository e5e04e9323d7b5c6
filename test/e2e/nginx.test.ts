// Real nginx writing real access logs, rotated by rename + `nginx -s reopen` midway.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import t from 'tap';
import { NGINX, startNginx } from '../helpers/nginx.js';
import { startCollector, startTailship, tempDirs } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait-for.js';

t.test('20,000 requests through nginx, rotated midway: exactly 20,000 access lines', { skip: NGINX ? false : 'nginx is not installed (.ci/run installs it with apt-get)' }, async (t) => {
  const { dir, logs, state } = tempDirs();
  const nginx = await startNginx(t, dir, logs);
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, {
    TAILSHIP_INCLUDE: `${logs}/access.log`,
    TAILSHIP_ROTATE_WAIT: '1s',
  });
  // Readiness probes before the load are requests too; count only ours by path.
  const total = 20_000;
  const agent = new Agent({ connections: 16 });
  t.teardown(() => agent.close());
  let sent = 0;
  let rotated = false;
  const worker = async () => {
    while (sent < total) {
      const i = sent++;
      if (i === total / 2 && !rotated) {
        rotated = true;
        renameSync(join(logs, 'access.log'), join(logs, 'access.log.1'));
        nginx.reopen();
      }
      const res = await request(`http://127.0.0.1:${nginx.port}/req-${i}?n=${i}`, { dispatcher: agent });
      await res.body.dump();
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const ours = () => collector.records.filter((r) => /"GET \/req-\d+\?n=\d+ HTTP/.test(r['message']));
  await waitFor(`${total} access lines`, () => ours().length >= total, { timeoutMs: 60_000 });
  const seen = new Set<number>();
  for (const r of ours()) seen.add(Number(/n=(\d+)/.exec(r['message'])![1]));
  t.equal(ours().length, total, 'exactly 20,000: none lost, none twice');
  t.equal(seen.size, total, 'every request present');
  const files = new Set(ours().map((r) => r['file']));
  t.ok(files.has(join(logs, 'access.log')), 'lines from the new file');
  t.ok(await ts.metric('tailship_rotations_total') >= 1, 'rotation seen');
  t.same(await ts.stop(), { code: 0, signal: null });
});
