// Rotation while tailship is behind — the collector down and the memory budget spent, or
// the CPU held to the Pod's 500m — through the built process, real files and a real
// collector: copytruncate loses nothing (its copy is read from where reading stopped),
// rename rotation faster than discovery loses no generation, rewrites in place are read
// whole. The writer rotates between two writes, so copytruncate's own window (lines
// written between copy and truncation) is empty and every line written must arrive.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { TestCollector } from '../helpers/collector.js';
import { cpuTimeMs, limitCpu } from '../helpers/cpu-limit.js';
import { checkSequences, runWriter } from '../helpers/sequences.js';
import { startCollector, tempDirs } from '../helpers/setup.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

const POD_CPU_MILLICORES = 500; // k8s/pod.yaml: limits.cpu

/** What the collector accepted, kept small: each record's message and id. */
function received(collector: TestCollector) {
  const messages: string[] = [];
  const ids = new Set<string>();
  let duplicateIds = 0;
  collector.keep = false;
  collector.onAccepted = (lines) => {
    for (const line of lines) {
      const r = JSON.parse(line) as { message: string; id: string };
      messages.push(r.message);
      if (ids.has(r.id)) duplicateIds++;
      ids.add(r.id);
    }
  };
  return {
    messages,
    get duplicateIds() {
      return duplicateIds;
    },
  };
}

/** tailship as the Pod runs it: its CPU held to 500m where the machine allows. */
async function startHeld(t: Test, env: Record<string, string>): Promise<TailshipProcess> {
  const ts = new TailshipProcess(env);
  const limit = limitCpu(ts.child.pid!, POD_CPU_MILLICORES);
  t.comment(limit.applied ? `CPU held: ${limit.detail}` : `CPU NOT held (${limit.detail}): running unthrottled`);
  t.teardown(async () => {
    await ts.kill();
    limit.release();
  });
  await ts.ready(60_000);
  return ts;
}

function env(collectorUrl: string, logs: string, state: string, over: Record<string, string> = {}) {
  return {
    TAILSHIP_COLLECTOR_URL: collectorUrl,
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_STATE_DIR: state,
    TAILSHIP_COMPRESSION: 'none',
    TAILSHIP_BATCH_LINGER_MS: '200',
    TAILSHIP_RETRY_INITIAL: '50ms',
    TAILSHIP_RETRY_MAX: '500ms',
    TAILSHIP_REQUEST_TIMEOUT: '2s',
    ...over,
  };
}

async function report(t: Test, ts: TailshipProcess, what: string, startedMs: number): Promise<void> {
  const copies = await ts.metric('tailship_truncated_copies_read_total');
  const generations = await ts.metric('tailship_rotated_generations_found_total');
  const lost = await ts.metric('tailship_rotation_lost_bytes_total');
  const cpu = cpuTimeMs(ts.child.pid!);
  t.comment(`${what}: ${copies} copies read, ${generations} unseen generations read, ${lost} bytes lost, ${Math.round((Date.now() - startedMs) / 100) / 10} s, ${cpu} ms CPU`);
  t.equal(lost, 0, 'no bytes reported lost');
}

