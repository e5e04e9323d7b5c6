// Tailing that loses nothing: rotation, truncation, crashes, inode reuse, deletion,
// long lines, bad bytes, late directories and many files — through the built process.
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, renameSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, unlinkSync, writeFileSync, copyFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { checkSequences, runWriter } from '../helpers/sequences.js';
import { startCollector, startTailship, tempDirs } from '../helpers/setup.js';
import { MAIN } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

const messages = (records: Array<Record<string, any>>) => records.map((r) => r['message'] as string);

t.test('rename + create every 200 ms while writing at speed: nothing lost, nothing twice', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, {
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_ROTATE_WAIT: '1s',
  });
  const path = join(logs, 'access.log');
  // 100,000 lines over ~5 s, the file renamed away and recreated every 200 ms.
  const { written, rotations } = await runWriter(path, 100_000, 200, 10, 'rotate', 200);
  t.ok(rotations >= 15, `${rotations} rotations`);
  await waitFor(`${written} records`, () => collector.records.length >= written, { timeoutMs: 60_000 });
  const { missing, duplicated, unexpected } = checkSequences(messages(collector.records), new Map([['access.log', written]]));
  t.same([...missing], [], 'zero lost');
  t.same([...duplicated], [], 'zero duplicated');
  t.same(unexpected, []);
  // Each rotation is seen at the path, or the generation it made is found afterwards.
  const seen = (await ts.metric('tailship_rotations_total')) + (await ts.metric('tailship_rotated_generations_found_total'));
  t.ok(seen >= rotations - 1, `rotations counted: ${seen} of ${rotations}`);
  // Every rotated file is closed once quiet for the rotate-wait window.
  await waitFor('rotated files closed', async () => (await ts.metric('tailship_files_watched')) === 1, { timeoutMs: 10_000 });
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('copytruncate while writing: every line written after the truncation arrives', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, { TAILSHIP_INCLUDE: `${logs}/*.log` });
  const path = join(logs, 'app.log');
  const before = Array.from({ length: 2000 }, (_, i) => `app.log seq=${i} before`);
  writeFileSync(path, `${before.join('\n')}\n`);
  await waitFor('the first lines', () => collector.records.length === before.length);
  // copytruncate, then lines written at once — more bytes than before, so the file is
  // larger than our offset when we look: only its changed first bytes tell.
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  const after = Array.from({ length: 3000 }, (_, i) => `app.log seq=${2000 + i} after the truncation`);
  appendFileSync(path, `${after.join('\n')}\n`);
  await waitFor('the lines after truncation', () => collector.records.length >= before.length + after.length);
  const got = messages(collector.records);
  const { missing, duplicated } = checkSequences(got, new Map([['app.log', 5000]]));
  t.same([...missing], [], 'every line arrived');
  t.same([...duplicated], [], 'none twice');
  t.equal(await ts.metric('tailship_truncations_total'), 1, 'truncation counted');
  t.ok(ts.logs.some((l) => l['msg'] === 'file truncated; reading it again from the start' && l['level'] === 'warn'));
  // Records after the truncation have new ids even though offsets restarted.
  const ids = new Set(collector.records.map((r) => r['id']));
  t.equal(ids.size, collector.records.length, 'ids stay unique across the truncation');
});

t.test('copytruncate while a writer is running', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, { TAILSHIP_INCLUDE: `${logs}/*.log` });
  const path = join(logs, 'busy.log');
  const { written, rotations } = await runWriter(path, 20_000, 100, 10, 'copytruncate', 500);
  t.ok(rotations >= 3, `${rotations} truncations`);
  // Lines between our last read and a truncation are in the copy only (copytruncate's
  // known window), so only lines written after the last truncation must all arrive.
  const lastCopy = readFileSync(`${path}.${rotations}`, 'utf8').trimEnd().split('\n');
  const lastSeqBefore = Number(/seq=(\d+)/.exec(lastCopy.at(-1)!)![1]);
  await waitFor('the lines after the last truncation', () => {
    const seqs = new Set(messages(collector.records).map((m) => Number(/seq=(\d+)/.exec(m)![1])));
    for (let s = lastSeqBefore + 1; s < written; s++) if (!seqs.has(s)) return false;
    return true;
  });
  await waitFor('truncations counted', async () => (await ts.metric('tailship_truncations_total')) >= 1);
  t.pass(`lines ${lastSeqBefore + 1}..${written - 1} all arrived`);
});

