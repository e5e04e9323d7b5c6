// File names are data (issue 17; README "File names are data"), through the built process:
// names with a newline, quotes, a backslash, control bytes and bytes that are not UTF-8 are
// read like any file, and each is escaped wherever it is shown — the records' `file` (NDJSON
// and Loki's `filename` label), tailship's own logs and /status.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { TestCollector, type Protocol } from '../helpers/collector.js';
import { startTailship, tempDirs } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait-for.js';

/** Each name as bytes, and the text tailship shows for it (a byte that is not UTF-8 as \xNN). */
const NAMES: Array<{ bytes: Buffer; text: string }> = [
  { bytes: Buffer.from('new\nline.log'), text: 'new\nline.log' },
  { bytes: Buffer.from(`quote"d'.log`), text: `quote"d'.log` },
  { bytes: Buffer.from('back\\slash.log'), text: 'back\\slash.log' },
  { bytes: Buffer.from('ctl\x01\x1b[31m\x7f.log'), text: 'ctl\x01\x1b[31m\x7f.log' },
  { bytes: Buffer.from('tab\there é 日本.log'), text: 'tab\there é 日本.log' },
  { bytes: Buffer.concat([Buffer.from('bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('.log')]), text: 'bad-\\xff\\xfe.log' },
  { bytes: Buffer.concat([Buffer.from('cut-'), Buffer.from([0xe6, 0x97]), Buffer.from('.log')]), text: 'cut-\\xe6\\x97.log' },
];
const LINES = 50;

for (const protocol of ['ndjson', 'loki'] as Protocol[]) {
  t.test(`${protocol}: every line of every oddly named file arrives, its name escaped`, async (t) => {
    const { logs, state } = tempDirs();
    NAMES.forEach((n, f) => {
      let text = '';
      for (let i = 0; i < LINES; i++) text += `file${f} seq=${i}\n`;
      writeFileSync(Buffer.concat([Buffer.from(`${logs}/`), n.bytes]), text);
    });
    const collector = new TestCollector({ protocol });
    await collector.start();
    t.teardown(() => collector.close());
    const ts = await startTailship(t, collector, state, { TAILSHIP_INCLUDE: `${logs}/*.log`, TAILSHIP_SINK: protocol });
    const total = NAMES.length * LINES;
    await waitFor(`${total} lines`, () => collector.lines.length >= total, { timeoutMs: 30_000 });
    t.same(collector.problems, [], 'every request valid for its protocol (JSON parses)');
    const got = new Map<string, Set<string>>();
    for (const l of collector.lines) {
      const set = got.get(l.file ?? '') ?? new Set<string>();
      set.add(l.message);
      got.set(l.file ?? '', set);
    }
    NAMES.forEach((n, f) => {
      const lines = got.get(join(logs, n.text));
      t.equal(lines?.size, LINES, `${JSON.stringify(n.text)}: every line, under its escaped name`);
      t.ok(lines?.has(`file${f} seq=${LINES - 1}`));
    });
    t.equal(got.size, NAMES.length, 'no other name');
    t.equal(collector.lines.length, total, 'none twice');

    // /status is JSON (ts.status() parses it) and names each file by its text.
    const status = await ts.status();
    t.same(
      status.files.map((f: { path: string }) => f.path).sort(),
      NAMES.map((n) => join(logs, n.text)).sort(),
      '/status names the files',
    );
    // Every line tailship printed is one JSON object, and each file's "opened" names it.
    const printed = ts.stdout.split('\n').filter((l) => l !== '');
    t.equal(printed.filter((l) => { try { JSON.parse(l); return true; } catch { return false; } }).length, printed.length, 'every log line parses');
    const opened = ts.logs.filter((l) => l['msg'] === 'file opened').map((l) => l['path']).sort();
    t.same(opened, NAMES.map((n) => join(logs, n.text)).sort(), 'logged under the escaped names');
    t.same(await ts.stop(), { code: 0, signal: null });
  });
}
