// Which opened files may be read (src/tail/file-admission.ts), on real files, links, hard
// links and FIFOs; a link swapped between the checks and the open through a file system
// that swaps it at the worst moment. The built process is driven by
// test/e2e/hostile-volume.test.ts.
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { admittingFs, isWithin, RefusedError, type AdmissionOptions, type FollowSymlinks } from '../../src/tail/file-admission.js';
import { nodeFs, type LinkFs, type TailFs } from '../../src/tail/file-system.js';
import { MemoryBudget } from '../../src/ack/memory-budget.js';
import { globSet } from '../../src/tail/glob-set.js';
import { TailManager } from '../../src/tail/tail-manager.js';
import { waitFor } from '../helpers/wait-for.js';

t.test('isWithin: a path below a folder, never a sibling with the same prefix', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['/pod-data/access.log', '/pod-data', true],
    ['/pod-data/a/b.log', '/pod-data', true],
    ['/pod-data', '/pod-data', true],
    ['/pod-data-other/x.log', '/pod-data', false],
    ['/etc/passwd', '/pod-data', false],
    ['/anything', '/', true],
    ['/pod-data/x.log', '/pod-data/', true],
  ];
  for (const [path, dir, within] of cases) t.equal(isWithin(path, dir), within, `${path} in ${dir}`);
});

/** A volume, a secret outside it, and a state dir, in a fresh temp dir. */
function world() {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-admission-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const volume = join(dir, 'volume');
  const outside = join(dir, 'outside');
  const state = join(dir, 'state');
  for (const d of [volume, outside, state]) mkdirSync(d);
  const token = join(outside, 'token');
  writeFileSync(token, 's3cr3t-token-value\n');
  writeFileSync(join(outside, 'other.log'), 'not in the volume\n');
  writeFileSync(join(state, 'checkpoints.json'), '{"version":1,"files":[]}');
  writeFileSync(join(volume, 'access.log'), 'a line\n');
  const opts = (followSymlinks: FollowSymlinks): AdmissionOptions => ({
    followSymlinks,
    roots: [volume],
    protectedFiles: [token],
    stateDir: state,
  });
  return { dir, volume, outside, state, token, opts };
}

/** `open` through the admission: 'ok', or the refusal's reason, or the error code. */
async function verdict(fs: TailFs, path: string): Promise<string> {
  try {
    const fd = await fs.open(path);
    await fs.close(fd);
    return 'ok';
  } catch (error) {
    return error instanceof RefusedError ? error.reason : String((error as NodeJS.ErrnoException).code);
  }
}

t.test('links: within, any and none', async (t) => {
  const w = world();
  symlinkSync(join(w.outside, 'other.log'), join(w.volume, 'escape.log'));
  symlinkSync(join(w.volume, 'access.log'), join(w.volume, 'inside.log'));
  symlinkSync('../outside/other.log', join(w.volume, 'relative.log'));
  mkdirSync(join(w.volume, 'sub'));
  symlinkSync('../access.log', join(w.volume, 'sub', 'up.log'));
  const expected: Record<FollowSymlinks, Record<string, string>> = {
    within: { 'access.log': 'ok', 'inside.log': 'ok', 'sub/up.log': 'ok', 'escape.log': 'outside_volume', 'relative.log': 'outside_volume' },
    any: { 'access.log': 'ok', 'inside.log': 'ok', 'sub/up.log': 'ok', 'escape.log': 'ok', 'relative.log': 'ok' },
    none: { 'access.log': 'ok', 'inside.log': 'symlink', 'sub/up.log': 'symlink', 'escape.log': 'symlink', 'relative.log': 'symlink' },
  };
  for (const mode of ['within', 'any', 'none'] as const) {
    const fs = admittingFs(nodeFs, w.opts(mode));
    for (const [name, want] of Object.entries(expected[mode])) t.equal(await verdict(fs, join(w.volume, name)), want, `${mode}: ${name}`);
  }
});