t.test('SIGKILL five times during a 200,000-line write: zero lost, duplicates only from the unacked window', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const env = { TAILSHIP_INCLUDE: `${logs}/*.log`, TAILSHIP_CHECKPOINT_INTERVAL: '200ms' };
  const path = join(logs, 'crash.log');
  const writer = runWriter(path, 200_000, 400, 10, undefined);
  // For each crash: the checkpointed offset, and the highest offset delivered before it.
  const windows: Array<{ checkpoint: number; delivered: number }> = [];
  for (let i = 0; i < 5; i++) {
    const ts = await startTailship(t, collector, state, env);
    const target = collector.records.length + 15_000;
    await waitFor('progress before the kill', () => collector.records.length >= target, { timeoutMs: 30_000 });
    await ts.kill();
    // No checkpoint yet (killed within its first interval) means offset 0.
    let saved = { files: [] as Array<{ path: string; offset: number }> };
    try {
      saved = JSON.parse(readFileSync(join(state, 'checkpoints.json'), 'utf8'));
    } catch {}
    windows.push({
      checkpoint: saved.files.find((f) => f.path === path)?.offset ?? 0,
      // A loop, not Math.max(...records): spreading 100k+ arguments overflows the stack.
      delivered: collector.records.reduce((max, r) => Math.max(max, r['offset'] as number), 0),
    });
  }
  const { written } = await writer;
  const ts = await startTailship(t, collector, state, env);
  await waitFor('every line', () => {
    const { missing } = checkSequences(messages(collector.records), new Map([['crash.log', written]]));
    return missing.size === 0;
  }, { timeoutMs: 60_000 });
  const { duplicated, unexpected } = checkSequences(messages(collector.records), new Map([['crash.log', written]]));
  t.same(unexpected, []);
  const byOffset = new Map<number, { count: number; ids: Set<string> }>();
  for (const r of collector.records) {
    const e = byOffset.get(r['offset']) ?? { count: 0, ids: new Set<string>() };
    e.count++;
    e.ids.add(r['id']);
    byOffset.set(r['offset'], e);
  }
  let outsideWindow = 0;
  for (const [offset, e] of byOffset) {
    // A line may come again once per crash whose unacked window held it.
    const allowed = 1 + windows.filter((w) => offset >= w.checkpoint && offset <= w.delivered).length;
    if (e.count > allowed) outsideWindow++;
  }
  t.equal(outsideWindow, 0, 'no line re-sent from before a checkpoint');
  t.ok([...byOffset.values()].every((e) => e.ids.size === 1), 'a re-sent line has the same id');
  const dups = duplicated.get('crash.log')?.length ?? 0;
  t.comment(`duplicates after 5 SIGKILLs: ${dups} of ${written} lines`);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('a file that reuses a checkpointed inode with other content is read from 0', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const path = join(logs, 'reuse.log');
  writeFileSync(path, 'new file line 0\nnew file line 1\n');
  const st = statSync(path);
  // A checkpoint as a previous run would have left it for a deleted file with the same
  // dev:inode: an offset into it and the fingerprint of its (different) first bytes.
  mkdirSync(state, { recursive: true });
  const entry = (fpHash: string) => ({ key: 'feedfacefeedface', dev: st.dev, ino: st.ino, fpLen: 16, fpHash, offset: 16, path, seenMs: Date.now() });
  writeFileSync(join(state, 'checkpoints.json'), JSON.stringify({ version: 1, files: [entry('0123456789abcdef')] }));
  const ts = await startTailship(t, collector, state, { TAILSHIP_INCLUDE: `${logs}/*.log` });
  await waitFor('both lines', () => collector.records.length >= 2);
  t.same(messages(collector.records), ['new file line 0', 'new file line 1'], 'read from the start');
  t.notOk(collector.records.some((r) => String(r['id']).startsWith('feedface')), 'a new key, so new ids');
  await ts.stop();

  // Control: the same entry with the file's real fingerprint resumes at its offset.
  const { createHash } = await import('node:crypto');
  const real = createHash('sha256').update(readFileSync(path).subarray(0, 16)).digest('hex').slice(0, 16);
  const { state: state2 } = tempDirs();
  mkdirSync(state2, { recursive: true });
  writeFileSync(join(state2, 'checkpoints.json'), JSON.stringify({ version: 1, files: [entry(real)] }));
  const collector2 = await startCollector(t);
  const ts2 = await startTailship(t, collector2, state2, { TAILSHIP_INCLUDE: `${logs}/*.log` });
  await waitFor('the second line', () => collector2.records.length >= 1);
  t.same(messages(collector2.records), ['new file line 1'], 'resumed at the checkpointed offset');
  t.match(collector2.records[0]!['id'], /^feedfacefeedface-/, 'with the checkpointed key');
  await ts2.stop();
});

