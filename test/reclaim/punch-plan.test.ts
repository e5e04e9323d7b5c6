// Which blocks may be freed: whole blocks, never the fingerprinted head, never past the
// acknowledged offset; and when the volume is near its limit.
import t from 'tap';
import { nearVolumeLimit, punchRange } from '../../src/reclaim/punch-plan.js';

t.test('punchRange: whole blocks between what was freed and what is acknowledged', async (t) => {
  const cases: Array<[string, number, number, number, ReturnType<typeof punchRange>]> = [
    ['nothing acknowledged', 0, 0, 4096, undefined],
    ['less than the head block', 0, 4095, 4096, undefined],
    ['the head block only', 0, 8191, 4096, undefined],
    ['one block past the head', 0, 8192, 4096, { offset: 4096, length: 4096 }],
    ['rounded down to a block', 0, 10_000, 4096, { offset: 4096, length: 4096 }],
    ['from what was freed before', 8192, 20_480, 4096, { offset: 8192, length: 12_288 }],
    ['a freed offset not on a block is rounded up', 5000, 20_480, 4096, { offset: 8192, length: 12_288 }],
    ['already freed up to it', 20_480, 20_480, 4096, undefined],
    ['acknowledged below what was freed (a new key)', 20_480, 8192, 4096, undefined],
    ['512-byte blocks keep the 1 KiB head', 0, 4096, 512, { offset: 1024, length: 3072 }],
    ['64 KiB blocks', 0, 300_000, 65_536, { offset: 65_536, length: 196_608 }],
    ['no block size', 0, 1_000_000, 0, undefined],
  ];
  for (const [name, reclaimed, acked, block, want] of cases) t.same(punchRange(reclaimed, acked, block), want, name);
});

t.test('nearVolumeLimit: above 80 % of the limit, never without one', async (t) => {
  t.equal(nearVolumeLimit(800, 1000), false, 'at 80 %');
  t.equal(nearVolumeLimit(801, 1000), true, 'above');
  t.equal(nearVolumeLimit(10 ** 12, undefined), false, 'no limit');
});
