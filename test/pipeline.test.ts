// The pipeline wired in-process, with real files, a real HTTP collector on port 0 and a
// real state dir: lines reach the collector, a checkpoint moves only over acknowledged
// lines, the health report follows, and drain and stop finish the work.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../src/config/load-config.js';
import { createMetrics } from '../src/health/metrics.js';
import { createLogger } from '../src/log/logger.js';
import { Pipeline } from '../src/pipeline.js';
import type { Responder } from './helpers/collector.js';
import { FAST_SETTINGS, startCollector, tempDirs } from './helpers/setup.js';
import { waitFor } from './helpers/wait-for.js';

async function setup(t: { teardown(fn: () => unknown): void }, responder?: Responder) {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t, responder);
  const file = join(logs, 'app.log');
  writeFileSync(file, '');
  const { config } = loadConfig({
    ...FAST_SETTINGS,
    TAILSHIP_COLLECTOR_URL: collector.url,
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_STATE_DIR: state,
  });
  const metrics = createMetrics();
  const pipeline = new Pipeline(config, createLogger('silent'), metrics, '0.0.0-test');
  t.teardown(() => pipeline.stop());
  /** The acknowledged offset the checkpoint file holds for the log file (undefined: none yet). */
  const checkpointed = (): number | undefined => {
    const path = join(state, 'checkpoints.json');
    if (!existsSync(path)) return undefined;
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { files: Array<{ path: string; offset: number }> };
    return doc.files.find((f) => f.path === file)?.offset;
  };
  return { collector, file, pipeline, metrics, checkpointed };
}

t.test('not ready before start; ready after; the lines reach the collector with the health report following', async (t) => {
  const { collector, file, pipeline, metrics } = await setup(t);
  t.notOk(pipeline.health.ready, 'not ready before start');
  t.ok(pipeline.health.live, 'live before start');
  await pipeline.start();
  t.ok(pipeline.health.ready);
  appendFileSync(file, 'one\ntwo\nthree\n');
  await waitFor('three records', () => collector.records.length === 3);
  t.same(
    collector.records.map((r) => [r['message'], r['file'], r['offset']]),
    [['one', file, 0], ['two', file, 4], ['three', file, 8]],
  );
  const status = await waitFor('the acknowledgement in /status', () => {
    const s = pipeline.health.status();
    return s.files[0]?.ackedOffset === 14 ? s : undefined;
  });
  t.match(status, { started: true, draining: false, files: [{ path: file, readOffset: 14, bytesBehind: 0, state: 'open' }] });
  t.equal(status.collector.lastSuccessAt, new Date(status.collector.lastSuccessMs!).toISOString());
  t.equal(status.memory.usedBytes, 0, 'nothing held once acknowledged');
  pipeline.health.refreshMetrics();
  t.equal((await metrics.registry.getSingleMetric('tailship_lines_read_total')!.get()).values[0]!.value, 3);
  t.equal((await metrics.registry.getSingleMetric('tailship_records_sent_total')!.get()).values[0]!.value, 3);
});

t.test('the checkpoint moves only over acknowledged lines', async (t) => {
  let accept = false;
  const { collector, file, pipeline, checkpointed } = await setup(t, () => (accept ? undefined : { status: 503, body: 'busy' }));
  await pipeline.start();
  appendFileSync(file, 'a\nb\n');
  await waitFor('attempts refused', () => pipeline.health.status().collector.consecutiveFailures >= 2);
  // Checkpoints are written every 100 ms: several were written while the collector refused.
  await waitFor('a checkpoint of the file', () => checkpointed() !== undefined);
  t.equal(checkpointed(), 0, 'read but not acknowledged: the checkpoint stays at 0');
  t.equal(pipeline.health.status().files[0]?.readOffset, 4);
  accept = true;
  await waitFor('the lines accepted', () => collector.records.length === 2);
  await waitFor('the checkpoint past them', () => checkpointed() === 4);
  t.pass('acknowledged, then checkpointed');
});

t.test('drain ships what was written last, stop writes the checkpoint; both finish', async (t) => {
  const { collector, file, pipeline, checkpointed } = await setup(t);
  await pipeline.start();
  appendFileSync(file, 'last words\n');
  const unacked = await pipeline.drain(new AbortController().signal);
  t.equal(unacked, 0, 'everything read is acknowledged');
  t.same(collector.records.map((r) => r['message']), ['last words']);
  t.ok(pipeline.health.status().draining);
  await pipeline.stop();
  t.notOk(pipeline.health.ready, 'not ready once stopped');
  t.equal(checkpointed(), 11, 'the last checkpoint is written at stop');
  await pipeline.stop();
  t.pass('stop is idempotent');
});
