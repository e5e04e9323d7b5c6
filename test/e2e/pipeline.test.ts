// The whole pipeline through the built process: real files, a real HTTP collector,
// real probes.
import { appendFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { TestCollector } from '../helpers/collector.js';
import { FAST_SETTINGS } from '../helpers/setup.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

t.test('100,000 lines across three files, plus one created later: each arrives once, in order', async (t) => {
  // Requests run concurrently (TAILSHIP_MAX_IN_FLIGHT), so arrival order across requests
  // is not read order; order is kept within a request and recoverable by offset.
  const dir = mkdtempSync(join(tmpdir(), 'tailship-e2e-'));
  const logs = join(dir, 'logs');
  const collector = new TestCollector();
  await collector.start();
  t.teardown(() => collector.close());
  const files = ['a.log', 'b.log', 'c.log'].map((f) => join(logs, f));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(logs);
  // Part of each file exists before start, the rest is written while it runs.
  for (const f of files) writeFileSync(f, '');
  const ts = new TailshipProcess({
    ...FAST_SETTINGS,
    TAILSHIP_COLLECTOR_URL: collector.url,
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_STATE_DIR: join(dir, 'state'),
  });
  t.teardown(() => ts.kill());
  await ts.ready();

  const perFile = 33_000;
  const expected = new Map<string, string[]>();
  for (const f of files) expected.set(f, []);
  // Interleaved appends of random-sized runs, as three busy writers would produce.
  let written = 0;
  const next = new Map(files.map((f) => [f, 0]));
  while (written < perFile * files.length) {
    for (const f of files) {
      const from = next.get(f)!;
      const to = Math.min(perFile, from + 1 + Math.floor(Math.random() * 2000));
      let chunk = '';
      for (let i = from; i < to; i++) {
        const line = `${f.slice(-5)} seq=${i} GET /index.html?q=${i} HTTP/1.1 200 ${i * 7}`;
        chunk += `${line}\n`;
        expected.get(f)!.push(line);
      }
      appendFileSync(f, chunk);
      written += to - from;
      next.set(f, to);
    }
  }
  const late = join(logs, 'late.log');
  const lateLines: string[] = [];
  for (let i = 0; i < 1_000; i++) lateLines.push(`late seq=${i}`);
  writeFileSync(late, `${lateLines.join('\n')}\n`);
  expected.set(late, lateLines);

  const total = perFile * 3 + lateLines.length;
  await waitFor(`${total} records`, () => collector.records.length >= total, { timeoutMs: 60_000 });
  const byFile = new Map<string, Array<{ offset: number; message: string }>>();
  for (const r of collector.records) {
    const list = byFile.get(r['file']) ?? [];
    list.push({ offset: r['offset'], message: r['message'] });
    byFile.set(r['file'], list);
  }
  for (const [file, lines] of expected) {
    const got = (byFile.get(file) ?? []).sort((a, b) => a.offset - b.offset).map((r) => r.message);
    t.equal(got.length, lines.length, `${file}: count`);
    t.ok(
      got.every((m, i) => m === lines[i]),
      `${file}: every line once, in order`,
    );
  }
  t.equal(collector.records.length, total, 'nothing extra');
  const ids = new Set(collector.records.map((r) => r['id']));
  t.equal(ids.size, total, 'ids are unique');
  let outOfOrder = 0;
  for (const req of collector.requests) {
    const offsets = new Map<string, number>();
    for (const line of req.body.split('\n').filter(Boolean)) {
      const r = JSON.parse(line);
      if ((offsets.get(r.file) ?? -1) >= r.offset) outOfOrder++;
      offsets.set(r.file, r.offset);
    }
  }
  t.equal(outOfOrder, 0, 'in read order within each request');

  const sample = collector.records[0]!;
  t.match(sample, {
    '@timestamp': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    message: String,
    file: String,
    offset: Number,
    id: /^[0-9a-f]{16}-[0-9a-f]+$/,
    host: String,
  });
  const req = collector.requests[0]!;
  t.equal(req.headers['content-type'], 'application/x-ndjson');
  t.equal(req.headers['content-encoding'], 'gzip');
  t.match(req.headers['user-agent'], /^tailship\/\d+\.\d+\.\d+/);

  // Probes and status.
  t.equal((await ts.get('/healthz')).status, 200);
  t.equal((await ts.get('/readyz')).status, 200);
  t.equal((await ts.get('/nope')).status, 404);
  const metrics = (await ts.get('/metrics')).body;
  for (const name of [
    'tailship_lines_read_total',
    'tailship_bytes_read_total',
    'tailship_batches_sent_total',
    'tailship_records_sent_total',
    'tailship_send_failures_total',
    'tailship_retries_total',
    'tailship_files_watched',
  ]) {
    t.match(metrics, new RegExp(`^# TYPE ${name} `, 'm'), `metric ${name}`);
  }
  t.equal(await ts.metric('tailship_lines_read_total'), total);
  t.equal(await ts.metric('tailship_records_sent_total'), total);
  t.equal(await ts.metric('tailship_files_watched'), 4);
  const status = await ts.status();
  t.equal(status.files.length, 4);
  for (const f of status.files) {
    t.equal(f.readOffset, f.size, `${f.path} read to the end`);
    t.equal(f.ackedOffset, f.size, `${f.path} acknowledged to the end`);
  }
  t.type(status.collector.lastSuccessMs, 'number');
  t.equal(status.collector.consecutiveFailures, 0);

  const exit = await ts.stop();
  t.same(exit, { code: 0, signal: null }, 'exits 0 after SIGTERM');
  t.ok(ts.hasLog('stopped'));
});

t.test('SIGTERM flushes a batch still lingering', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-e2e-'));
  const collector = new TestCollector();
  await collector.start();
  t.teardown(() => collector.close());
  const file = join(dir, 'app.log');
  writeFileSync(file, '');
  const ts = new TailshipProcess({
    TAILSHIP_COLLECTOR_URL: collector.url,
    TAILSHIP_INCLUDE: file,
    TAILSHIP_STATE_DIR: join(dir, 'state'),
    TAILSHIP_BATCH_LINGER_MS: '60s',
    TAILSHIP_DRAIN_QUIET: '200ms',
  });
  t.teardown(() => ts.kill());
  await ts.ready();
  appendFileSync(file, 'one\ntwo\n');
  await waitFor('the lines to be read', async () => (await ts.metric('tailship_lines_read_total')) === 2);
  t.equal(collector.records.length, 0, 'held by the linger');
  t.same(await ts.stop(), { code: 0, signal: null });
  t.same(
    collector.records.map((r) => r['message']),
    ['one', 'two'],
  );
});

