// The shipper's logic with a stand-in transport and protocol: what is sent again, what is
// split, what is dead-lettered, that every batch settles exactly once, and that stop()
// cuts waits short. (The real HTTP path is covered end to end in test/e2e/delivery-*.)
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Batch } from '../../src/batch/batch.js';
import { DeadLetterFile } from '../../src/ship/dead-letter.js';
import type { Encoder } from '../../src/ship/encoders/encoder.js';
import type { HttpResult } from '../../src/ship/http-transport.js';
import { classifyStatus, readHttpStatus } from '../../src/ship/responses/http-status.js';
import type { ResponseReader } from '../../src/ship/responses/response-reader.js';
import { Shipper, type ShipObserver, type ShipperOptions, type Transport } from '../../src/ship/shipper.js';
import { waitFor } from '../helpers/wait-for.js';

/** Fragments are `rN\n`; a body is their concatenation. */
function stubEncoder(): Encoder<string> {
  return {
    defaultPath: '/',
    contentType: 'application/x-ndjson',
    encode: () => {
      throw new Error('not used');
    },
    size: (f) => f.length,
    body: (fragments) => fragments.join(''),
  };
}

const response = (status: number, body = '', retryAfterMs?: number): HttpResult => ({
  kind: 'response',
  status,
  body,
  retryAfterMs,
});

type Answer = (records: string[], n: number) => HttpResult | Promise<HttpResult>;

interface Harness {
  shipper: Shipper<string>;
  /** Record names of each request, in order. */
  requests: string[][];
  events: string[];
  settled: Array<Batch<string>>;
  /** Per settled batch: may its buffer be reused (no socket write of it can be pending)? */
  bufferFree: boolean[];
  delivered: string[];
  deadLetters: () => Array<{ status: number | null; reason: string; request: string }>;
  concurrency: { now: number; max: number };
  dir: string;
}

let seq = 0;
function batch(names: string[]): Batch<string> {
  return { seq: ++seq, count: names.length, fragments: names.map((n) => `${n}\n`), bytes: names.length, body: undefined, acks: [] };
}

/** A collector that lists the records it received, for perRecordEncoder. */
const echo: Answer = (records) => response(200, records.join('\n'));
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function harness(
  answer: Answer,
  opts: Partial<ShipperOptions> & { encoder?: Encoder<string>; readResponse?: ResponseReader; deadLetterDir?: string } = {},
): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-shipper-'));
  const requests: string[][] = [];
  const events: string[] = [];
  const settled: Array<Batch<string>> = [];
  const bufferFree: boolean[] = [];
  const delivered: string[] = [];
  const concurrency = { now: 0, max: 0 };
  const transport: Transport = {
    async post(body) {
      const records = String(body).split('\n').filter(Boolean);
      requests.push(records);
      concurrency.now++;
      concurrency.max = Math.max(concurrency.max, concurrency.now);
      try {
        const result = await answer(records, requests.length);
        if (result.kind === 'response' && result.status >= 200 && result.status < 300) delivered.push(...records);
        return result;
      } finally {
        concurrency.now--;
      }
    },
  };
  const observer: ShipObserver = {
    delivered: (n) => events.push(`delivered ${n}`),
    attemptFailed: (reason, status, consecutive) => events.push(`failed ${status ?? reason} #${consecutive}`),
    retryScheduled: (ms) => events.push(`retry in ${ms}`),
    collectorDropped: (n) => events.push(`collector dropped ${n}`),
    split: (n) => events.push(`split ${n}`),
    deadLettered: (n, reason, status, dropped) => events.push(`dead-lettered ${n} (${status ?? '-'}) dropped ${dropped}`),
  };
  const deadLetter = new DeadLetterFile(opts.deadLetterDir ?? dir, 1 << 20);
  const shipper = new Shipper(
    { encoder: opts.encoder ?? stubEncoder(), readResponse: opts.readResponse ?? readHttpStatus },
    transport,
    {
      maxInFlight: opts.maxInFlight ?? 1,
      backoff: opts.backoff ?? { initialMs: 1, maxMs: 4 },
      retryLimit: opts.retryLimit ?? Infinity,
      compression: opts.compression ?? 'none',
      gzipLevel: 1,
    },
    deadLetter,
    observer,
    (b, free) => {
      settled.push(b);
      bufferFree.push(free);
    },
    () => 0.5,
  );
  const deadLetters = () =>
    existsSync(deadLetter.path)
      ? readFileSync(deadLetter.path, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
  return { shipper, requests, events, settled, bufferFree, delivered, deadLetters, concurrency, dir };
}

