// The memory test runs tailship with the image's node flags and malloc ENV, read from
// docker/Dockerfile: the reading must find them, or it would measure some other runtime
// than the one users get. Today the image has none (heap-tuning.ts does it in-process).
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

t.test('the image runs tailship as `node dist/main.js` does: no node flags, no malloc ENV', async (t) => {
  // tailship sizes V8's heap itself (src/heap-tuning.ts); a heap flag on the ENTRYPOINT
  // would turn that off in the image only, and a MALLOC_* setting would reach the image
  // only: both would make the image's memory and CPU differ from every other way to run it.
  const runtime = imageRuntime();
  t.same(runtime.nodeArgs, []);
  t.same(runtime.env, {});
  t.notMatch(readFileSync(DOCKERFILE, 'utf8'), /^ENV\s.*\bMALLOC_\w+=/m);
});
