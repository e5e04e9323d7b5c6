// What the probes and /status report, from the pipeline's state: readiness, liveness,
// and every epoch time with its ISO-8601 form beside it.
import t from 'tap';
import { initialCollectorState, type CollectorState } from '../../src/ship/collector-state.js';
import { collectorStatus, isLive, isReady, PipelineHealth, WEDGED_AFTER_MS, type PipelineState } from '../../src/health/status.js';
import { Telemetry } from '../../src/health/telemetry.js';
import { createMetrics } from '../../src/health/metrics.js';
import { createLogger } from '../../src/log/logger.js';

const NOW = Date.parse('2026-11-25T21:00:00.123Z');

function state(over: Partial<PipelineState> = {}, collector: Partial<CollectorState> = {}): PipelineState {
  return {
    started: true,
    draining: false,
    stopped: false,
    tail: { started: true, files: () => [], errors: () => [], refused: () => [], openFiles: 0, watchedFiles: 0 },
    shipper: { state: { ...initialCollectorState(), ...collector }, pending: 0, inFlight: 0 },
    budget: { usedBytes: 0, limitBytes: 1024 },
    batcher: { open: 0, lastAcknowledgedMs: NOW },
    disk: { status: { reclaim: true, filesDiskBytes: 4096, reclaimedBytes: 1 << 20, volumeLimitBytes: undefined, nearLimit: false } },
    ...over,
  };
}

t.test('ready once started with watchers running, until stopped; never the collector', async (t) => {
  t.ok(isReady(state()));
  t.ok(isReady(state({}, { consecutiveFailures: 99, lastError: 'down' })), 'a failing collector');
  t.notOk(isReady(state({ started: false })), 'starting');
  t.notOk(isReady(state({ stopped: true })), 'stopped');
  t.notOk(isReady(state({ tail: undefined })), 'no tail yet');
  t.notOk(isReady(state({ tail: { started: false, files: () => [], errors: () => [], refused: () => [], openFiles: 0, watchedFiles: 0 } })), 'watchers not running');
});

t.test('live unless data waits and nothing moved for the wedge time with no retry due', async (t) => {
  const waiting = { budget: { usedBytes: 10, limitBytes: 1024 } };
  const old = NOW - WEDGED_AFTER_MS;
  // [state, live]
  const rows: Array<[string, PipelineState, boolean]> = [
    ['nothing waits', state({ batcher: { open: 0, lastAcknowledgedMs: old } }), true],
    ['data waits, acknowledged just now', state(waiting), true],
    ['data waits, no progress for the wedge time', state({ ...waiting, batcher: { open: 0, lastAcknowledgedMs: old } }), false],
    ['... but a retry is scheduled', state({ ...waiting, batcher: { open: 0, lastAcknowledgedMs: old } }, { retrying: 1 }), true],
    ['... but an attempt just failed (a hanging collector)', state({ ...waiting, batcher: { open: 0, lastAcknowledgedMs: old } }, { lastErrorMs: NOW - 1 }), true],
    ['not started', state({ ...waiting, shipper: undefined, batcher: { open: 0, lastAcknowledgedMs: old } }), true],
  ];
  for (const [name, s, live] of rows) t.equal(isLive(s, NOW), live, name);
});

t.test('the collector in /status: every epoch time has its ISO-8601 form beside it', async (t) => {
  const c = collectorStatus('http://c/', {
    lastSuccessMs: NOW,
    lastError: 'HTTP 503: busy',
    lastErrorMs: NOW + 1,
    consecutiveFailures: 1,
    failingSinceMs: NOW + 1,
    retrying: 1,
    nextAttemptMs: NOW + 250,
  });
  t.strictSame(c, {
    url: 'http://c/',
    lastSuccessMs: NOW,
    lastSuccessAt: '2026-11-25T21:00:00.123Z',
    lastError: 'HTTP 503: busy',
    lastErrorMs: NOW + 1,
    lastErrorAt: '2026-11-25T21:00:00.124Z',
    consecutiveFailures: 1,
    failingSinceMs: NOW + 1,
    failingSinceAt: '2026-11-25T21:00:00.124Z',
    retrying: 1,
    nextAttemptMs: NOW + 250,
    nextAttemptAt: '2026-11-25T21:00:00.373Z',
  });
  const before = JSON.parse(JSON.stringify(collectorStatus('http://c/', initialCollectorState())));
  t.strictSame(before, { url: 'http://c/', consecutiveFailures: 0, retrying: 0 }, 'times not reached yet are left out, both forms');
});

t.test('every …Ms time anywhere in /status has an …At twin that names the same instant', async (t) => {
  const health = new PipelineHealth(
    () =>
      state({}, { lastSuccessMs: NOW, lastErrorMs: NOW - 5000, lastError: 'x', failingSinceMs: NOW - 5000, nextAttemptMs: NOW + 1 }),
    new Telemetry(createMetrics(), createLogger('silent')),
    'http://c/',
    '/state/dead-letter.ndjson',
  );
  const doc = JSON.parse(JSON.stringify(health.status())) as Record<string, unknown>;
  const pairs: string[] = [];
  const walk = (o: unknown): void => {
    if (o === null || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o)) {
      if (/Ms$/.test(k) && typeof v === 'number' && v > 1e12) {
        const twin = (o as Record<string, unknown>)[`${k.slice(0, -2)}At`];
        t.equal(twin, new Date(v).toISOString(), `${k} has ${k.slice(0, -2)}At`);
        pairs.push(k);
      }
      walk(v);
    }
  };
  walk(doc);
  t.same(pairs.sort(), ['failingSinceMs', 'lastErrorMs', 'lastSuccessMs', 'nextAttemptMs']);
});
