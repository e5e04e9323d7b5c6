// The text forms environment variables take: sizes, durations and parser rules.
import t from 'tap';
import { parseDuration, parseParserRules, parseSize } from '../../src/config/env-values.js';

t.test('sizes and durations', async (t) => {
  const sizes: Array<[string, number | undefined]> = [
    ['512KiB', 512 * 1024],
    ['4MiB', 4 * 1024 * 1024],
    ['1mb', 1_000_000],
    ['1048576', 1048576],
    [' 2 GiB ', 2 * 1024 ** 3],
    ['1.5KiB', 1536],
    ['abc', undefined],
    ['-1', undefined],
    ['4XB', undefined],
  ];
  for (const [text, want] of sizes) t.equal(parseSize(text), want, text);
  const durations: Array<[string, number | undefined, number | undefined]> = [
    ['250ms', undefined, 250],
    ['5s', undefined, 5000],
    ['2m', undefined, 120_000],
    ['1h', undefined, 3_600_000],
    ['30', undefined, undefined],
    ['30', 1, 30],
    ['soon', 1, undefined],
  ];
  for (const [text, bare, want] of durations) t.equal(parseDuration(text, bare), want, `${text} bare=${bare}`);
});

t.test('TAILSHIP_PARSER forms', async (t) => {
  const rows: Array<[string, unknown]> = [
    ['none', []],
    ['nginx', [{ glob: undefined, parser: 'nginx' }]],
    [' JSON ', [{ glob: undefined, parser: 'json' }]],
    [
      'error.log=nginx, *.json.log=json ,*.log=none',
      [
        { glob: 'error.log', parser: 'nginx' },
        { glob: '*.json.log', parser: 'json' },
        { glob: '*.log', parser: 'none' },
      ],
    ],
    ['*.log=none', []],
    ['xml', undefined],
    ['*.log=xml', undefined],
    ['=nginx', undefined],
    ['access.log=nginx,oops', undefined],
  ];
  for (const [text, want] of rows) t.strictSame(parseParserRules(text), want, text);
});
