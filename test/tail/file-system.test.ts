// File names are bytes (src/tail/file-system.ts): a name that is not UTF-8 is kept exact for
// the file system and shown escaped, on a real directory.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { decodeName, fsPath, nameText, nodeFs } from '../../src/tail/file-system.js';

t.test('decodeName, fsPath and nameText', async (t) => {
  const cases: Array<[string, Buffer, string]> = [
    ['UTF-8 as it is', Buffer.from('accès-日本.log'), 'accès-日本.log'],
    ['a lone byte', Buffer.from([0x61, 0xff, 0x2e, 0x6c]), 'a\\xff.l'],
    ['a cut sequence', Buffer.from([0x61, 0xe6, 0x97, 0x62]), 'a\\xe6\\x97b'],
    ['an overlong slash', Buffer.from([0xc0, 0xaf]), '\\xc0\\xaf'],
    ['an encoded surrogate', Buffer.from([0xed, 0xa0, 0x80]), '\\xed\\xa0\\x80'],
    ['past U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80]), '\\xf4\\x90\\x80\\x80'],
    ['valid beside invalid', Buffer.concat([Buffer.from('é'), Buffer.from([0x80]), Buffer.from('😀')]), 'é\\x80😀'],
    ['controls stay (JSON escapes them)', Buffer.from('a\nb"c\\d\x01'), 'a\nb"c\\d\x01'],
  ];
  for (const [what, bytes, text] of cases) {
    const path = decodeName(bytes);
    const back = fsPath(path);
    t.same(Buffer.isBuffer(back) ? back : Buffer.from(back), bytes, `${what}: the bytes again`);
    t.equal(nameText(path), text, `${what}: as text`);
  }
  // A character above U+FFFF is a surrogate pair, not an escaped byte.
  t.equal(fsPath('x-\u{10080}.log'), 'x-\u{10080}.log');
});

t.test('a name that is not UTF-8 is listed, opened and read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-names-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const raw = Buffer.concat([Buffer.from(`${dir}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.log')]);
  writeFileSync(raw, 'the line\n');
  // What node lists by default is not the file's name.
  t.equal(readdirSync(dir)[0], 'bad-\ufffd\ufffd.log');
  const [entry] = await nodeFs.readdir(dir);
  const path = join(dir, entry!.name);
  t.equal(nameText(path), `${dir}/bad-\\xff\\xfe.log`);
  const fd = await nodeFs.open(path);
  const buf = Buffer.alloc(64);
  const n = await nodeFs.read(fd, buf, 64, 0);
  t.equal(buf.toString('utf8', 0, n), 'the line\n');
  t.equal(await nodeFs.fdPath(fd), path, 'the descriptor names it the same way');
  t.equal(await nodeFs.realpath(path), path);
  await nodeFs.close(fd);
});
