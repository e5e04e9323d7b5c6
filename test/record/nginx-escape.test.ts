// nginx's `\xHH` escapes undone, bytes that are not UTF-8 read as Latin-1.
import t from 'tap';
import { unescapeNginx } from '../../src/record/nginx-escape.js';

const rows: Array<[string, string, string]> = [
  ['no escape: the same string back', 'Mozilla/5.0 (X11)', 'Mozilla/5.0 (X11)'],
  ['quote', 'say \\x22hi\\x22', 'say "hi"'],
  ['backslash', 'C:\\x5CWindows', 'C:\\Windows'],
  ['UTF-8 bytes', 'caf\\xC3\\xA9 \\xE2\\x80\\x94', 'café —'],
  ['control bytes', 'a\\x09b\\x0Ac', 'a\tb\nc'],
  ['lower-case hex also', '\\x2f', '/'],
  ['not an escape: kept', '\\xZZ \\x4', '\\xZZ \\x4'],
  ['not UTF-8: read as Latin-1, the charset of HTTP headers', 'caf\\xE9 \\xFF', 'café ÿ'],
  ['escape at the very end', 'x\\x22', 'x"'],
];

t.test('unescapeNginx', async (t) => {
  for (const [name, input, want] of rows) t.equal(unescapeNginx(input), want, name);
});