t.test('a volume reached through a link (the root itself is a link) is the volume', async (t) => {
  const w = world();
  const alias = join(w.dir, 'alias');
  symlinkSync(w.volume, alias);
  const fs = admittingFs(nodeFs, { ...w.opts('within'), roots: [alias] });
  t.equal(await verdict(fs, join(alias, 'access.log')), 'ok');
  t.equal(await verdict(fs, join(w.volume, 'access.log')), 'ok', 'the same folder by its real name');
});

t.test("tailship's own secrets and state are refused by identity, whatever the links setting", async (t) => {
  const w = world();
  symlinkSync(w.token, join(w.volume, 'token.log'));
  // A hard link has no link to see: only its identity tells.
  linkSync(w.token, join(w.volume, 'hard.log'));
  symlinkSync(join(w.state, 'checkpoints.json'), join(w.volume, 'state.log'));
  for (const mode of ['within', 'any', 'none'] as const) {
    const fs = admittingFs(nodeFs, w.opts(mode));
    t.equal(await verdict(fs, join(w.volume, 'hard.log')), 'protected', `${mode}: hard link to the token`);
    const viaLink = await verdict(fs, join(w.volume, 'token.log'));
    t.equal(viaLink, mode === 'none' ? 'symlink' : 'protected', `${mode}: link to the token`);
  }
  const any = admittingFs(nodeFs, w.opts('any'));
  t.equal(await verdict(any, join(w.volume, 'state.log')), 'protected', 'any: link to the checkpoint file');
  t.equal(await verdict(any, join(w.state, 'checkpoints.json')), 'protected', 'the checkpoint file itself');

  // The state dir's files are replaced on every write: a new one is protected too.
  const fs = admittingFs(nodeFs, { ...w.opts('any'), roots: [w.volume, w.state] });
  writeFileSync(join(w.state, 'checkpoints.json.tmp'), '{}');
  renameSync(join(w.state, 'checkpoints.json.tmp'), join(w.state, 'checkpoints.json'));
  linkSync(join(w.state, 'checkpoints.json'), join(w.volume, 'new-state.log'));
  t.equal(await verdict(fs, join(w.volume, 'new-state.log')), 'protected', 'a hard link to the new checkpoint file');

  // A rotated secret (Kubernetes re-points the Secret's link): the new file is protected.
  unlinkSync(w.token);
  writeFileSync(w.token, 'new-token\n');
  linkSync(w.token, join(w.volume, 'new-token.log'));
  t.equal(await verdict(fs, join(w.volume, 'new-token.log')), 'protected', 'the new token');
  // A file that was protected no longer is once replaced: its inode may be reused by a log.
  unlinkSync(join(w.volume, 'new-state.log'));
  writeFileSync(join(w.state, 'dead-letter.ndjson'), 'x\n');
  renameSync(join(w.state, 'dead-letter.ndjson'), join(w.volume, 'moved.log'));
  t.equal(await verdict(fs, join(w.volume, 'moved.log')), 'ok', 'a file moved out of the state dir is a file like another');
});

t.test('only regular files: a FIFO is refused without hanging the open, a directory too', async (t) => {
  const w = world();
  const fifo = join(w.volume, 'pipe.log');
  // mkfifo is in coreutils, on every machine the tests run on.
  t.equal(spawnSync('mkfifo', [fifo]).status, 0, 'FIFO made');
  mkdirSync(join(w.volume, 'dir.log'));
  for (const mode of ['within', 'any', 'none'] as const) {
    const fs = admittingFs(nodeFs, w.opts(mode));
    t.equal(await verdict(fs, fifo), 'not_regular', `${mode}: FIFO`);
    t.equal(await verdict(fs, join(w.volume, 'dir.log')), 'not_regular', `${mode}: directory`);
  }
});

/**
 * The real file system, except that just before `open` the link at `path` is re-pointed
 * at `to` (or replaced by a link, for `none`): the swap an attacker races for.
 */
