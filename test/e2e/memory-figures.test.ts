// The two backlog figures measure what their documentation says. With the collector
// answering 503, tailship reads every file and holds the records:
// - tailship_unacknowledged_bytes and /status unacknowledgedBytes: bytes of the files
//   read and not yet acknowledged — here, every byte of the files;
// - tailship_memory_budget_used_bytes and /status memory.usedBytes: bytes of the encoded
//   records held in memory — here, exactly the request bodies later accepted
//   (tailship_bytes_sent_total), a record being two to three times its line.
// Once the collector accepts, both fall to 0.
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { nginxLine } from '../../src/demo/nginx-lines.js';
import { TestCollector } from '../helpers/collector.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

t.test('collector down: unacknowledged file bytes = what the files hold; the budget = the encoded records', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-figures-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  let seed = 7;
  const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const files = ['access.log', 'other.log'].map((name, i) => {
    const path = join(logs, name);
    const lines = Array.from({ length: 300 + i * 100 }, (_, j) => nginxLine(new Date(Date.UTC(2026, 10, 25, 21, 0, j)), random));
    writeFileSync(path, `${lines.join('\n')}\n`);
    return { path, lines: lines.length };
  });
  const fileBytes = files.reduce((n, f) => n + statSync(f.path).size, 0);
  const lines = files.reduce((n, f) => n + f.lines, 0);

  let accepting = false;
  const collector = new TestCollector({ responder: () => (accepting ? undefined : { status: 503 }) });
  await collector.start();
  t.teardown(() => collector.close());
  const ts = new TailshipProcess({
    TAILSHIP_COLLECTOR_URL: collector.url,
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_STATE_DIR: join(dir, 'state'),
    TAILSHIP_PARSER: 'nginx',
    TAILSHIP_BATCH_LINGER_MS: '100',
    TAILSHIP_RETRY_INITIAL: '100ms',
    TAILSHIP_RETRY_MAX: '300ms',
    TAILSHIP_DRAIN_QUIET: '200ms',
  });
  t.teardown(() => ts.kill());
  await ts.ready();
  await waitFor('every line read, and refused at least once', async () => (await ts.metric('tailship_lines_read_total')) === lines && collector.requests.length > 0);

  const status = await ts.status();
  const unacknowledged = await ts.metric('tailship_unacknowledged_bytes');
  const held = await ts.metric('tailship_memory_budget_used_bytes');
  t.equal(unacknowledged, fileBytes, `unacknowledged bytes are the files' ${fileBytes} bytes`);
  t.equal(status.unacknowledgedBytes, fileBytes, '/status says the same');
  t.equal(status.memory.usedBytes, held, '/status memory.usedBytes is the budget metric');
  t.ok(held > 2 * fileBytes, `the records held (${held} bytes) are larger than their lines (${fileBytes})`);
  t.comment(`files ${fileBytes} bytes; encoded records held ${held} bytes`);

  accepting = true;
  await waitFor('every record accepted', async () => (await ts.metric('tailship_records_sent_total')) === lines, { timeoutMs: 20_000 });
  t.equal(await ts.metric('tailship_bytes_sent_total'), held, 'what the budget held is exactly the bodies the collector accepted');
  await waitFor('both figures back to 0', async () => {
    const s = await ts.status();
    return s.unacknowledgedBytes === 0 && s.memory.usedBytes === 0;
  });
  t.equal(await ts.metric('tailship_unacknowledged_bytes'), 0);
  t.equal(await ts.metric('tailship_memory_budget_used_bytes'), 0);
  t.same(await ts.stop(), { code: 0, signal: null });
});
