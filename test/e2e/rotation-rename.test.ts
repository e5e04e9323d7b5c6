// Rename rotation faster than tailship looks, and rewrites in place, with tailship's CPU
// held to the Pod's 500m, through the built process, real files and a real collector:
// generations created and renamed away between two looks are found and read once; a file
// rewritten with `>` is read whole each time.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { heldEnv, received, reportRotation, startHeld } from '../helpers/held-tailship.js';
import { checkSequences, runWriter } from '../helpers/sequences.js';
import { startCollector, tempDirs } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait-for.js';

t.test('rename rotation every 200 ms, five kept, written as fast as it goes, CPU held to 500m: no generation lost', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const got = received(collector);
  const ts = await startHeld(t, heldEnv(collector.url, logs, state, { TAILSHIP_ROTATE_WAIT: '1s' }));
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  const started = Date.now();
  const { written, rotations } = await runWriter(path, 300_000, 300, 4, 'rotate-keep5', 200);
  t.ok(rotations >= 10, `${rotations} rotations`);
  await got.settle(written);
  const { missing, duplicated, unexpected } = checkSequences(got.messages, new Map([['app.log', written]]));
  t.same([...missing], [], 'zero lost');
  t.same([...duplicated], [], 'zero duplicated');
  t.same(unexpected, []);
  t.equal(got.duplicateIds, 0, 'no id twice');
  await reportRotation(t, ts, 'rename rotation every 200 ms', started);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('a file rewritten in place twice within a second: each content read whole, once', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const got = received(collector);
  const ts = await startHeld(t, heldEnv(collector.url, logs, state, { TAILSHIP_BATCH_LINGER_MS: '20' }));
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