const sorted = (xs: string[]) => [...xs].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));

t.test('delivered at the first attempt: settled once, state updated', async (t) => {
  const h = harness(() => response(200));
  const b = batch(names('r', 3));
  h.shipper.enqueue(b);
  await h.shipper.idle();
  t.same(h.requests, [['r0', 'r1', 'r2']]);
  t.same(h.settled, [b]);
  t.same(h.events, ['delivered 3']);
  t.type(h.shipper.state.lastSuccessMs, 'number');
  t.equal(h.shipper.state.consecutiveFailures, 0);
  t.equal(h.shipper.pending, 0);
});

t.test("a batch's buffer is reused only when no socket write of it can be pending", async (t) => {
  // Uncompressed, a batch goes out as it lies in its buffer: an answer that came before
  // the collector read the body (here 503, 413) may leave a write of it queued.
  const h = harness((_records, n) => (n === 1 ? response(200) : n === 2 ? response(503) : n === 3 ? response(200) : response(413)));
  for (const b of [batch(['a0']), batch(['b0']), batch(['c0', 'c1'])]) h.shipper.enqueue(b);
  await h.shipper.idle();
  t.same(h.bufferFree, [true, false, false], 'delivered at once: free; answered otherwise first: kept out of reuse');
  // Compressed, what went out was a copy.
  const g = harness((_records, n) => (n === 1 ? response(503) : response(200)), { compression: 'gzip' });
  g.shipper.enqueue(batch(['d0']));
  await g.shipper.idle();
  t.same(g.bufferFree, [true], 'a gzip body is a copy: the buffer is free');
});

t.test('transient failures (network error, 503, 429, 401, 403) are retried until delivered', async (t) => {
  const answers: HttpResult[] = [
    { kind: 'error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' },
    response(503),
    response(429, '', 2),
    response(401, 'token expired'),
    response(403),
    { kind: 'error', code: 'ETIMEDOUT', message: 'timed out' },
    response(200),
  ];
  const h = harness((_, n) => answers[n - 1]!);
  const b = batch(['r0', 'r1']);
  h.shipper.enqueue(b);
  await h.shipper.idle();
  t.equal(h.requests.length, 7, 'every attempt carried the whole batch');
  t.ok(h.requests.every((r) => r.join() === 'r0,r1'));
  t.same(h.settled, [b], 'settled once, after delivery');
  t.same(h.deadLetters(), [], 'nothing dead-lettered: 401/403 are retried');
  t.same(
    h.events.filter((e) => e.startsWith('failed')),
    [
      'failed ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9 #1',
      'failed 503 #2',
      'failed 429 #3',
      'failed 401 #4',
      'failed 403 #5',
      'failed ETIMEDOUT: timed out #6',
    ],
  );
  t.equal(h.events.filter((e) => e.startsWith('retry')).length, 6);
  t.equal(h.shipper.state.consecutiveFailures, 0, 'reset by the success');
  t.equal(h.shipper.state.lastError, 'ETIMEDOUT: timed out', 'the last error is kept for /status');
  t.equal(h.shipper.state.retrying, 0);
  t.equal(h.shipper.state.nextAttemptMs, undefined);
});

