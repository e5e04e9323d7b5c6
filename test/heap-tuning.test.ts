// heap-tuning.ts sizes V8's heap from inside the process, so `node dist/main.js`, the bin
// and the image all get it. Checked in a real node process that loads the built module
// and then makes garbage of which a good part survives a scavenge or two: the pattern
// that makes V8 double its young generation up to its maximum (32 MiB here, more in
// tailship on Node 24). Tuned, it stays small (2 MiB on Node 20, up to 8.5 MiB on Node 24,
// which grows it in smaller steps); with the operator's own heap flags, V8 is left alone.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const TUNING = fileURLToPath(new URL('../dist/heap-tuning.js', import.meta.url));
const MiB = 2 ** 20;

/** Largest new-space size (bytes) seen in a node process that loaded heap-tuning.js first. */
function newSpacePeak(nodeArgs: string[], env: Record<string, string> = {}): number {
  const script = `
    const v8 = require('node:v8');
    let peak = 0, window = [];
    for (let i = 0; i < 1e6; i++) {
      window.push({ i, s: 'line ' + i });
      if (window.length > 20000) window = window.slice(10000);
      if (i % 10000 === 0) {
        const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
        peak = Math.max(peak, ns.space_size);
      }
    }
    process.stdout.write(String(peak));`;
  const run = spawnSync(process.execPath, [...nodeArgs, '--import', TUNING, '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...env },
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return Number(run.stdout);
}

t.test('the young generation stays small', async (t) => {
  const peak = newSpacePeak([]);
  t.ok(peak <= 16 * MiB, `new space at most ${(peak / MiB).toFixed(1)} MiB`);
});

t.test("an operator's heap flags win, on the command line or in NODE_OPTIONS", async (t) => {
  const cli = newSpacePeak(['--max-semi-space-size=16']);
  t.ok(cli > 16 * MiB, `grows as V8 decides: ${(cli / MiB).toFixed(1)} MiB`);
  const env = newSpacePeak([], { NODE_OPTIONS: '--max-semi-space-size=16' });
  t.ok(env > 16 * MiB, `grows as V8 decides: ${(env / MiB).toFixed(1)} MiB`);
});
