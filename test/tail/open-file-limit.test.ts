import t from 'tap';
import { effectiveMaxOpenFiles, nofileSoftLimit, OpenFileLimit } from '../../src/tail/open-file-limit.js';

t.test('the limit applied: the one asked for, under nofile - 64, at least 1', async (t) => {
  t.equal(effectiveMaxOpenFiles(512, undefined), 512, 'nofile unknown');
  t.equal(effectiveMaxOpenFiles(512, 4096), 512);
  t.equal(effectiveMaxOpenFiles(5000, 1024), 960);
  t.equal(effectiveMaxOpenFiles(512, 64), 1, 'a tiny nofile still leaves one file');
});

t.test('nofile read from /proc/self/limits', async (t) => {
  const limits = [
    'Limit                     Soft Limit           Hard Limit           Units',
    'Max processes             63470                63470                processes',
    'Max open files            1024                 4096                 files',
  ].join('\n');
  t.equal(nofileSoftLimit(limits), 1024, 'the soft limit, not the hard one');
  t.equal(nofileSoftLimit('Max open files            unlimited            unlimited            files'), undefined);
  const own = nofileSoftLimit();
  t.ok(own === undefined || own > 0, `this process: ${own}`);
});

t.test('slots are taken up to max; waiters are served first come, first served', async (t) => {
  const slots = new OpenFileLimit<string>(2);
  t.ok(slots.tryTake());
  t.ok(slots.tryTake());
  t.notOk(slots.tryTake(), 'full');
  slots.wait('a');
  slots.wait('b');
  slots.wait('a');
  t.equal(slots.waiting, 2, 'a key waits once');
  t.equal(slots.release(), 'a', 'the slot passes to the first waiter');
  t.equal(slots.used, 2, 'and stays taken');
  t.notOk(slots.tryTake(), 'a newcomer does not overtake b');
  t.equal(slots.release(), 'b');
  t.equal(slots.release(), undefined, 'nobody waits: the slot is free');
  t.equal(slots.used, 1);
  t.ok(slots.available);
});

t.test('reserved slots go past max and are not handed on until back under it', async (t) => {
  const slots = new OpenFileLimit<string>(1);
  t.ok(slots.tryTake());
  slots.takeReserved();
  t.equal(slots.over, 1);
  slots.wait('a');
  t.equal(slots.release(), undefined, 'over the limit: the slot is not passed on');
  t.equal(slots.over, 0);
  t.equal(slots.release(), 'a', 'back within it: the waiter gets the next one');
});

t.test('a waiter leaving frees its turn; admit serves the queue when a slot is free', async (t) => {
  const slots = new OpenFileLimit<string>(1);
  t.ok(slots.tryTake());
  slots.wait('a');
  slots.wait('b');
  slots.cancel('a');
  t.notOk(slots.isWaiting('a'));
  t.equal(slots.admit(), undefined, 'no slot free');
  t.equal(slots.release(), 'b');
  t.equal(slots.release(), undefined);
  slots.wait('c');
  t.equal(slots.admit(), 'c', 'a slot was free: c takes it');
  t.equal(slots.used, 1);
  t.throws(() => new OpenFileLimit(0), RangeError);
  slots.release();
  t.throws(() => slots.release(), /without a slot/);
});