t.test('413: halves until the bodies fit; a record too large alone is dead-lettered', async (t) => {
  // The collector takes at most 3 records per body, and never "BIG".
  const h = harness((records) =>
    records.length > 3 || records.includes('BIG') ? response(413, 'Payload Too Large') : response(200),
  );
  const list = [...names('r', 6), 'BIG', ...names('s', 4)];
  const b = batch(list);
  h.shipper.enqueue(b);
  await h.shipper.idle();
  t.same(sorted(h.delivered.filter((r) => r.startsWith('r'))), names('r', 6));
  t.same(sorted(h.delivered.filter((r) => r.startsWith('s'))), names('s', 4));
  t.equal(h.delivered.length, 10, 'each delivered record once');
  t.notOk(h.delivered.includes('BIG'));
  const dl = h.deadLetters();
  t.equal(dl.length, 1);
  t.equal(dl[0]!.request, 'BIG\n');
  t.equal(dl[0]!.status, 413);
  t.match(dl[0]!.reason, /^HTTP 413: Payload Too Large/);
  t.same(h.settled, [b], 'settled once for the whole batch');
  t.ok(h.events.filter((e) => e.startsWith('split')).length >= 3, 'split several times');
  t.equal(h.concurrency.max, 1, 'splitting never raises the requests in flight');
});

t.test('other 4xx: dead-lettered without a retry, with status, reason and time; acked', async (t) => {
  const reply = `{"error":"mapper_parsing_exception","detail":"${'d'.repeat(2_000)}"}`;
  const h = harness(() => response(400, reply));
  const b = batch(['r0', 'r1']);
  h.shipper.enqueue(b);
  await h.shipper.idle();
  t.equal(h.requests.length, 1, 'not retried');
  t.same(h.settled, [b]);
  const dl = h.deadLetters();
  t.same(
    dl.map((d) => d.request),
    ['r0\n', 'r1\n'],
  );
  for (const d of dl) {
    t.equal(d.status, 400);
    t.equal(d.reason, `HTTP 400: ${reply.slice(0, 1024)}`, 'the reason carries the first KiB of the response');
    t.match(d, { time: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ });
  }
  t.same(h.events.slice(-1), ['dead-lettered 2 (400) dropped 0']);
});

t.test('retry limit: after that many attempts the records are dead-lettered and acked', async (t) => {
  const h = harness(() => response(503, 'busy'), { retryLimit: 3 });
  const b = batch(['r0']);
  h.shipper.enqueue(b);
  await h.shipper.idle();
  t.equal(h.requests.length, 3);
  t.same(h.settled, [b]);
  const dl = h.deadLetters();
  t.equal(dl.length, 1);
  t.equal(dl[0]!.status, 503);
  t.equal(dl[0]!.reason, 'retry limit reached: HTTP 503: busy');
});

/**
 * A response reader that says, per record, delivered / retry / reject (like ES bulk).
 * The collector (`echo`) answers with the names of the records it got, one per line, as
 * a bulk response lists its items in request order.
 */
function perRecordReader(verdict: (record: string, attempt: number) => 'ok' | 'retry' | 'reject'): ResponseReader {
  const attempts = new Map<string, number>();
  return (res, count) => {
    if (res.status !== 200) return classifyStatus(res.status, res.body, res.retryAfterMs);
    const retry: number[] = [];
    const reject: Array<{ index: number; reason: string }> = [];
    const items = res.body.split('\n');
    if (items.length !== count) throw new Error(`${items.length} items for ${count} records`);
    items.forEach((f, index) => {
      const name = f.trim();
      const n = (attempts.get(name) ?? 0) + 1;
      attempts.set(name, n);
      const v = verdict(name, n);
      if (v === 'retry') retry.push(index);
      if (v === 'reject') reject.push({ index, reason: `item ${name} refused` });
    });
    return retry.length === 0 && reject.length === 0 ? { kind: 'delivered' } : { kind: 'partial', retry, reject };
  };
}

t.test('partial: only the failed retryable records go again; rejected ones are dead-lettered', async (t) => {
  // r1 is refused for good; r2 needs two more attempts; r3 one more.
  const readResponse = perRecordReader((r, n) =>
    r === 'r1' ? 'reject' : r === 'r2' && n < 3 ? 'retry' : r === 'r3' && n < 2 ? 'retry' : 'ok',
  );
  const h = harness(echo, { readResponse });
  const b = batch(names('r', 5));
  h.shipper.enqueue(b);
  await h.shipper.idle();
  t.same(h.requests, [names('r', 5), ['r2', 'r3'], ['r2']]);
  t.same(
    h.deadLetters().map((d) => [d.request, d.reason, d.status]),
    [['r1\n', 'item r1 refused', null]],
  );
  t.same(h.settled, [b], 'settled once, when the last record is through');
  const deliveredCounts = h.events.filter((e) => e.startsWith('delivered')).map((e) => Number(e.split(' ')[1]));
  t.equal(
    deliveredCounts.reduce((a, n) => a + n, 0),
    4,
    'records reported delivered: r0, r3, r4 and r2, each once (not the retried or rejected ones)',
  );
});

