// The memory test and the benchmark run tailship with the image's node flags and malloc
// ENV, read from docker/Dockerfile: the reading must find them, or they would measure
// some other runtime than the one users get.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { imageRuntime } from '../helpers/image-runtime.js';

t.test('reads the ENTRYPOINT node flags and the MALLOC_* ENV', async (t) => {
  const dockerfile = [
    'FROM scratch',
    'ENV NODE_ENV=production',
    'ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=16384',
    'ENV OTHER=1',
    'ENTRYPOINT ["/usr/local/bin/node", "--max-semi-space-size=4", "--heap-growing-percent=100", "/app/dist/main.js"]',
  ].join('\n');
  t.same(imageRuntime(dockerfile), {
    nodeArgs: ['--max-semi-space-size=4', '--heap-growing-percent=100'],
    env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '16384' },
  });
  t.throws(() => imageRuntime('FROM scratch\nCMD ["node"]'), /no exec-form ENTRYPOINT/);
  t.throws(() => imageRuntime('ENTRYPOINT ["/usr/local/bin/node", "-e", "1"]'), /does not run main.js/);
});

t.test('the real Dockerfile gives node flags that this node accepts', async (t) => {
  const runtime = imageRuntime();
  t.ok(runtime.nodeArgs.length > 0, `flags: ${runtime.nodeArgs.join(' ')}`);
  t.ok(Object.keys(runtime.env).length > 0, `env: ${JSON.stringify(runtime.env)}`);
  const run = spawnSync(process.execPath, [...runtime.nodeArgs, '-e', 'process.exit(0)'], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
});
