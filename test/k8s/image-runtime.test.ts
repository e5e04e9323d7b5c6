// The memory test and the benchmark run tailship with the image's node flags and malloc
// ENV, read from docker/Dockerfile: the reading must find them, or they would measure
// some other runtime than the one users get.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { imageRuntime } from '../helpers/image-runtime.js';

const DOCKERFILE = fileURLToPath(new URL('../../docker/Dockerfile', import.meta.url));

t.test('reads the runtime stage: ENTRYPOINT node flags and MALLOC_* ENV', async (t) => {
  const dockerfile = [
    'FROM node:24 AS build',
    'ENV MALLOC_TOP_PAD_=1',
    'ENTRYPOINT ["/usr/local/bin/node", "--build-stage", "/src/dist/main.js"]',
    'FROM scratch',
    'ENV NODE_ENV=production',
    'ENV MALLOC_ARENA_MAX=2 \\',
    '    MALLOC_MMAP_THRESHOLD_=16384',
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
  // Every malloc setting the Dockerfile names is read (none lost to a form not parsed).
  const named = new Set([...readFileSync(DOCKERFILE, 'utf8').matchAll(/\b(MALLOC_\w+)=/g)].map((m) => m[1]));
  t.ok(named.size > 0);
  t.same(new Set(Object.keys(runtime.env)), named, `env: ${JSON.stringify(runtime.env)}`);
  const run = spawnSync(process.execPath, [...runtime.nodeArgs, '-e', 'process.exit(0)'], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
});