t.test('partial: the retry limit applies to records sent again too', async (t) => {
  const readResponse = perRecordReader((r) => (r === 'r1' ? 'retry' : 'ok'));
  const h = harness(echo, { readResponse, retryLimit: 3 });
  const b = batch(names('r', 3));
  h.shipper.enqueue(b);
  await waitFor('the batch to settle', () => h.settled.length === 1 || h.requests.length > 10, { timeoutMs: 5_000 });
  t.equal(h.requests.length, 3, `3 attempts, not endless (saw ${h.requests.length})`);
  t.same(h.settled, [b]);
  t.same(
    h.deadLetters().map((d) => d.request),
    ['r1\n'],
  );
  h.shipper.stop();
});

t.test('at most maxInFlight requests at once; every batch settles once', async (t) => {
  const h = harness(
    async () => {
      await new Promise((r) => setTimeout(r, 1 + Math.floor(Math.random() * 5)));
      return Math.random() < 0.3 ? response(503) : response(200);
    },
    { maxInFlight: 3 },
  );
  const batches = Array.from({ length: 40 }, (_, i) => batch(names(`b${i}-`, 3)));
  for (const b of batches) h.shipper.enqueue(b);
  t.ok(h.shipper.inFlight <= 3);
  await h.shipper.idle();
  t.equal(h.concurrency.max, 3, 'three at once, never more');
  t.equal(h.settled.length, 40);
  t.equal(new Set(h.settled).size, 40, 'no batch settled twice');
  t.equal(h.delivered.length, 120);
});

t.test('state while retrying: retrying count and next attempt time, for /status', async (t) => {
  let release: (() => void) | undefined;
  const h = harness(
    (_, n) => {
      if (n === 1) return response(503, 'down');
      return new Promise<HttpResult>((resolve) => (release = () => resolve(response(200))));
    },
    { backoff: { initialMs: 400, maxMs: 400 } },
  );
  const before = Date.now();
  h.shipper.enqueue(batch(['r0']));
  await waitFor('a retry to be scheduled', () => h.shipper.state.retrying === 1);
  const s = h.shipper.state;
  t.equal(s.consecutiveFailures, 1);
  t.equal(s.lastError, 'HTTP 503: down');
  t.type(s.failingSinceMs, 'number');
  t.ok(s.nextAttemptMs! >= before + 100 && s.nextAttemptMs! <= Date.now() + 400, 'next attempt in the future, within the backoff');
  await waitFor('the second attempt', () => release !== undefined);
  t.equal(h.shipper.state.retrying, 0);
  t.equal(h.shipper.state.nextAttemptMs, undefined, 'no retry scheduled while the attempt is out');
  release!();
  await h.shipper.idle();
  t.equal(h.shipper.state.failingSinceMs, undefined);
});

t.test('next attempt time never shows a time already past while another retry waits', async (t) => {
  // "long" waits 1.5 s (Retry-After); "short" waits a few ms, then its second attempt
  // hangs. While it hangs only "long" waits: nextAttemptMs must be long's due time.
  const h = harness(
    (records, n) => {
      if (records[0] === 'long') return response(429, '', 1_500);
      if (n <= 2) return response(503);
      return new Promise<HttpResult>(() => {});
    },
    { maxInFlight: 2, backoff: { initialMs: 20, maxMs: 2_000 } },
  );
  const before = Date.now();
  h.shipper.enqueue(batch(['long']));
  h.shipper.enqueue(batch(['short']));
  await waitFor('the short one to try again', () => h.requests.filter((r) => r[0] === 'short').length === 2);
  t.equal(h.shipper.state.retrying, 1, 'only the long one waits');
  const next = h.shipper.state.nextAttemptMs!;
  t.ok(next >= before + 1_500, `nextAttemptMs is the long one's due time (${next - Date.now()} ms from now)`);
  h.shipper.stop();
  t.equal(h.shipper.state.retrying, 0);
  t.equal(h.shipper.state.nextAttemptMs, undefined);
});

