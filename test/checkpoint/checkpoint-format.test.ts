// The checkpoint file's format: versioned, and refused whole when any entry is not trusted.
import t from 'tap';
import { parseCheckpoints, serializeCheckpoints, type CheckpointEntry } from '../../src/checkpoint/checkpoint-format.js';

const entry: CheckpointEntry = {
  key: '0123456789abcdef',
  dev: 2049,
  ino: 131075,
  fpLen: 1024,
  fpHash: 'aabbccddeeff0011',
  offset: 4096,
  path: '/pod-data/access.log',
  seenMs: 1_795_000_000_000,
};

t.test('round trip, with a format version', async (t) => {
  const text = serializeCheckpoints([entry], 1_795_000_000_001);
  t.match(text, /^\{"version":1,"writtenMs":1795000000001,"files":\[/);
  t.same(parseCheckpoints(text), [entry]);
});

t.test('refuses what it cannot trust', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['{"version":2,"files":[]}', /unsupported checkpoint version 2/],
    ['{"version":1}', /no files array/],
    [JSON.stringify({ version: 1, files: [{ ...entry, offset: -1 }] }), /entry 0 is malformed/],
    [JSON.stringify({ version: 1, files: [{ ...entry, key: 7 }] }), /entry 0 is malformed/],
    [JSON.stringify({ version: 1, files: [{ ...entry, reclaimed: 8192 }] }), /entry 0 is malformed/], // past its offset
    [JSON.stringify({ version: 1, files: [{ ...entry, reclaimed: '4096' }] }), /entry 0 is malformed/],
    ['{"version":1,"files":[', /JSON/],
  ];
  for (const [text, re] of cases) t.throws(() => parseCheckpoints(text), re, text.slice(0, 40));
});

t.test('what reclaim freed: optional, so files of either kind read as version 1', async (t) => {
  const freed = { ...entry, reclaimed: 4096 };
  t.same(parseCheckpoints(serializeCheckpoints([freed, entry], 1)), [freed, entry]);
  t.notMatch(serializeCheckpoints([entry], 1), /reclaimed/, 'absent when nothing was freed');
});