t.test('a corrupt checkpoint file is set aside with a warning', async (t) => {
  const { logs, state } = tempDirs();
  mkdirSync(state);
  writeFileSync(join(state, 'checkpoints.json'), '{"version":1,"files":[{"key":');
  writeFileSync(join(logs, 'x.log'), 'still shipped\n');
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, { TAILSHIP_INCLUDE: `${logs}/*.log` });
  await waitFor('the line', () => collector.records.length === 1);
  t.ok(readdirSync(state).some((f) => f.startsWith('checkpoints.json.corrupt-')), 'moved aside');
  t.ok(ts.logs.some((l) => l['level'] === 'warn' && /checkpoint file unreadable/.test(l['msg'])));
});

t.test('a deleted file with unread data is drained, then its descriptor closed', async (t) => {
  const { logs, state } = tempDirs();
  let release: (() => void) | undefined;
  const held = new Promise<void>((r) => (release = r));
  let open = true;
  // The collector stalls until released, so the memory budget fills and reading stops.
  const collector = await startCollector(t, () => (open ? undefined : 'hang'));
  open = false;
  const ts = await startTailship(t, collector, state, {
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_MEMORY_LIMIT: '1MiB',
    TAILSHIP_BATCH_MAX_BYTES: '128KiB',
    TAILSHIP_REQUEST_TIMEOUT: '1s',
    TAILSHIP_ROTATE_WAIT: '200ms',
  });
  const path = join(logs, 'doomed.log');
  const lines = 40_000;
  let text = '';
  for (let i = 0; i < lines; i++) text += `doomed.log seq=${i} ${'y'.repeat(100)}\n`;
  writeFileSync(path, text);
  const stopped = await waitFor('reading to stop at the budget', async () => {
    const s = await ts.status();
    return s.files.length === 1 && s.files[0].readOffset < s.files[0].size && s.memory.usedBytes >= s.memory.limitBytes
      ? s
      : undefined;
  });
  // 1 MiB is below the read-ahead of 128 KiB batches (9 × 128 KiB): the budget is what binds.
  t.equal(stopped.memory.limitBytes, 1024 * 1024, 'reading stopped at TAILSHIP_MEMORY_LIMIT');
  unlinkSync(path);
  open = true;
  release!();
  await held;
  await waitFor('every line of the deleted file', () => collector.records.length >= lines, { timeoutMs: 60_000 });
  const { missing, duplicated } = checkSequences(messages(collector.records), new Map([['doomed.log', lines]]));
  t.same([...missing], []);
  t.same([...duplicated], []);
  const pid = ts.child.pid!;
  await waitFor('no descriptor left on the deleted file', () =>
    readdirSync(`/proc/${pid}/fd`).every((fd) => {
      try {
        return !readlinkSync(`/proc/${pid}/fd/${fd}`).includes('doomed.log');
      } catch {
        return true;
      }
    }),
  );
  t.pass('descriptor closed');
});

