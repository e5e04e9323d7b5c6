// Each stage event becomes its metrics and its log line; counts kept off the hot path
// appear on publish; storms are aggregated, and no secret reaches a log.
import t from 'tap';
import { pino } from 'pino';
import { createMetrics } from '../../src/health/metrics.js';
import { Telemetry } from '../../src/health/telemetry.js';

function setup() {
  const logs: Array<Record<string, any>> = [];
  const log = pino({ level: 'debug', base: null }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const clock = { ms: 1_000_000 };
  const metrics = createMetrics();
  const telemetry = new Telemetry(metrics, log, () => clock.ms);
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const m = await metrics.registry.getSingleMetric(name)!.get();
    return m.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
  };
  return { logs, clock, telemetry, value };
}

t.test('tail events: counted and logged with the component', async (t) => {
  const { logs, telemetry, value } = setup();
  telemetry.tail.truncated('/pod-data/a.log', 120);
  telemetry.tail.rotated('/pod-data/a.log');
  telemetry.tail.openFailed('/pod-data/b.log', 'EACCES');
  telemetry.tail.bytesRead(4096);
  t.equal(await value('tailship_truncations_total'), 1);
  t.equal(await value('tailship_rotations_total'), 1);
  t.equal(await value('tailship_file_open_errors_total', { code: 'EACCES' }), 1);
  t.equal(await value('tailship_bytes_read_total'), 4096);
  t.match(logs, [
    { level: 40, component: 'tail', path: '/pod-data/a.log', previousOffset: 120, msg: 'file truncated; reading it again from the start' },
    { level: 30, component: 'tail', msg: 'file rotated' },
    { level: 40, component: 'tail', code: 'EACCES', msg: 'cannot read file; will retry' },
  ]);
});

t.test('records read are counted on the hot path and published on scrape', async (t) => {
  const { telemetry, value } = setup();
  telemetry.recordRead(false);
  telemetry.recordRead(true);
  t.equal(await value('tailship_lines_read_total'), 0, 'not before publish');
  const gauges = { openFiles: 2, watchedFiles: 2, files: [{ path: '/a', identity: '1:2', readOffset: 10, ackedOffset: 4, size: 10, bytesBehind: 6, state: 'open' as const }], memoryUsedBytes: 6, memoryLimitBytes: 100, requestsPending: 1, disk: { reclaim: true, filesDiskBytes: 8192, reclaimedBytes: 0, volumeLimitBytes: 10_000, nearLimit: true } };
  telemetry.publish(gauges);
  telemetry.publish(gauges);
  t.equal(await value('tailship_lines_read_total'), 2, 'published once, not twice');
  t.equal(await value('tailship_lines_truncated_total'), 1);
  t.equal(await value('tailship_files_watched'), 2);
  t.equal(await value('tailship_file_bytes_behind', { file: '/a' }), 6);
  t.equal(await value('tailship_memory_budget_limit_bytes'), 100);
  t.equal(await value('tailship_files_disk_bytes'), 8192);
  t.equal(await value('tailship_volume_limit_bytes'), 10_000);
  t.equal(await value('tailship_volume_near_limit'), 1);
});

t.test('an outage: a debug line per failure for a minute, then one warning, then the recovery', async (t) => {
  const { logs, clock, telemetry, value } = setup();
  telemetry.ship.attemptFailed('ECONNREFUSED: connect', undefined, 1);
  clock.ms += 30_000;
  telemetry.ship.attemptFailed('HTTP 503: busy', 503, 2);
  clock.ms += 31_000;
  telemetry.ship.attemptFailed('HTTP 503: busy', 503, 3);
  clock.ms += 1_000;
  telemetry.ship.attemptFailed('HTTP 503: busy', 503, 4);
  t.equal(await value('tailship_send_failures_total', { reason: 'ECONNREFUSED' }), 1);
  t.equal(await value('tailship_send_failures_total', { reason: '503' }), 3);
  t.equal(await value('tailship_collector_up'), 0);
  t.same(
    logs.map((l) => [l['level'], l['msg']]),
    [
      [20, 'delivery attempt failed; will retry'],
      [20, 'delivery attempt failed; will retry'],
      [40, 'collector unavailable; data waits in the files and will be sent when it is back'],
    ],
  );
  t.match(logs[2], { downSeconds: 61, failures: 3, status: 503 });
  telemetry.ship.delivered(10, 1000, 5);
  t.equal(logs.at(-1)!['msg'], 'collector accepting again');
  t.equal(await value('tailship_collector_up'), 1);
  t.equal(await value('tailship_collector_last_success_timestamp_seconds'), clock.ms / 1000);
});

