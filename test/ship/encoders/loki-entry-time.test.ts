import t from 'tap';
import { compareLokiTime, fileSalt, lokiEntryTime, lokiTimeText } from '../../../src/ship/encoders/loki-entry-time.js';

const SECOND = Date.parse('2026-11-25T21:00:00Z'); // an nginx $time_local: a whole second
const SALT = 0xa1b2c3d4;
const text = (timeMs: number, fromLine: boolean, offset: number, salt = SALT) =>
  lokiTimeText(lokiEntryTime(timeMs, fromLine, offset, salt));

t.test('identical lines 1,000,000 bytes apart in one second stay two entries (the old offset-modulo-a-million scheme gave both one time)', async (t) => {
  const a = text(SECOND, true, 17, 0);
  const b = text(SECOND, true, 1_000_017, 0);
  t.not(a, b);
  t.equal(a, '1795640400000000035', 'the second, then 2·offset + 1');
  t.equal(b, '1795640400002000035');
});

t.test('a whole-second line time: odd nanoseconds within that second, distinct across 500 MB of one file', async (t) => {
  const seen = new Set<string>();
  // Offsets spread over the whole window, with lines of every length in between.
  for (let offset = 0; offset < 500_000_000; offset += 999_983) seen.add(text(SECOND, true, offset));
  for (let offset = 0; offset < 50_000; offset += 7) seen.add(text(SECOND, true, offset));
  t.equal(seen.size, Math.ceil(500_000_000 / 999_983) + Math.ceil(50_000 / 7) - 1, 'all distinct (offset 0 is in both runs)');
  const outside = [...seen].filter((ns) => !ns.startsWith('1795640400') || Number(ns.slice(-1)) % 2 !== 1);
  t.same(outside, [], 'every one odd and within the line\'s second');
});

t.test('a read time or a line time with a fraction: its millisecond, even nanoseconds below it', async (t) => {
  const read = SECOND + 123;
  const seen = new Set<string>();
  for (let offset = 0; offset < 500_000; offset += 3) seen.add(text(read, false, offset));
  const outside = [...seen].filter((ns) => !ns.startsWith('1795640400123') || Number(ns.slice(-1)) % 2 !== 0);
  t.same(outside, [], 'every one even and within its millisecond');
  t.equal(seen.size, Math.ceil(500_000 / 3), 'distinct across 500 KB read in one millisecond');
  t.equal(text(read + 0.75, true, 5, 0), '1795640400123000010', 'a fraction of a millisecond is not kept');
  t.equal(text(read, true, 5, 0), text(read, false, 5, 0), 'a line time with milliseconds: the same form as a read time');
});

t.test('a read time on a whole second keeps its millisecond form: the two forms never meet', async (t) => {
  // A line read at exactly hh:mm:ss.000 whose own (parsed) time is that second is
  // indistinguishable from a read time; its entry is even, every whole-second line time odd.
  const readForm = new Set<string>();
  for (let offset = 0; offset < 200_000; offset += 11) readForm.add(text(SECOND, false, offset));
  const met: number[] = [];
  for (let offset = 0; offset < 2_000_000; offset += 13) if (readForm.has(text(SECOND, true, offset))) met.push(offset);
  t.same(met, [], 'no whole-second entry equals a read-time entry of that second');
});

t.test('stable: the same line, time, offset and file give the same time on every send', async (t) => {
  t.equal(text(SECOND, true, 4242), text(SECOND, true, 4242));
  t.equal(text(SECOND + 5, false, 4242), text(SECOND + 5, false, 4242));
});

t.test('files sharing a stream are told apart by their salt', async (t) => {
  // Two generations of a rotated access.log both start at offset 0.
  t.not(text(SECOND, true, 0, fileSalt('696a58767dc3ecd4-0')), text(SECOND, true, 0, fileSalt('8b914cbe9fc3048b-0')));
  t.equal(fileSalt('696a58767dc3ecd4-1a'), 0x696a5876);
  t.equal(fileSalt('8b914cbe9fc3048b-18d-1f0'), 0x8b914cbe, 'a joined record: the same file key');
  t.equal(fileSalt('not-hex'), 0);
});

t.test('text: exact nanoseconds, zero-padded within the second', async (t) => {
  const ns = text(SECOND + 7, false, 3, 0);
  t.equal(ns, '1795640400007000006');
  t.equal(BigInt(ns), BigInt(SECOND + 7) * 1_000_000n + 6n);
  t.equal(lokiTimeText({ sec: 0, nano: 42 }), '42');
});

t.test('order: by second, then nanosecond', async (t) => {
  const times = [lokiEntryTime(SECOND + 1000, true, 0, 0), lokiEntryTime(SECOND, true, 999_999_999, 0), lokiEntryTime(SECOND + 999, false, 0, 0)];
  t.same(times.sort(compareLokiTime).map(lokiTimeText), ['1795640400999000000', '1795640400999999999', '1795640401000000001']);
});
