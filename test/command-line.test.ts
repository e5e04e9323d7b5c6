import t from 'tap';
import { parseCommandLine } from '../src/command-line.js';

t.test('known flags choose the command', async (t) => {
  const cases: Array<[string[], string]> = [
    [[], 'run'],
    [['--check-config'], 'check-config'],
    [['--version'], 'version'],
    [['-v'], 'version'],
    [['--help'], 'help'],
    [['-h'], 'help'],
    [['--check-config', '--version'], 'version'],
    [['--check-config', '--check-config'], 'check-config'],
  ];
  for (const [argv, command] of cases) t.same(parseCommandLine(argv), { command }, argv.join(' ') || '(none)');
});

t.test('anything else is refused with the reason, never a normal start', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--chek-config'], /^unknown option --chek-config; did you mean --check-config\?$/],
    [['--check-config', '--verison'], /^unknown option --verison; did you mean --version\?$/],
    [['--frobnicate-everything'], /^unknown option --frobnicate-everything$/],
    [['-x'], /^unknown option -x$/],
    [['--check-config=yes'], /^unknown option --check-config=yes/],
    [['check-config'], /^unexpected argument "check-config": tailship takes only flags$/],
    [['--constructor'], /^unknown option --constructor/],
  ];
  for (const [argv, re] of cases) {
    const result = parseCommandLine(argv);
    t.ok('error' in result, `${argv.join(' ')} refused`);
    if ('error' in result) t.match(result.error, re);
  }
});