t.test('a missing collector URL exits 78 with one line naming it', async (t) => {
  const ts = new TailshipProcess({});
  const exit = await ts.exited;
  t.equal(exit.code, 78);
  t.match(ts.stderr, /TAILSHIP_COLLECTOR_URL is required/);
  t.equal(ts.stderr.trim().split('\n').length, 1, 'one line');

  const misspelt = new TailshipProcess({ TAILSHIP_COLECTOR_URL: 'http://127.0.0.1:9/' });
  t.equal((await misspelt.exited).code, 78);
  t.match(misspelt.stderr, /^tailship: configuration error: TAILSHIP_COLLECTOR_URL is required: .*; TAILSHIP_COLECTOR_URL is set: did you mean TAILSHIP_COLLECTOR_URL\?\n$/);

  // What Kubernetes leaves when COLLECTOR_HOST is not defined: no start, no minute of failed sends.
  const unexpanded = new TailshipProcess({ TAILSHIP_COLLECTOR_URL: 'http://$(COLLECTOR_HOST):9880/' });
  t.equal((await unexpanded.exited).code, 78);
  t.match(unexpanded.stderr, /^tailship: configuration error: TAILSHIP_COLLECTOR_URL=.* holds \$\(COLLECTOR_HOST\), a reference that Kubernetes did not expand/);
  t.equal(unexpanded.stdout, '', 'never started');
});

