// tailship against Fluentd 1.15.3's in_http as the collector, with `json` (one array per
// request) and `ndjson` (application/x-ndjson, which in_http reads since 1.14.5). Checks
// what Fluentd's stdout output printed: every line once, tagged by the URL path, with the
// line's own time as the event time (from the record's `time`, which in_http takes and
// removes) and the record's fields as sent.
import { appendFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { errorLine, onceEach, seqOf, writeAccess } from '../helpers/nginx-traffic.js';
import { expectedRecord, FluentdPeer, interopWorkspace, PEERS_DIR, PEERS_SKIP_REASON, type FluentdEvent } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait-for.js';

const ACCESS_LINES = 20_000;
const ERROR_LINES = 200;

async function run(t: Test, sink: 'json' | 'ndjson'): Promise<void> {
  const started = Date.now();
  const fluentd = await FluentdPeer.start(t);
  const ws = interopWorkspace(t, `${fluentd.url}/nginx.access`, { TAILSHIP_SINK: sink });
  // Lines stamped a minute ago: far enough from now that a receipt time could not pass.
  const lineTime = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  const access = writeAccess(ws.access, 0, ACCESS_LINES / 2, lineTime);
  appendFileSync(ws.error, Array.from({ length: ERROR_LINES }, (_, i) => `${errorLine(i, lineTime).line}\n`).join(''));
  const ts = await ws.start();
  access.push(...writeAccess(ws.access, ACCESS_LINES / 2, ACCESS_LINES / 2, lineTime));
  const total = ACCESS_LINES + ERROR_LINES;
  await waitFor(`${total} events printed by Fluentd`, () => fluentd.events().length >= total, { timeoutMs: 120_000, intervalMs: 250 });
  t.equal(await ts.metric('tailship_records_sent_total'), total, 'tailship sent each record in one accepted request (no re-sends)');
  t.same(await ts.stop(), { code: 0, signal: null }, 'tailship drained and exited 0');

  const events = fluentd.events();
  t.equal(events.length, total, `${total} events`);
  const accessEvents = events.filter((e) => e.record['file'] === ws.access);
  t.same(onceEach(accessEvents.map((e) => seqOf(e.record['message'])), ACCESS_LINES), { missing: [], duplicated: [], stray: 0 }, `${ACCESS_LINES} access lines, each once`);
  t.ok(events.every((e) => e.tag === 'nginx.access'), 'tagged by the URL path');

  const wrong: string[] = [];
  const bySeq = new Map<number, FluentdEvent>(accessEvents.map((e) => [seqOf(e.record['message'])!, e]));
  for (const a of access) {
    const e = bySeq.get(a.seq)!;
    const want = expectedRecord(a, ws.access);
    // Fluentd keeps nanoseconds from the float it parsed: 1e-6 s is far below a second.
    if (Math.abs(e.timeMs - a.timeMs) > 0.001) wrong.push(`${a.seq}: event time ${e.time}, line time ${new Date(a.timeMs).toISOString()}`);
    if ('time' in e.record) wrong.push(`${a.seq}: \`time\` left in the record`);
    for (const [k, v] of Object.entries(want)) {
      if (JSON.stringify(e.record[k]) !== JSON.stringify(v)) wrong.push(`${a.seq}: ${k} = ${JSON.stringify(e.record[k])}, expected ${JSON.stringify(v)}`);
    }
    if (wrong.length >= 5) break;
  }
  t.same(wrong, [], "every access event: the line's time as the event time, the record as sent");
  const error = events.find((e) => e.record['file'] === ws.error && e.record['offset'] === 0)!;
  t.equal(error.timeMs, lineTime, "an error line: its own time too");
  t.match(error.record, { level: 'error', pid: 12, server: 'shop.example' }, 'and its fields');
  const sample = bySeq.get(3)!;
  t.comment(`${sink}: ${total} lines in ${((Date.now() - started) / 1000).toFixed(1)} s; stored: ${sample.time} ${sample.tag}: ${JSON.stringify(sample.record).slice(0, 300)}…`);
}

if (PEERS_DIR === undefined) {
  t.plan(0, PEERS_SKIP_REASON);
} else {
  await t.test('json → Fluentd in_http', (t) => run(t, 'json'));
  await t.test('ndjson → Fluentd in_http', (t) => run(t, 'ndjson'));
}
