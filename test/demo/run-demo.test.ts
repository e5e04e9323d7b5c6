// `npm run demo` as a user runs it (the built dist/demo/run-demo.js): it ends when
// tailship ends, with tailship's exit code, and leaves no /tmp/tailship-demo-* behind.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { waitFor } from '../helpers/wait-for.js';

const DEMO = fileURLToPath(new URL('../../dist/demo/run-demo.js', import.meta.url));

/** The demo with its own TMPDIR (so its folder can be looked for) and health port. */
function demo(healthPort: string) {
  const tmp = mkdtempSync(join(tmpdir(), 'tailship-demo-test-'));
  const child = spawn(process.execPath, [DEMO], {
    env: { PATH: process.env['PATH'] ?? '', TMPDIR: tmp, TAILSHIP_HEALTH_PORT: healthPort, TAILSHIP_HEALTH_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { tmp, child, exited, out: () => stdout, err: () => stderr };
}

t.test('tailship cannot start (health port busy): the demo stops with its exit code and cleans up', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const d = demo(String((blocker.address() as { port: number }).port));
  t.teardown(() => d.child.kill('SIGKILL'));
  const exit = await Promise.race([d.exited, new Promise((r) => setTimeout(() => r('still running'), 20_000).unref())]);
  t.same(exit, { code: 78, signal: null }, "tailship's exit code, within seconds");
  t.match(d.err(), /tailship: configuration error: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
  t.match(d.out(), /tailship stopped by itself with code 78/);
  t.same(readdirSync(d.tmp), [], 'the demo folder is removed');
});

t.test('Ctrl-C: tailship drains, the demo exits 0 and cleans up', async (t) => {
  const d = demo('0');
  t.teardown(() => d.child.kill('SIGKILL'));
  await waitFor('records at the demo collector', () => /received [1-9]\d* records/.test(d.out()) || d.child.exitCode !== null, {
    timeoutMs: 20_000,
  });
  t.equal(readdirSync(d.tmp).filter((f) => f.startsWith('tailship-demo-')).length, 1, 'the demo folder exists while it runs');
  d.child.kill('SIGINT');
  t.same(await d.exited, { code: 0, signal: null });
  t.match(d.out(), /tailship exited with code 0; the collector received \d+ records/);
  t.same(readdirSync(d.tmp), [], 'the demo folder is removed');
});
