// The regex parser: named groups become fields, a time group the record's time.
import t from 'tap';
import { namedGroups, REGEX_NO_MATCH, RegexParser } from '../../src/record/regex-parser.js';

const T0 = Date.UTC(2026, 10, 25, 21, 0, 0);

t.test('named groups become fields', async (t) => {
  const p = new RegexParser('^(?<level>[A-Z]+) \\[(?<thread>[^\\]]+)\\] (?<text>.*?)(?: code=(?<code>\\d+))?$', '@timestamp');
  t.strictSame(p.parse('ERROR [main] disk full code=28'), {
    fields: { level: 'ERROR', thread: 'main', text: 'disk full', code: '28' },
    timeMs: undefined,
  });
  t.strictSame(
    p.parse('INFO [worker-1] started'),
    { fields: { level: 'INFO', thread: 'worker-1', text: 'started' }, timeMs: undefined },
    'a group that took no part is left out',
  );
  t.equal(p.parse('no match here'), REGEX_NO_MATCH);
});

t.test('a time group sets the record time', async (t) => {
  const iso = new RegexParser('^(?<time>\\S+) (?<text>.*)$', '@timestamp');
  t.strictSame(iso.parse('2026-11-25T21:00:00Z hello'), {
    fields: { time: '2026-11-25T21:00:00Z', text: 'hello' },
    timeMs: T0,
  });
  const own = new RegexParser('^\\[(?<ts>[^\\]]+)\\] (?<text>.*)$', 'ts');
  t.strictSame(
    own.parse('[25/Nov/2026:21:00:00 +0000] hello'),
    { fields: { text: 'hello' }, timeMs: T0 },
    'named like the record time field: the record carries it, in the nginx form too',
  );
  t.strictSame(iso.parse('soon hello'), { fields: { time: 'soon', text: 'hello' }, timeMs: undefined }, 'not a time');
});

t.test('on a joined multiline record, . stops at the first newline', async (t) => {
  const p = new RegexParser('^(?<level>\\w+): (?<text>.*)', '@timestamp');
  t.strictSame(p.parse('Error: boom\n    at f (a.js:1:1)'), { fields: { level: 'Error', text: 'boom' }, timeMs: undefined });
});

t.test('namedGroups', async (t) => {
  t.strictSame(namedGroups('(?<a>x)(?<b>y)?'), ['a', 'b']);
  t.strictSame(namedGroups('\\(?<notagroup>x\\)'), [], 'escaped parenthesis');
  t.strictSame(namedGroups('(x)(y)'), []);
  t.throws(() => namedGroups('(?<a>'), 'invalid pattern throws');
  t.throws(() => new RegexParser('(x)', '@timestamp'), 'a pattern without named groups is refused');
});