t.test('a bad value exits 78; --check-config prints the effective config; --version', async (t) => {
  const bad = new TailshipProcess({ TAILSHIP_COLLECTOR_URL: 'http://c/', TAILSHIP_BATCH_MAX_BYTES: '12 apples' });
  t.equal((await bad.exited).code, 78);
  t.match(bad.stderr, /TAILSHIP_BATCH_MAX_BYTES="12 apples" is invalid: expected a size/);

  const check = new TailshipProcess(
    { TAILSHIP_COLLECTOR_URL: 'http://u:secret-pw@c:9/', TAILSHIP_BATCH_MAX_BYTE: '1MiB' },
    ['--check-config'],
  );
  t.equal((await check.exited).code, 0);
  const shown = JSON.parse(check.stdout);
  t.equal(shown.batch.maxBytes, 1024 * 1024);
  t.notMatch(check.stdout, /secret-pw/);
  t.match(check.stderr, /did you mean TAILSHIP_BATCH_MAX_BYTES/);

  const version = new TailshipProcess({}, ['--version']);
  t.equal((await version.exited).code, 0);
  t.match(version.stdout, /^tailship \d+\.\d+\.\d+\n$/);
});

t.test('an unknown flag is a usage error (exit 64), not a normal start', async (t) => {
  const ts = new TailshipProcess({ TAILSHIP_COLLECTOR_URL: 'http://127.0.0.1:9/' }, ['--chek-config']);
  t.teardown(() => ts.kill());
  t.equal((await ts.exited).code, 64, 'EX_USAGE');
  t.equal(ts.stderr, 'tailship: unknown option --chek-config; did you mean --check-config?\nUsage: tailship [--check-config | --version | --help]\n');
  t.equal(ts.stdout, '', 'nothing started: no log line');
});

t.test('a state dir that cannot be created: one line on stderr, exit 78, and --check-config says the same', async (t) => {
  // Not even root can create a directory in /proc.
  const env = { TAILSHIP_COLLECTOR_URL: 'http://127.0.0.1:9/', TAILSHIP_STATE_DIR: '/proc/tailship' };
  const want = 'tailship: configuration error: state dir /proc/tailship cannot be created (ENOENT); set TAILSHIP_STATE_DIR to a writable volume\n';
  const ts = new TailshipProcess(env);
  t.equal((await ts.exited).code, 78);
  t.equal(ts.stderr, want);
  t.equal(ts.stdout, '', 'no JSON log: the error is the one line');
  const check = new TailshipProcess(env, ['--check-config']);
  t.equal((await check.exited).code, 78, '--check-config runs the same check');
  t.equal(check.stderr, want, 'with the same message');
  t.equal(check.stdout, '', 'and prints no configuration');

  // A misspelling of the variable is named with the error (most often the failing value
  // is the default, used because the name was misspelt).
  const misspelt = new TailshipProcess({ ...env, TAILSHIP_STATE_DIRR: '/tmp/x' });
  t.equal((await misspelt.exited).code, 78);
  t.equal(misspelt.stderr, `${want.trimEnd()}; TAILSHIP_STATE_DIRR is set: did you mean TAILSHIP_STATE_DIR?\n`);
});

t.test('--check-config passes what start-up accepts, and leaves the state dir as it found it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-e2e-'));
  const check = new TailshipProcess({ TAILSHIP_COLLECTOR_URL: 'http://127.0.0.1:9/', TAILSHIP_STATE_DIR: join(dir, 'a', 'state') }, ['--check-config']);
  t.equal((await check.exited).code, 0, check.stderr);
  t.equal(JSON.parse(check.stdout).state.dir, join(dir, 'a', 'state'));
  t.same(readdirSync(dir), [], 'the folders it made to check them are gone');
});

t.test('a health port in use is a clear start-up error', async (t) => {
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'tailship-e2e-'));
  const ts = new TailshipProcess({
    TAILSHIP_COLLECTOR_URL: 'http://127.0.0.1:9/',
    TAILSHIP_STATE_DIR: join(dir, 'state'),
    TAILSHIP_HEALTH_PORT: String(port),
  });
  t.equal((await ts.exited).code, 78);
  t.match(ts.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\); set TAILSHIP_HEALTH_PORT`));
});
