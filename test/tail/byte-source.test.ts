// Reading a file's bytes: plain at any offset; gzip inflated in order, from any offset,
// every member, with the uncompressed size from its trailer.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { openSource, readHead } from '../../src/tail/byte-source.js';
import { nodeFs } from '../../src/tail/file-system.js';

const dir = mkdtempSync(join(tmpdir(), 'tailship-bytes-'));
const text = Array.from({ length: 20_000 }, (_, i) => `line ${i}\n`).join('');

async function readAll(path: string, from: number): Promise<{ bytes: Buffer; compressed: boolean; size: number }> {
  const source = await openSource(nodeFs, await nodeFs.open(path));
  try {
    const parts: Buffer[] = [];
    const buf = Buffer.alloc(7_000);
    for (let at = from; ; ) {
      const n = await source.read(buf, buf.length, at);
      if (n === 0) break;
      parts.push(Buffer.from(buf.subarray(0, n)));
      at += n;
    }
    return { bytes: Buffer.concat(parts), compressed: source.compressed, size: await source.contentSize() };
  } finally {
    await source.close();
  }
}

t.test('a plain file and its gzip give the same bytes from the same offset', async (t) => {
  writeFileSync(join(dir, 'a.log'), text);
  writeFileSync(join(dir, 'a.log.1.gz'), gzipSync(text));
  const plain = await readAll(join(dir, 'a.log'), 12_345);
  const gz = await readAll(join(dir, 'a.log.1.gz'), 12_345);
  t.equal(plain.compressed, false);
  t.equal(gz.compressed, true, 'gzip by its magic bytes');
  t.ok(gz.bytes.equals(Buffer.from(text).subarray(12_345)), 'same bytes');
  t.ok(plain.bytes.equals(gz.bytes));
  t.equal(gz.size, Buffer.byteLength(text), 'content size from the gzip trailer');
});

t.test('every member of a multi-member gzip is read', async (t) => {
  const half = text.length / 2;
  writeFileSync(join(dir, 'm.gz'), Buffer.concat([gzipSync(text.slice(0, half)), gzipSync(text.slice(half))]));
  t.equal((await readAll(join(dir, 'm.gz'), 0)).bytes.toString(), text);
});

t.test('a head read first, then the file from an earlier offset: inflated again from the start', async (t) => {
  writeFileSync(join(dir, 'b.gz'), gzipSync(text));
  const source = await openSource(nodeFs, await nodeFs.open(join(dir, 'b.gz')));
  t.teardown(() => source.close());
  const buf = Buffer.alloc(100);
  await source.read(buf, 100, 150_000);
  t.equal(buf.toString().slice(0, 12), text.slice(150_000, 150_012), 'far ahead');
  t.equal((await readHead(source, 10)).toString(), 'line 0\nlin', 'then back to the start');
});

t.test('corrupt gzip data is an error, not bytes', async (t) => {
  const gz = gzipSync(text);
  gz.fill(0x55, 100, 200);
  writeFileSync(join(dir, 'bad.gz'), gz);
  await t.rejects(readAll(join(dir, 'bad.gz'), 0));
});