t.test('copytruncate during a collector outage, with the memory budget spent: every line arrives once', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const got = received(collector);
  const ts = await startHeld(
    t,
    env(collector.url, logs, state, { TAILSHIP_MEMORY_LIMIT: '1MiB', TAILSHIP_BATCH_MAX_BYTES: '128KiB' }),
  );
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  collector.down();
  const started = Date.now();
  // 60,000 lines at 4,000/s for 15 s, copied and truncated every 2 s, the collector down throughout.
  const writing = runWriter(path, 60_000, 40, 10, 'copytruncate', 2_000);
  let budgetSpent = false;
  await waitFor('the memory budget spent during the outage', async () => {
    const s = await ts.status();
    budgetSpent = s.memory.usedBytes >= s.memory.limitBytes;
    return budgetSpent;
  }, { timeoutMs: 30_000, intervalMs: 100 });
  const { written, rotations } = await writing;
  t.ok(rotations >= 6, `${rotations} copytruncate rotations, all while the collector was down`);
  t.ok(budgetSpent, 'reading was stopped by the memory budget');
  await collector.up();
  await waitFor(`${written} records`, () => got.messages.length >= written, { timeoutMs: 120_000, intervalMs: 200 });
  const { missing, duplicated, unexpected } = checkSequences(got.messages, new Map([['app.log', written]]));
  t.same([...missing], [], 'zero lost');
  t.same([...duplicated], [], 'zero duplicated');
  t.same(unexpected, []);
  t.equal(got.duplicateIds, 0, 'no id twice');
  t.ok((await ts.metric('tailship_truncated_copies_read_total')) >= 1, 'copies were read');
  await report(t, ts, 'copytruncate during an outage', started);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('copytruncate every 500 ms at 40,000 lines/s with the CPU held to 500m: every line arrives once', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const got = received(collector);
  const ts = await startHeld(t, env(collector.url, logs, state));
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  const started = Date.now();
  const { written, rotations } = await runWriter(path, 100_000, 400, 10, 'copytruncate', 500);
  t.ok(rotations >= 3, `${rotations} copytruncate rotations`);
  await waitFor(`${written} records`, () => got.messages.length >= written, { timeoutMs: 120_000, intervalMs: 200 });
  const { missing, duplicated, unexpected } = checkSequences(got.messages, new Map([['app.log', written]]));
  t.same([...missing], [], 'zero lost');
  t.same([...duplicated], [], 'zero duplicated');
  t.same(unexpected, []);
  t.equal(got.duplicateIds, 0, 'no id twice');
  await report(t, ts, 'copytruncate at 40,000 lines/s', started);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('rename rotation every 200 ms, five kept, written as fast as it goes, CPU held to 500m: no generation lost', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const got = received(collector);
  const ts = await startHeld(t, env(collector.url, logs, state, { TAILSHIP_ROTATE_WAIT: '1s' }));
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  const started = Date.now();
  const { written, rotations } = await runWriter(path, 300_000, 300, 4, 'rotate-keep5', 200);
  t.ok(rotations >= 10, `${rotations} rotations`);
  await waitFor(`${written} records`, () => got.messages.length >= written, { timeoutMs: 120_000, intervalMs: 200 });
  const { missing, duplicated, unexpected } = checkSequences(got.messages, new Map([['app.log', written]]));
  t.same([...missing], [], 'zero lost');
  t.same([...duplicated], [], 'zero duplicated');
  t.same(unexpected, []);
  t.equal(got.duplicateIds, 0, 'no id twice');
  await report(t, ts, 'rename rotation every 200 ms', started);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('a file rewritten in place twice within a second: each content read whole, once', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const got = received(collector);
  const ts = await startHeld(t, env(collector.url, logs, state, { TAILSHIP_BATCH_LINGER_MS: '20' }));
  const path = join(logs, 'app.log');
  const content = (from: number, n: number, pad: number) =>
    Array.from({ length: n }, (_, i) => `app.log seq=${from + i} `.padEnd(pad, 'x')).join('\n') + '\n';
  writeFileSync(path, content(0, 10, 40));
  await waitFor('the first content', () => got.messages.length === 10);
  writeFileSync(path, content(10, 10, 40)); // `>`: same inode, same length
  await waitFor('the second content', () => got.messages.length === 20);
  writeFileSync(path, content(20, 12, 60)); // `>` again, longer
  await waitFor('the third content', () => got.messages.length >= 32);
  const { missing, duplicated, unexpected } = checkSequences(got.messages, new Map([['app.log', 32]]));
  t.same([...missing], [], 'every content arrived');
  t.same([...duplicated], [], 'none twice');
  t.same(unexpected, [], 'no fragment of a line');
  t.equal(await ts.metric('tailship_truncations_total'), 2, 'two truncations');
  t.same(await ts.stop(), { code: 0, signal: null });
});