t.test('refused credentials: a warning at once with the status only, then at most every five minutes', async (t) => {
  const { logs, clock, telemetry } = setup();
  const refusedAuth = () => logs.filter((l) => /refused the credentials/.test(l['msg'])).length;
  telemetry.ship.attemptFailed('HTTP 401: Bearer s3cr3t is wrong', 401, 1);
  clock.ms += 60_000;
  telemetry.ship.attemptFailed('HTTP 401: Bearer s3cr3t is wrong', 401, 2);
  t.equal(refusedAuth(), 1);
  clock.ms += 5 * 60_000;
  telemetry.ship.attemptFailed('HTTP 403', 403, 3);
  t.equal(refusedAuth(), 2);
  t.match(logs.find((l) => /refused the credentials/.test(l['msg'])), { status: 401, failures: 1 });
  t.notOk(logs.some((l) => /refused the credentials/.test(l['msg']) && JSON.stringify(l).includes('s3cr3t')), 'no answer text in the warning');
});

t.test('dead letters: counted for /status and the metrics, logged with the reason cut short', async (t) => {
  const { logs, telemetry, value } = setup();
  telemetry.ship.deadLettered(3, 'HTTP 400: '.padEnd(1000, 'x'), 400, 1);
  t.same(telemetry.deadLetter, { records: 3, dropped: 1 });
  t.equal(await value('tailship_dead_letter_records_total'), 3);
  t.equal(await value('tailship_dead_letter_dropped_total'), 1);
  t.equal(logs[0]!['reason'].length, 300);
});

t.test('reclaim events: freed bytes and refusals counted, refusals and the volume limit warned', async (t) => {
  const { logs, telemetry, value } = setup();
  telemetry.reclaim.reclaimed('/pod-data/a.log', 1 << 20);
  telemetry.reclaim.reclaimed('/pod-data/a.log', 4096);
  telemetry.reclaim.refused('/pod-data/a.log', 'EOPNOTSUPP', true);
  telemetry.reclaim.refused('/pod-data/b.log', 'EACCES', false);
  telemetry.reclaim.volumeLimit(true, 450 << 20, 512 << 20);
  telemetry.reclaim.volumeLimit(false, 10 << 20, 512 << 20);
  t.equal(await value('tailship_reclaimed_bytes_total'), (1 << 20) + 4096);
  t.equal(await value('tailship_reclaim_refused_total', { code: 'EOPNOTSUPP' }), 1);
  t.equal(await value('tailship_reclaim_refused_total', { code: 'EACCES' }), 1);
  t.match(logs.filter((l) => l['level'] >= 30), [
    { level: 40, component: 'disk', code: 'EOPNOTSUPP', msg: /file system cannot free acknowledged bytes/ },
    { level: 40, component: 'disk', code: 'EACCES', msg: /cannot open the file for writing/ },
    { level: 40, component: 'disk', percent: 88, msg: /more than 80% of TAILSHIP_VOLUME_LIMIT/ },
    { level: 30, component: 'disk', msg: /back under 80%/ },
  ]);
});

t.test('many files: file_bytes_behind for the 50 furthest behind, the total over all; descriptors', async (t) => {
  const { telemetry, value, logs, clock } = setup();
  const files = Array.from({ length: 80 }, (_, i) => ({
    path: `/pod-data/f${i}.log`, identity: `1:${i}`, readOffset: i, ackedOffset: 0, size: i, bytesBehind: i, state: 'parked' as const,
  }));
  telemetry.publish({ openFiles: 3, watchedFiles: 80, files, memoryUsedBytes: 0, memoryLimitBytes: 100, requestsPending: 0, disk: { reclaim: false, filesDiskBytes: 0, reclaimedBytes: 0, volumeLimitBytes: undefined, nearLimit: false } });
  t.equal(await value('tailship_bytes_behind'), (79 * 80) / 2, 'the total over every file');
  t.equal(await value('tailship_file_bytes_behind', { file: '/pod-data/f79.log' }), 79, 'the furthest behind has a series');
  t.equal(await value('tailship_file_bytes_behind', { file: '/pod-data/f30.log' }), 30, 'the 50th too');
  t.equal(await value('tailship_file_bytes_behind', { file: '/pod-data/f29.log' }), undefined, 'the 51st does not');
  t.equal(await value('tailship_open_files'), 3);
  t.equal(await value('tailship_files_watched'), 80);
  telemetry.tail.descriptorsExhausted?.('/pod-data/a.log', 'EMFILE');
  telemetry.tail.descriptorsExhausted?.('/pod-data/b.log', 'EMFILE');
  clock.ms += 61_000;
  telemetry.tail.descriptorsExhausted?.('/pod-data/c.log', 'EMFILE');
  t.equal(await value('tailship_file_open_deferred_total', { code: 'EMFILE' }), 3, 'every deferred open counted');
  t.match(
    logs.filter((l) => String(l['msg']).startsWith('out of file descriptors')),
    [{ level: 40, path: '/pod-data/a.log', deferred: 1 }, { level: 40, path: '/pod-data/c.log', deferred: 2 }],
    'warned at once, then at most every minute with the count',
  );
});