t.test('a 50 MiB line with no newline among normal lines: cut, marked, memory bounded', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, { TAILSHIP_INCLUDE: `${logs}/*.log` });
  const path = join(logs, 'huge.log');
  appendFileSync(path, 'before\n');
  const mib = Buffer.alloc(1024 * 1024, 0x7a);
  let peakKb = 0;
  const sample = () => {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${ts.child.pid}/status`, 'utf8'));
    peakKb = Math.max(peakKb, Number(m?.[1] ?? 0));
  };
  for (let i = 0; i < 50; i++) {
    appendFileSync(path, mib);
    sample();
  }
  appendFileSync(path, '\nafter\n');
  await waitFor('three records', () => {
    sample();
    return collector.records.length >= 3;
  });
  const [a, huge, b] = collector.records;
  t.equal(a!['message'], 'before');
  t.equal(huge!['truncated'], true, 'marked truncated');
  t.equal(huge!['message'].length, 256 * 1024, 'cut to TAILSHIP_MAX_LINE_BYTES');
  t.equal(b!['message'], 'after');
  t.equal(b!['offset'], 7 + 50 * 1024 * 1024 + 1, 'offsets count the dropped bytes');
  t.equal(await ts.metric('tailship_lines_truncated_total'), 1);
  t.ok(peakKb < 200 * 1024, `peak RSS ${Math.round(peakKb / 1024)} MiB < 200 MiB`);
  t.comment(`peak RSS with a 50 MiB line: ${Math.round(peakKb / 1024)} MiB`);
});

t.test('invalid UTF-8, NUL and control bytes still make valid JSON', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  await startTailship(t, collector, state, { TAILSHIP_INCLUDE: `${logs}/*.log` });
  const bytes = Buffer.concat([
    Buffer.from('bad \xff\xfe utf8\n', 'latin1'),
    Buffer.from('nul \0 and bell \x07 and esc \x1b[31m\n', 'latin1'),
    Buffer.from('quote " backslash \\ tab \t\n'),
    Buffer.from('truncated multibyte \xe2\x82\n', 'latin1'),
    Buffer.from('ok ünïcödé ✓\n'),
  ]);
  writeFileSync(join(logs, 'bytes.log'), bytes);
  // The collector JSON.parses every line it accepts: a broken body would fail the test.
  await waitFor('five records', () => collector.records.length >= 5);
  t.same(messages(collector.records), [
    'bad \ufffd\ufffd utf8',
    'nul \u0000 and bell \u0007 and esc \u001b[31m',
    'quote " backslash \\ tab \t',
    'truncated multibyte \ufffd',
    'ok ünïcödé ✓',
  ]);
  t.ok(collector.requests.every((r) => !/[\u0000-\u0008]/.test(r.body)), 'control bytes are escaped on the wire');
});

t.test('a directory created after start, a symlinked file, and 1,000 files', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, { TAILSHIP_INCLUDE: `${logs}/**/*.log` });
  const late = join(logs, 'later', 'deeper');
  mkdirSync(late, { recursive: true });
  writeFileSync(join(late, 'late.log'), 'late.log seq=0\n');
  await waitFor('the late file', () => collector.records.length === 1);
  // A symlink to a watched file: the same identity, tailed once.
  symlinkSync(join(late, 'late.log'), join(logs, 'link.log'));
  appendFileSync(join(late, 'late.log'), 'late.log seq=1\n');
  await waitFor('the second line', () => collector.records.length >= 2);

  const many = join(logs, 'many');
  mkdirSync(many);
  const expected = new Map<string, number>([['late.log', 2]]);
  for (let f = 0; f < 1000; f++) {
    const name = `f${f}.log`;
    let s = '';
    for (let i = 0; i < 100; i++) s += `${name} seq=${i}\n`;
    writeFileSync(join(many, name), s);
    expected.set(name, 100);
  }
  await waitFor('100,002 records', () => collector.records.length >= 100_002, { timeoutMs: 60_000 });
  // Settle: the symlink must not bring a second copy later.
  await waitFor('a scan after the last file', async () => (await ts.metric('tailship_files_watched')) === 1001);
  const { missing, duplicated, unexpected } = checkSequences(messages(collector.records), expected);
  t.same([...missing], []);
  t.same([...duplicated], [], 'the symlinked file is not read twice');
  t.same(unexpected, []);
});

/**
 * Root reads every file, so the permission test runs tailship as `nobody` when the suite
 * runs as root (CI does) — if `nobody` can reach the built code from here.
 */
function unprivileged(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = { uid: 65534, gid: 65534 };
  const probe = spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(MAIN)})`], user);
  return probe.status === 0 ? user : undefined;
}

