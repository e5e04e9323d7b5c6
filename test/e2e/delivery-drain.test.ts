// Drain on SIGTERM (docs/architecture.md, "Shutdown"): lines written
// while nginx stops are shipped before exit; a drain that cannot finish exits 0 at its
// deadline and the next start sends the rest; a second signal stops at once.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Responder } from '../helpers/collector.js';
import { deliveryEnv } from '../helpers/delivery.js';
import { deliveryReport, few, NumberedWriter } from '../helpers/sequences.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { startCollector, tempDirs } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait-for.js';

async function workspace(t: Test, responder?: Responder) {
  const { dir, logs, state } = tempDirs();
  const collector = await startCollector(t, responder);
  const files = ['access.log', 'error.log'].map((f) => join(logs, f));
  for (const f of files) writeFileSync(f, '');
  return { dir, logs, state, files, collector, writer: new NumberedWriter(100) };
}

t.test('the writer keeps writing for 1 s after SIGTERM: those lines arrive before exit; exit 0', async (t) => {
  // A collector that takes its time (up to 150 ms), as a real one under load does.
  const { logs, state, files, collector, writer } = await workspace(t, () => ({
    status: 200,
    delayMs: Math.floor(Math.random() * 150),
  }));
  const ts = new TailshipProcess(
    deliveryEnv(collector.url, logs, state, {
      TAILSHIP_DRAIN_QUIET: '500ms',
      TAILSHIP_DRAIN_TIMEOUT: '20s',
      TAILSHIP_BATCH_LINGER_MS: '200',
      TAILSHIP_LOG_LEVEL: 'info',
    }),
  );
  t.teardown(() => ts.kill());
  await ts.ready();
  const [access, error] = files as [string, string];
  const write = () => {
    writer.append(access, 'access', 25);
    writer.append(error, 'error', 2);
  };
  const writing = setInterval(write, 20);
  t.teardown(() => clearInterval(writing));
  await waitFor('steady delivery', () => collector.records.length >= 1_000);

  // nginx and tailship get SIGTERM together; nginx writes for another second, and at
  // least 500 lines (a loaded machine may run the writer's timer less often).
  ts.child.kill('SIGTERM');
  const termAt = Date.now();
  const writtenAtTerm = writer.total;
  await waitFor('a second and 500 lines written after SIGTERM', () => Date.now() - termAt >= 1_000 && writer.total - writtenAtTerm >= 500, {
    timeoutMs: 15_000,
  });
  clearInterval(writing);
  t.comment(`${writer.total - writtenAtTerm} lines written after SIGTERM, for ${Date.now() - termAt} ms`);
  const exit = await ts.exited;
  const exitedAfterMs = Date.now() - termAt;
  // What the collector holds the moment the process is gone.
  const report = deliveryReport(collector.records, writer.counts);
  t.same(exit, { code: 0, signal: null }, 'exit 0');
  for (const [file, miss] of report.missing) t.equal(miss.length, 0, `${file}: every line arrived before exit (${few(miss)})`);
  for (const [file, dup] of report.duplicated) t.equal(dup.length, 0, `${file}: none twice`);
  t.ok(exitedAfterMs >= 1_000 && exitedAfterMs < 10_000, `exited ${exitedAfterMs} ms after SIGTERM`);
  t.ok(ts.logs.some((l) => l['msg'] === 'draining'));
  t.ok(ts.logs.some((l) => l['msg'] === 'stopped' && l['drained'] === true), 'reports a full drain');
  // The checkpoint left behind covers everything.
  const checkpoint = JSON.parse(readFileSync(join(state, 'checkpoints.json'), 'utf8')) as {
    files: Array<{ path: string; offset: number }>;
  };
  for (const f of files) {
    const size = readFileSync(f).length;
    t.equal(checkpoint.files.find((e) => e.path === f)?.offset, size, `${f}: checkpoint at the end of the file`);
  }
});

t.test('a drain that cannot finish (collector down) exits 0 at its deadline; the next start sends the rest', async (t) => {
  const { logs, state, files, collector, writer } = await workspace(t);
  const env = deliveryEnv(collector.url, logs, state, { TAILSHIP_DRAIN_TIMEOUT: '1500ms', TAILSHIP_LOG_LEVEL: 'info' });
  const [access] = files as [string];
  writer.append(access, 'access', 500);
  const first = new TailshipProcess(env);
  t.teardown(() => first.kill());
  await first.ready();
  await waitFor('the first lines', () => collector.records.length >= 500);
  collector.down();
  writer.append(access, 'access', 500);
  await waitFor('the new lines read', async () => (await first.metric('tailship_lines_read_total')) >= 1_000);
  const termAt = Date.now();
  const exit = await first.stop(10_000);
  t.same(exit, { code: 0, signal: null }, 'exit 0 although data is unacked');
  t.ok(Date.now() - termAt < 5_000, `exited at the deadline (${Date.now() - termAt} ms)`);
  const warning = first.logs.find((l) => l['msg'] === 'drain ended with data unacknowledged; the next start sends it');
  t.ok(warning && warning['unackedBytes'] > 0, `says how much is left (${warning?.['unackedBytes']} bytes)`);
  t.ok(first.logs.some((l) => l['msg'] === 'stopped' && l['drained'] === false));

  await collector.up();
  const second = new TailshipProcess(env);
  t.teardown(() => second.kill());
  await second.ready();
  await waitFor('everything', () => collector.records.length >= 1_000, { timeoutMs: 20_000 });
  await waitFor('all acked', async () => (await second.status()).batches.pending === 0);
  const report = deliveryReport(collector.records, writer.counts);
  t.same(report.missing.get(access), [], 'none lost');
  t.same(report.duplicated.get(access), [], 'none twice: nothing unacked had been delivered');
  t.same(await second.stop(), { code: 0, signal: null });
});

t.test('a second signal during a drain stops at once, after writing the checkpoint', async (t) => {
  // The collector never answers; the drain would wait 30 s for it.
  const { logs, state, files, collector, writer } = await workspace(t, () => 'hang');
  const ts = new TailshipProcess(
    deliveryEnv(collector.url, logs, state, {
      TAILSHIP_DRAIN_TIMEOUT: '30s',
      TAILSHIP_REQUEST_TIMEOUT: '30s',
      TAILSHIP_LOG_LEVEL: 'info',
    }),
  );
  t.teardown(() => ts.kill());
  await ts.ready();
  writer.append(files[0]!, 'access', 100);
  await waitFor('a request out', () => collector.requestCount >= 1);
  ts.child.kill('SIGTERM');
  await waitFor('the drain to begin', () => ts.logs.some((l) => l['msg'] === 'draining'));
  const secondAt = Date.now();
  ts.child.kill('SIGTERM');
  const exit = await ts.stop(10_000);
  t.same(exit, { code: 0, signal: null });
  t.ok(Date.now() - secondAt < 3_000, `stopped ${Date.now() - secondAt} ms after the second signal`);
  t.ok(ts.logs.some((l) => l['msg'] === 'second signal; stopping now'));
  const checkpoint = JSON.parse(readFileSync(join(state, 'checkpoints.json'), 'utf8')) as {
    files: Array<{ path: string; offset: number }>;
  };
  t.equal(checkpoint.files.find((e) => e.path === files[0])?.offset, 0, 'checkpoint written, nothing acked past 0');
});
