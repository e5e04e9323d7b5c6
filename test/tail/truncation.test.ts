// When a file was truncated, and which file is the copy of what it held.
import t from 'tap';
import { mayBeCopyOf, MIN_COPY_HEAD_BYTES, newestCopy, startsWithHead, truncationSeen } from '../../src/tail/truncation.js';

const b = (s: string) => Buffer.from(s);

t.test('a truncation is a smaller size or a changed head', async (t) => {
  const was = { position: 100, size: 120, head: b('first line\n') };
  const cases: Array<[string, number, Buffer | undefined, boolean]> = [
    ['grown, head not read', 200, undefined, false],
    ['grown, same head', 200, b('first line\n'), false],
    ['same size, same head', 120, b('first line\n'), false],
    ['smaller than the read position', 50, undefined, true],
    ['smaller than the largest size seen, above the position', 110, undefined, true],
    ['refilled past the position (copytruncate then writes)', 500, b('other line\n'), true],
    ['rewritten in place, same length', 120, b('First line\n'), true],
  ];
  for (const [what, size, headNow, expected] of cases) t.equal(truncationSeen(was, size, headNow), expected, what);
  t.equal(truncationSeen({ position: 0, size: 0, head: b('') }, 10, b('')), false, 'nothing known: nothing to compare');
});

t.test('a copy starts with the whole head', async (t) => {
  t.ok(startsWithHead(b('abc\ndef\n'), b('abc\n')));
  t.ok(startsWithHead(b('abc\n'), b('abc\n')));
  t.notOk(startsWithHead(b('ab'), b('abc\n')), 'shorter than the head');
  t.notOk(startsWithHead(b('abd\n'), b('abc\n')));
  t.notOk(startsWithHead(b('abc\n'), b('')), 'an empty head recognises nothing');
});

t.test('a file that may be a copy of one being read shares a long prefix with it', async (t) => {
  const head = Buffer.alloc(1024, 'x');
  t.ok(mayBeCopyOf(Buffer.alloc(MIN_COPY_HEAD_BYTES, 'x'), head), 'a copy still being written');
  t.ok(mayBeCopyOf(head, Buffer.alloc(MIN_COPY_HEAD_BYTES, 'x')), 'a file read less far than its copy');
  t.notOk(mayBeCopyOf(Buffer.alloc(MIN_COPY_HEAD_BYTES - 1, 'x'), head), 'too short to tell');
  t.notOk(mayBeCopyOf(Buffer.concat([Buffer.alloc(300, 'x'), b('y')]), Buffer.concat([Buffer.alloc(300, 'x'), b('z')])));
});

t.test('of several copies, the newest', async (t) => {
  t.same(newestCopy([{ bornMs: 1, n: 'a' }, { bornMs: 3, n: 'b' }, { bornMs: 2, n: 'c' }]), { bornMs: 3, n: 'b' });
  t.equal(newestCopy([]), undefined);
});