const user = unprivileged();
const cannotDeny = process.getuid?.() === 0 && !user;
t.test('a file that cannot be read is reported, retried, and does not stop the others', { skip: cannotDeny ? 'running as root, and user nobody cannot reach dist/main.js from here' : false }, async (t) => {
  const { dir, logs, state } = tempDirs();
  // tailship (perhaps as nobody) must reach the logs and create its state dir.
  chmodSync(dir, 0o777);
  chmodSync(logs, 0o755);
  writeFileSync(join(logs, 'secret.log'), 'hidden\n');
  chmodSync(join(logs, 'secret.log'), 0o000);
  writeFileSync(join(logs, 'open.log'), 'visible\n');
  chmodSync(join(logs, 'open.log'), 0o644);
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, { TAILSHIP_INCLUDE: `${logs}/*.log` }, user);
  await waitFor('the readable file', () => collector.records.length === 1);
  const s = await ts.status();
  t.same(s.fileErrors, [{ path: join(logs, 'secret.log'), code: 'EACCES' }], 'listed in /status');
  t.equal(await ts.metric('tailship_file_open_errors_total{code="EACCES"}'), 1, 'counted once, not per retry');
  t.ok(ts.logs.some((l) => l['msg'] === 'cannot read file; will retry' && l['code'] === 'EACCES'), 'logged');
  chmodSync(join(logs, 'secret.log'), 0o644);
  await waitFor('the file once readable', () => collector.records.length === 2);
  t.same(messages(collector.records).sort(), ['hidden', 'visible']);
  await waitFor('the error cleared', async () => (await ts.status()).fileErrors.length === 0);
});

t.test('TAILSHIP_START_AT=end skips what files held at start, not files created later', async (t) => {
  const { logs, state } = tempDirs();
  writeFileSync(join(logs, 'old.log'), 'old.log seq=0 before start\nold.log seq=1 before start\n');
  const collector = await startCollector(t);
  await startTailship(t, collector, state, { TAILSHIP_INCLUDE: `${logs}/*.log`, TAILSHIP_START_AT: 'end' });
  appendFileSync(join(logs, 'old.log'), 'old.log seq=2 after start\n');
  writeFileSync(join(logs, 'new.log'), 'new.log seq=0 created after start\n');
  await waitFor('two records', () => collector.records.length >= 2);
  t.same(messages(collector.records).sort(), ['new.log seq=0 created after start', 'old.log seq=2 after start']);
});

t.test('TAILSHIP_POLL_ONLY: no filesystem events, the periodic scan finds and follows files', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, {
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_POLL_ONLY: 'true',
    TAILSHIP_POLL_INTERVAL: '200ms',
    TAILSHIP_ROTATE_WAIT: '300ms',
  });
  // Each step waits for its lines: a file renamed away before any scan saw it at its
  // watched path would be invisible to polling, so the test does not race the poll.
  const path = join(logs, 'polled.log');
  let seq = 0;
  const write = (n: number) => {
    let text = '';
    for (let i = 0; i < n; i++) text += `polled.log seq=${seq++}\n`;
    appendFileSync(path, text);
  };
  for (let round = 1; round <= 3; round++) {
    write(1000);
    await waitFor(`round ${round}`, () => collector.records.length >= seq);
    renameSync(path, `${path}.${round}`);
    write(10); // the next lines create a new file at the path
  }
  await waitFor('every line', () => collector.records.length >= seq);
  const { missing, duplicated } = checkSequences(messages(collector.records), new Map([['polled.log', seq]]));
  t.same([...missing], [], 'zero lost');
  t.same([...duplicated], [], 'zero duplicated');
  t.ok((await ts.metric('tailship_rotations_total')) >= 3, 'three rotations seen');
});

