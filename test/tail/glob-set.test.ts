import t from 'tap';
import { globSet } from '../../src/tail/glob-set.js';

t.test('roots: the static prefix of each glob, recursive only when a directory part is a pattern', async (t) => {
  const g = globSet(['/pod-data/**/*.log', '/var/log/nginx/*.log', '/var/log/nginx/access.log', '/srv/*/logs/*.txt'], []);
  t.same(
    [...g.roots].sort((a, b) => a.dir.localeCompare(b.dir)),
    [
      { dir: '/pod-data', recursive: true },
      { dir: '/srv', recursive: true },
      { dir: '/var/log/nginx', recursive: false },
    ],
  );
});

t.test('matching with include and exclude', async (t) => {
  const g = globSet(['/pod-data/**/*.log'], ['**/debug-*.log', '/pod-data/private/**']);
  const cases: Array<[string, boolean]> = [
    ['/pod-data/access.log', true],
    ['/pod-data/a/b/c/error.log', true],
    ['/pod-data/.hidden.log', true],
    ['/pod-data/access.log.1', false],
    ['/pod-data/debug-1.log', false],
    ['/pod-data/private/x.log', false],
    ['/other/access.log', false],
  ];
  for (const [path, want] of cases) t.equal(g.matches(path), want, path);
});

t.test('an exclude without a leading slash applies in any directory', async (t) => {
  const g = globSet(['/pod-data/**/*'], ['*.gz', 'tmp/*.log']);
  t.notOk(g.matches('/pod-data/a/access.log.1.gz'));
  t.notOk(g.matches('/pod-data/x/tmp/a.log'));
  t.ok(g.matches('/pod-data/x/access.log'));
});