function swapping(path: string, to: string, opts: { noProc?: boolean } = {}): TailFs & LinkFs {
  return {
    ...nodeFs,
    async open(p, noFollow) {
      if (p === path) {
        const tmp = `${path}.swap`;
        symlinkSync(to, tmp);
        renameSync(tmp, path);
      }
      return nodeFs.open(p, noFollow);
    },
    fdPath: opts.noProc ? async () => undefined : nodeFs.fdPath,
  };
}

t.test('a link swapped between the checks and the open gains nothing', async (t) => {
  const w = world();
  const path = join(w.volume, 'swap.log');
  const secret = join(w.outside, 'other.log');
  for (const noProc of [false, true]) {
    symlinkSync(join(w.volume, 'access.log'), path);
    const fs = admittingFs(swapping(path, secret, { noProc }), w.opts('within'));
    t.equal(await verdict(fs, path), 'outside_volume', noProc ? 'by identity (no /proc)' : 'by the descriptor path');
    unlinkSync(path);
  }
  // `none`: a regular file at the lstat, a link at the open: O_NOFOLLOW refuses it.
  writeFileSync(path, 'regular at first\n');
  t.equal(await verdict(admittingFs(swapping(path, secret), w.opts('none')), path), 'symlink');
  unlinkSync(path);
  // `any` follows links anywhere, but a swap to the token still meets the identity check.
  symlinkSync(join(w.volume, 'access.log'), path);
  t.equal(await verdict(admittingFs(swapping(path, w.token), w.opts('any')), path), 'protected');
  unlinkSync(path);
  // A swap to another file in the volume (rotation by re-pointing a link) is fine.
  writeFileSync(join(w.volume, 'next.log'), 'next\n');
  symlinkSync(join(w.volume, 'access.log'), path);
  t.equal(await verdict(admittingFs(swapping(path, join(w.volume, 'next.log')), w.opts('within')), path), 'ok');
});

t.test('the tail: a refused path is reported once and not opened again until it leads elsewhere', async (t) => {
  const w = world();
  const link = join(w.volume, 'evil.log');
  symlinkSync(w.token, link);
  let opens = 0;
  const counting: TailFs & LinkFs = {
    ...nodeFs,
    open: (p, noFollow) => {
      if (p === link) opens++;
      return nodeFs.open(p, noFollow);
    },
  };
  const refused: string[] = [];
  const lines: string[] = [];
  const tail = new TailManager(
    globSet([`${w.volume}/*.log`], []),
    { host: 'test', startAt: 'beginning', firstRun: true, maxLineBytes: 1024, readChunkBytes: 4096, pollIntervalMs: 20, pollOnly: true, rotateWaitMs: 100, checkpointTtlMs: 60_000 },
    { line: (_t, line) => lines.push(line.toString()), end: () => {} },
    new MemoryBudget(1 << 20),
    {
      fileOpened: () => {},
      fileClosed: () => {},
      truncated: () => {},
      rotated: () => {},
      openFailed: (path, code) => refused.push(`failed ${path} ${code}`),
      refused: (path, reason) => refused.push(`${path.slice(w.volume.length + 1)} ${reason}`),
      bytesRead: () => {},
      failed: (error) => refused.push(`error ${String(error)}`),
    },
    [],
    admittingFs(counting, w.opts('any')),
  );
  t.teardown(() => tail.close());
  await tail.start();
  for (let i = 0; i < 5; i++) await tail.pollNow();
  t.same(refused, ['evil.log protected'], 'reported once');
  t.same(tail.refused(), [{ path: link, reason: 'protected' }], 'listed for /status');
  t.ok(opens <= 1, `opened ${opens} time(s) over 6 scans`);
  // Re-pointed at a file in the volume: looked at again, and read.
  unlinkSync(link);
  symlinkSync(join(w.volume, 'access.log'), link);
  await tail.pollNow();
  t.same(tail.refused(), [], 'no longer refused');
  await waitFor('the volume line', () => lines.includes('a line'));
  t.notOk(lines.some((l) => l.includes('s3cr3t')), 'the secret never read');
});