t.test('a file rotated away while tailship was down is found by its checkpoint and drained', async (t) => {
  const { logs, state } = tempDirs();
  let up = false;
  const collector = await startCollector(t, () => (up ? undefined : { status: 503 }));
  const env = { TAILSHIP_INCLUDE: `${logs}/*.log`, TAILSHIP_DRAIN_TIMEOUT: '300ms' };
  const path = join(logs, 'access.log');
  writeFileSync(path, Array.from({ length: 1000 }, (_, i) => `access.log seq=${i}`).join('\n') + '\n');
  const first = await startTailship(t, collector, state, env);
  await waitFor('the lines read and the checkpoint written', async () => {
    const s = await first.status();
    return s.files[0]?.readOffset === s.files[0]?.size && collector.requests.length > 0;
  });
  t.same(await first.stop(), { code: 0, signal: null }, 'drain deadline passes with data unacknowledged');
  t.equal(collector.records.length, 0, 'nothing delivered yet');
  // logrotate runs while tailship is down: the file leaves the globs.
  renameSync(path, `${path}.1`);
  writeFileSync(path, 'access.log seq=1000\n');
  up = true;
  await startTailship(t, collector, state, env);
  await waitFor('every line', () => collector.records.length >= 1001);
  const { missing, duplicated } = checkSequences(messages(collector.records), new Map([['access.log', 1001]]));
  t.same([...missing], [], 'the rotated file was drained from its checkpoint');
  t.same([...duplicated], []);
});

t.test('a quiet file, rotated, still gets what the writer adds before it reopens', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, { TAILSHIP_INCLUDE: `${logs}/*.log`, TAILSHIP_ROTATE_WAIT: '2s' });
  const path = join(logs, 'error.log');
  const { openSync, writeSync, closeSync } = await import('node:fs');
  const fd = openSync(path, 'a');
  t.teardown(() => closeSync(fd));
  writeSync(fd, 'error.log seq=0 before\n');
  const lastWrite = Date.now();
  await waitFor('the first line', () => collector.records.length === 1);
  // Quiet for longer than the rotate wait, as an error log is.
  await waitFor('a quiet spell longer than the rotate wait', () => Date.now() - lastWrite > 2500, { timeoutMs: 5_000 });
  renameSync(path, `${path}.1`);
  await waitFor('the rotation seen', async () => (await ts.metric('tailship_rotations_total')) === 1);
  // nginx has not reopened yet: it writes to the renamed file.
  writeSync(fd, 'error.log seq=1 after the rename\n');
  await waitFor('the line written after the rename', () => collector.records.length === 2);
  t.same(messages(collector.records), ['error.log seq=0 before', 'error.log seq=1 after the rename']);
});

t.test('TAILSHIP_START_AT=end applies to the first run only: a file created while down is read whole', async (t) => {
  const { logs, state } = tempDirs();
  const collector = await startCollector(t);
  const env = { TAILSHIP_INCLUDE: `${logs}/*.log`, TAILSHIP_START_AT: 'end' };
  writeFileSync(join(logs, 'old.log'), 'old.log seq=0 skipped on the first run\n');
  const first = await startTailship(t, collector, state, env);
  await waitFor('the checkpoint file', async () => (await first.status()).files.length === 1);
  t.same(await first.stop(), { code: 0, signal: null });
  writeFileSync(join(logs, 'new.log'), 'new.log seq=0 written while down\n');
  await startTailship(t, collector, state, env);
  await waitFor('the new file', () => collector.records.length >= 1);
  t.same(messages(collector.records), ['new.log seq=0 written while down']);
});