t.test('stop() cuts a retry wait short and leaves the batch unsettled (sent again next run)', async (t) => {
  const h = harness(() => response(503), { backoff: { initialMs: 60_000, maxMs: 60_000 } });
  h.shipper.enqueue(batch(['r0']));
  h.shipper.enqueue(batch(['r1']));
  await waitFor('the wait to begin', () => h.shipper.state.retrying === 1);
  const started = Date.now();
  h.shipper.stop();
  await h.shipper.idle();
  t.ok(Date.now() - started < 1_000, `idle() resolved ${Date.now() - started} ms after stop(), not after the backoff`);
  t.same(h.settled, [], 'nothing settled: the offsets are not acked');
  t.same(h.deadLetters(), [], 'nothing dead-lettered');
  t.equal(h.requests.length, 1, 'no new request after stop(), and the queued batch is not started');
  h.shipper.enqueue(batch(['r2']));
  t.equal(h.requests.length, 1, 'nothing starts after stop()');
});

t.test('stop() while a request is out: a success still settles, a failure does not retry', async (t) => {
  const pending: Array<(r: HttpResult) => void> = [];
  const h = harness(() => new Promise<HttpResult>((resolve) => pending.push(resolve)), { maxInFlight: 2 });
  const ok = batch(['ok']);
  const bad = batch(['bad']);
  h.shipper.enqueue(ok);
  h.shipper.enqueue(bad);
  await waitFor('both out', () => pending.length === 2);
  h.shipper.stop();
  pending[0]!(response(200));
  pending[1]!(response(503));
  await h.shipper.idle();
  await waitFor('both answered', () => h.shipper.inFlight === 0);
  t.same(h.settled, [ok]);
  t.equal(h.requests.length, 2);
});

t.test('idle() resolves at once when nothing is pending', async (t) => {
  const h = harness(() => response(200));
  await h.shipper.idle();
  t.pass();
});

t.test('a dead-letter write that fails neither crashes nor wedges the shipper', async (t) => {
  // The state dir is gone (or the disk is full): the rejected records cannot be kept.
  // They must still be counted and acked, and later batches must flow.
  const h = harness((records) => (records[0] === 'bad' ? response(400, 'no') : response(200)), {
    deadLetterDir: '/nonexistent/tailship-dl',
  });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => process.off('unhandledRejection', onUnhandled));
  const bad = batch(['bad']);
  const good = batch(['good']);
  h.shipper.enqueue(bad);
  h.shipper.enqueue(good);
  await waitFor('both settled', () => h.settled.length === 2 || unhandled.length > 0, { timeoutMs: 5_000 });
  t.same(unhandled, [], 'no unhandled rejection');
  t.same(new Set(h.settled), new Set([bad, good]));
  t.equal(h.shipper.pending, 0);
  t.match(h.events.find((e) => e.startsWith('dead-lettered')), /dead-lettered 1 \(400\) dropped 1/, 'counted as dropped');
});

t.test('a retry reuses the encoded body: no re-encoding or re-compressing per attempt', async (t) => {
  let encoded = 0;
  const base = stubEncoder();
  const encoder: Encoder<string> = {
    ...base,
    body: (fragments) => {
      encoded++;
      return base.body(fragments);
    },
  };
  const h = harness((_, n) => (n < 5 ? response(503) : response(200)), { encoder });
  h.shipper.enqueue(batch(names('r', 4)));
  await h.shipper.idle();
  t.equal(h.requests.length, 5);
  t.equal(encoded, 1, 'one body for five attempts');
  t.ok(h.requests.every((r) => r.join() === 'r0,r1,r2,r3'));
});

t.test('a split or a partial retry gets a body of its own records', async (t) => {
  const h = harness((records) => (records.length > 2 ? response(413) : response(200)));
  h.shipper.enqueue(batch(names('r', 4)));
  await h.shipper.idle();
  t.same(h.requests, [names('r', 4), ['r0', 'r1'], ['r2', 'r3']]);
});
