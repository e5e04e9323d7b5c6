// Which files a per-file setting applies to: a glob without `/` matches the file name.
import { resolve } from 'node:path';
import t from 'tap';
import { firstMatch, pathMatcher } from '../../src/record/path-rules.js';

t.test('pathMatcher', async (t) => {
  const rows: Array<[string | undefined, string, boolean]> = [
    [undefined, '/pod-data/access.log', true],
    ['*', '/pod-data/x/y.log', true],
    ['access.log', '/pod-data/access.log', true],
    ['access.log', '/pod-data/nginx/access.log', true],
    ['access.log', '/pod-data/access.log.1', false],
    ['*error.log', '/pod-data/error.log', true],
    ['*error.log', '/pod-data/app-error.log', true],
    ['*.json.log', '/pod-data/app.json.log', true],
    ['/pod-data/nginx/*.log', '/pod-data/nginx/access.log', true],
    ['/pod-data/nginx/*.log', '/pod-data/app/access.log', false],
    ['/pod-data/**/*.log', '/pod-data/a/b/c.log', true],
  ];
  for (const [glob, path, want] of rows) t.equal(pathMatcher(glob)(path), want, `${glob} ~ ${path}`);
  t.ok(pathMatcher('logs/*.log')(resolve('logs/a.log')), 'a relative glob with a slash is taken from the working directory');
});

t.test('firstMatch: the first rule wins', async (t) => {
  const rules = [
    { match: pathMatcher('error.log'), value: 'none' },
    { match: pathMatcher('*.log'), value: 'nginx' },
  ];
  t.equal(firstMatch(rules, '/d/error.log'), 'none');
  t.equal(firstMatch(rules, '/d/access.log'), 'nginx');
  t.equal(firstMatch(rules, '/d/access.txt'), undefined);
});
