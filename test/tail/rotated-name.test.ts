// Which names are rotated generations of a watched file: the forms rotation tools write.
import t from 'tap';
import { isRotatedName, rotatedBaseOf } from '../../src/tail/rotated-name.js';

t.test('the forms of logrotate, savelog and cron scripts are rotated names of access.log', async (t) => {
  const yes = [
    'access.log.1',
    'access.log.12',
    'access.log.1.gz',
    'access.log.0',
    'access.log-20261130',
    'access.log-20261130.gz',
    'access.log-20261130-1764460800',
    'access.log.2026-11-30',
    'access.log_20261130',
    'access-20261130.log',
    'access-20261130.log.gz',
    'access.2026-11-30.log',
  ];
  for (const name of yes) t.ok(isRotatedName(name, 'access.log'), name);
});

t.test('other names are not', async (t) => {
  const no = [
    'access.log',
    'access.log.',
    'access.log.gz',
    'access.log.old',
    'access.log.1.bz2',
    'access.log.1.xz',
    'error.log.1',
    'access.logx.1',
    'xaccess.log.1',
    'access.log1',
    'access.log.x1',
  ];
  for (const name of no) t.notOk(isRotatedName(name, 'access.log'), name);
});

t.test('the base is found among many watched names by lookups, not by trying each', async (t) => {
  const watched = new Set(Array.from({ length: 10_000 }, (_, i) => `host-${i}.log`));
  let lookups = 0;
  const base = rotatedBaseOf('host-7777.log.3.gz', (b) => {
    lookups++;
    return watched.has(b);
  });
  t.equal(base, 'host-7777.log');
  t.ok(lookups <= 4, `${lookups} lookups`);
  t.equal(rotatedBaseOf('host-7777-20261130.log', (b) => watched.has(b)), 'host-7777.log', 'dateext with extension');
  t.equal(rotatedBaseOf('other.log.1', (b) => watched.has(b)), undefined);
});
