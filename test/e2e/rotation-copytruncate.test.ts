// copytruncate while tailship is behind — the collector down and the memory budget spent,
// or the CPU held to the Pod's 500m — through the built process, real files and a real
// collector: the generation being read carries on in its copy, read from where reading
// stopped. The writer copies and truncates between two writes, so copytruncate's own
// window is empty and every line written must arrive, once.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { heldEnv, received, reportRotation, startHeld } from '../helpers/held-tailship.js';
import { checkSequences, runWriter } from '../helpers/sequences.js';
import { startCollector, tempDirs } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait-for.js';

t.test('copytruncate during a collector outage, with the memory budget spent: every line arrives once', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const got = received(collector);
  const ts = await startHeld(
    t,
    heldEnv(collector.url, logs, state, { TAILSHIP_MEMORY_LIMIT: '1MiB', TAILSHIP_BATCH_MAX_BYTES: '128KiB' }),
  );
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  collector.down();
  const started = Date.now();
  // 40,000 lines at 4,000/s for 10 s, copied and truncated every 1.5 s, the collector down throughout.
  const writing = runWriter(path, 40_000, 40, 10, 'copytruncate', 1_500);
  let budgetSpent = false;
  await waitFor('the memory budget spent during the outage', async () => {
    const s = await ts.status();
    budgetSpent = s.memory.usedBytes >= s.memory.limitBytes;
    return budgetSpent;
  }, { timeoutMs: 30_000, intervalMs: 100 });
  const { written, rotations } = await writing;
  t.ok(rotations >= 4, `${rotations} copytruncate rotations, all while the collector was down`);
  t.ok(budgetSpent, 'reading was stopped by the memory budget');
  await collector.up();
  await got.settle(written);
  const { missing, duplicated, unexpected } = checkSequences(got.messages, new Map([['app.log', written]]));
  t.same([...missing], [], 'zero lost');
  t.same([...duplicated], [], 'zero duplicated');
  t.same(unexpected, []);
  t.equal(got.duplicateIds, 0, 'no id twice');
  t.ok((await ts.metric('tailship_truncated_copies_read_total')) >= 1, 'copies were read');
  await reportRotation(t, ts, 'copytruncate during an outage', started);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('copytruncate every 500 ms at 40,000 lines/s with the CPU held to 500m: every line arrives once', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const got = received(collector);
  const ts = await startHeld(t, heldEnv(collector.url, logs, state));
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  const started = Date.now();
  const { written, rotations } = await runWriter(path, 100_000, 400, 10, 'copytruncate', 500);
  t.ok(rotations >= 3, `${rotations} copytruncate rotations`);
  await got.settle(written);
  const { missing, duplicated, unexpected } = checkSequences(got.messages, new Map([['app.log', written]]));
  t.same([...missing], [], 'zero lost');
  t.same([...duplicated], [], 'zero duplicated');
  t.same(unexpected, []);
  t.equal(got.duplicateIds, 0, 'no id twice');
  await reportRotation(t, ts, 'copytruncate at 40,000 lines/s', started);
  t.same(await ts.stop(), { code: 0, signal: null });
});
