// Out-of-order acks across crashes: a collector that answers after a
// random delay with 4 requests in flight, so responses come back out of order; tailship
// is SIGKILLed and restarted several times while files keep growing. The checkpoint on
// disk must never pass a line the collector has not accepted, and in the end every line
// arrives (duplicates are allowed after a crash, with the same id).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { TestCollector, type Responder } from '../helpers/collector.js';
import { deliveryEnv } from '../helpers/delivery.js';
import { deliveryReport, few, NumberedWriter } from '../helpers/sequences.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

t.test('random response delays, 4 in flight, SIGKILL and restart x3: checkpoint never passes an unacked batch; no loss', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-restart-'));
  const logs = join(dir, 'logs');
  const state = join(dir, 'state');
  mkdirSync(logs);

  // Answer order vs arrival order, to show the acks really came back out of order.
  let arrived = 0;
  let lastAnsweredArrival = -1;
  let answeredOutOfOrder = 0;
  const responder: Responder = () => {
    const arrival = arrived++;
    const delayMs = Math.floor(Math.random() * 300);
    if (Math.random() < 0.1) return { status: 503, delayMs };
    setTimeout(() => {
      if (arrival < lastAnsweredArrival) answeredOutOfOrder++;
      lastAnsweredArrival = Math.max(lastAnsweredArrival, arrival);
    }, delayMs);
    return { status: 200, delayMs };
  };
  const collector = new TestCollector({ responder });
  await collector.start();
  t.teardown(() => collector.close());

  const names = ['a', 'b', 'c'];
  const files = names.map((n) => join(logs, `${n}.log`));
  for (const f of files) writeFileSync(f, '');
  const writer = new NumberedWriter(80);
  const writing = setInterval(() => files.forEach((f, i) => writer.append(f, names[i]!, 40)), 30);
  t.teardown(() => clearInterval(writing));

  const env = deliveryEnv(collector.url, logs, state, {
    TAILSHIP_MAX_IN_FLIGHT: '4',
    TAILSHIP_BATCH_MAX_EVENTS: '100',
    TAILSHIP_BATCH_LINGER_MS: '20',
    TAILSHIP_CHECKPOINT_INTERVAL: '20ms',
    TAILSHIP_LOG_LEVEL: 'info',
  });

  let checkedLines = 0;
  for (let round = 1; round <= 3; round++) {
    const ts = new TailshipProcess(env);
    t.teardown(() => ts.kill());
    await ts.ready();
    const target = collector.records.length + 3_000;
    await waitFor(`round ${round}: 3000 more records`, () => collector.records.length >= target, { timeoutMs: 30_000 });
    // Kill while requests are out (4 in flight, delayed answers) and checkpoints are fresh,
    // once every file's checkpoint has moved: a file read from its start after a backlog
    // of the others waits its turn in the queue, and a checkpoint at 0 would check nothing.
    await waitFor(`round ${round}: every file checkpointed past 0`, () => {
      const path = join(state, 'checkpoints.json');
      if (!existsSync(path)) return false;
      const { files: entries } = JSON.parse(readFileSync(path, 'utf8')) as { files: Array<{ offset: number }> };
      return entries.length === files.length && entries.every((e) => e.offset > 0);
    });
    await ts.kill();

    // The invariant, on the file a crash leaves: every line below a file's checkpointed
    // offset was accepted by the collector.
    const accepted = new Map<string, Set<number>>();
    for (const r of collector.records) {
      const set = accepted.get(r['file']) ?? new Set<number>();
      set.add(r['offset']);
      accepted.set(r['file'], set);
    }
    const checkpoint = JSON.parse(readFileSync(join(state, 'checkpoints.json'), 'utf8')) as {
      files: Array<{ path: string; offset: number }>;
    };
    t.equal(checkpoint.files.length, 3, `round ${round}: a checkpoint per file`);
    for (const entry of checkpoint.files) {
      const starts = writer.starts.get(entry.path) ?? [];
      const got = accepted.get(entry.path) ?? new Set<number>();
      const unacked = starts.filter((s) => s < entry.offset && !got.has(s));
      checkedLines += starts.filter((s) => s < entry.offset).length;
      t.same(unacked, [], `round ${round}: ${entry.path} checkpointed at ${entry.offset}: no unaccepted line below it (${few(unacked)})`);
      t.ok(entry.offset > 0, `round ${round}: ${entry.path} moved`);
    }
  }
  t.ok(answeredOutOfOrder > 10, `responses came back out of order (${answeredOutOfOrder} times)`);
  t.ok(checkedLines > 5_000, `${checkedLines} checkpointed lines checked`);

  // A last run with the writer stopped: everything arrives.
  clearInterval(writing);
  const ts = new TailshipProcess(env);
  t.teardown(() => ts.kill());
  await ts.ready();
  await waitFor(
    'every line at least once',
    () => {
      const report = deliveryReport(collector.records, writer.counts);
      return [...report.missing.values()].every((m) => m.length === 0);
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const report = deliveryReport(collector.records, writer.counts);
  for (const [file, miss] of report.missing) t.equal(miss.length, 0, `${file}: none lost`);
  t.same(report.unexpected, []);
  let dups = 0;
  for (const d of report.duplicated.values()) dups += d.length;
  // A crash re-sends what was delivered but not yet checkpointed, with the same id.
  const idByLine = new Map<string, string>();
  let idChanged = 0;
  for (const r of collector.records) {
    const key = `${r['file']}:${r['offset']}`;
    const id = idByLine.get(key);
    if (id !== undefined && id !== r['id']) idChanged++;
    idByLine.set(key, r['id']);
  }
  t.equal(idChanged, 0, `re-sent lines keep their id (${dups} duplicates after 3 crashes, of ${writer.total} lines)`);
  t.ok(dups < writer.total / 2, 'duplicates are the unacked tail, not whole files');
  t.same(await ts.stop(), { code: 0, signal: null });
});
