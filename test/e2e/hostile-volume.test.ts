// The shared volume as an attacker's input (issue 17; README "What tailship refuses to
// read"), through the built process: links out of the volume, links and hard links to
// tailship's own token and state, a FIFO — none of it shipped, each refusal logged once,
// counted and listed in /status — while links inside the volume are still tailed,
// rotation by re-pointing one included. (A link swapped between the check and the open:
// test/tail/file-admission.test.ts, where the swap can be timed.)
import { spawnSync } from 'node:child_process';
import { appendFileSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { TestCollector } from '../helpers/collector.js';
import { startCollector, startTailship, tempDirs } from '../helpers/setup.js';
import type { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

const SECRET = 's3cr3t-token-value';
const REFUSED_MSG = 'file not read: see "What tailship refuses to read" in the README';

/** `tailship_files_refused_total{reason="…"}`, 0 when not there yet. */
async function refusedCount(ts: TailshipProcess, reason: string): Promise<number> {
  const text = (await ts.get('/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith(`tailship_files_refused_total{reason="${reason}"} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** Nothing tailship sent or printed holds the secret (the Authorization header is where it belongs). */
function secretNowhere(t: Test, collector: TestCollector, ts: TailshipProcess): void {
  t.notOk(collector.requests.some((r) => r.body.includes(SECRET)), 'the secret is in no request body');
  t.notOk(ts.stdout.includes(SECRET) || ts.stderr.includes(SECRET), 'nor in tailship\'s output');
}

t.test('default (within): links out, the token by hard link and a FIFO are refused; links inside are tailed', async (t) => {
  const { dir, logs, state } = tempDirs();
  const secrets = join(dir, 'secrets');
  mkdirSync(secrets);
  const token = join(secrets, 'token');
  writeFileSync(token, `${SECRET}\n`);
  const privateFile = join(secrets, 'private.txt');
  writeFileSync(privateFile, 'private-data\n');
  const data = join(logs, 'data');
  mkdirSync(data);
  writeFileSync(join(logs, 'access.log'), 'access.log seq=0\n');
  writeFileSync(join(data, 'app-1.txt'), 'app seq=0\n');
  // What a compromised nginx can leave in the volume.
  symlinkSync(privateFile, join(logs, 'escape.log'));
  symlinkSync(token, join(logs, 'evil.log'));
  linkSync(token, join(logs, 'hard.log')); // the same filesystem here: a hard link works
  t.equal(spawnSync('mkfifo', [join(logs, 'pipe.log')]).status, 0, 'FIFO made');
  // A link inside the volume to a file the globs do not match: read through the link.
  symlinkSync(join(data, 'app-1.txt'), join(logs, 'app.log'));

  const collector = await startCollector(t);
  collector.authorize = (h) => h['authorization'] === `Bearer ${SECRET}`;
  const ts = await startTailship(t, collector, state, {
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_AUTH_BEARER_TOKEN_FILE: token,
    TAILSHIP_ROTATE_WAIT: '200ms',
  });
  await waitFor('the volume lines', () => collector.records.length >= 2);
  // Rotation by re-pointing the link, inside the volume.
  writeFileSync(join(data, 'app-2.txt'), 'app seq=1\n');
  symlinkSync(join(data, 'app-2.txt'), join(logs, 'app.log.tmp'));
  renameSync(join(logs, 'app.log.tmp'), join(logs, 'app.log'));
  appendFileSync(join(logs, 'access.log'), 'access.log seq=1\n');
  await waitFor('the lines after the re-pointing', () => collector.records.length >= 4);

  const want = { outside_volume: 1, protected: 2, not_regular: 1 };
  await waitFor('the refusals counted', async () => {
    for (const [reason, n] of Object.entries(want)) if ((await refusedCount(ts, reason)) !== n) return false;
    return true;
  });
  // Scans and events later (a line written and shipped, three times over): still one
  // warning per path, and nothing more read.
  for (let i = 2; i < 5; i++) {
    appendFileSync(join(logs, 'access.log'), `access.log seq=${i}\n`);
    await waitFor(`line ${i}`, () => collector.records.some((r) => r['message'] === `access.log seq=${i}`));
  }
  for (const [reason, n] of Object.entries(want)) t.equal(await refusedCount(ts, reason), n, `${reason} counted once`);
  const warned = ts.logs.filter((l) => l['msg'] === REFUSED_MSG).map((l) => `${String(l['path']).slice(logs.length + 1)} ${l['reason']}`);
  const expected = ['escape.log outside_volume', 'evil.log protected', 'hard.log protected', 'pipe.log not_regular'];
  t.same(warned.sort(), expected, 'one warning per path');
  const status = await ts.status();
  t.same(
    status.refusedFiles.map((f: { path: string; reason: string }) => `${f.path.slice(logs.length + 1)} ${f.reason}`).sort(),
    expected,
    '/status lists them',
  );
  t.same(
    collector.records.map((r) => `${String(r['file']).slice(logs.length + 1)}: ${r['message']}`).sort(),
    [0, 1, 2, 3, 4].map((i) => `access.log: access.log seq=${i}`).concat(['app.log: app seq=0', 'app.log: app seq=1']),
    'the volume\'s lines, each once, and nothing else',
  );
  secretNowhere(t, collector, ts);
  t.notOk(collector.requests.some((r) => r.body.includes('private-data')), 'nor the file out of the volume');
  t.same(await ts.stop(), { code: 0, signal: null }, 'a FIFO in the volume does not hang the exit');
  secretNowhere(t, collector, ts);
});

t.test('TAILSHIP_FOLLOW_SYMLINKS=any: tailship\'s token and its state dir inside the volume are still refused', async (t) => {
  const { dir, logs } = tempDirs();
  const token = join(dir, 'token');
  writeFileSync(token, `${SECRET}\n`);
  // A state dir inside the watched folder, and globs that match everything in it.
  const state = join(logs, 'state');
  writeFileSync(join(logs, 'access.log'), 'access.log seq=0\n');
  symlinkSync(token, join(logs, 'token.log'));
  symlinkSync(join(state, 'checkpoints.json'), join(logs, 'checkpoint-link.log'));
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, {
    TAILSHIP_INCLUDE: `${logs}/**/*`,
    TAILSHIP_FOLLOW_SYMLINKS: 'any',
    TAILSHIP_AUTH_BEARER_TOKEN_FILE: token,
  });
  await waitFor('the volume line', () => collector.records.length >= 1);
  for (let i = 1; i <= 20; i++) appendFileSync(join(logs, 'access.log'), `access.log seq=${i}\n`);
  await waitFor('every line', () => collector.records.length >= 21);
  // The checkpoint file exists now and has been rewritten: looked at and refused.
  const want = ['checkpoint-link.log protected', 'state/checkpoints.json protected', 'token.log protected'];
  const refused = async () =>
    (await ts.status()).refusedFiles.map((f: { path: string; reason: string }) => `${f.path.slice(logs.length + 1)} ${f.reason}`);
  await waitFor('the token and the state refused', async () => {
    const r = await refused();
    return want.every((w) => r.includes(w));
  });
  t.ok((await refusedCount(ts, 'protected')) >= 3, 'counted');
  t.notOk(collector.records.some((r) => !String(r['message']).startsWith('access.log')), 'only the log was shipped');
  secretNowhere(t, collector, ts);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('TAILSHIP_FOLLOW_SYMLINKS=none: a link is refused even inside the volume; a token file in it too', async (t) => {
  const { logs, state } = tempDirs();
  writeFileSync(join(logs, 'access.log'), 'access.log seq=0\n');
  symlinkSync(join(logs, 'access.log'), join(logs, 'current.log'));
  // The token itself in the watched folder, a regular file the globs match.
  const token = join(logs, 'token.log');
  writeFileSync(token, `${SECRET}\n`);
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, {
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_FOLLOW_SYMLINKS: 'none',
    TAILSHIP_AUTH_BEARER_TOKEN_FILE: token,
  });
  await waitFor('the refusals', async () => (await refusedCount(ts, 'symlink')) === 1 && (await refusedCount(ts, 'protected')) === 1);
  await waitFor('the line', () => collector.records.length >= 1);
  secretNowhere(t, collector, ts);
  t.same(collector.records.map((r) => r['message']), ['access.log seq=0']);
  t.same(collector.records.map((r) => r['file']), [join(logs, 'access.log')], 'read by its own name only');
});

/** How many inotify watches the process holds (each inotify descriptor's fdinfo lists them). */
function inotifyWatches(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      n += (readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').match(/^inotify wd:/gm) ?? []).length;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

t.test('a link to / in the volume: neither watched nor walked', async (t) => {
  const { logs, state } = tempDirs();
  symlinkSync('/', join(logs, 'root'));
  writeFileSync(join(logs, 'access.log'), 'access.log seq=0\n');
  const collector = await startCollector(t);
  const ts = await startTailship(t, collector, state, { TAILSHIP_INCLUDE: `${logs}/**/*.log` });
  await waitFor('the line', () => collector.records.length === 1);
  appendFileSync(join(logs, 'access.log'), 'access.log seq=1\n');
  await waitFor('the next line', () => collector.records.length === 2);
  const watches = inotifyWatches(ts.child.pid!);
  t.ok(watches < 10, `${watches} inotify watches`);
  t.same(await ts.stop(), { code: 0, signal: null });
});

t.test('an invalid TAILSHIP_FOLLOW_SYMLINKS is a clear start-up error', async (t) => {
  const r = spawnSync(process.execPath, ['dist/main.js', '--check-config'], {
    env: { PATH: process.env['PATH'], TAILSHIP_COLLECTOR_URL: 'http://127.0.0.1:1/', TAILSHIP_FOLLOW_SYMLINKS: 'sometimes' },
    encoding: 'utf8',
  });
  t.equal(r.status, 78);
  t.match(r.stderr + r.stdout, /TAILSHIP_FOLLOW_SYMLINKS="sometimes" is invalid: expected one of within, any, none/);
});
