// Parsed fields never overwrite the record's own keys: a clash is renamed parsed_<name>.
import t from 'tap';
import { guardFields, reservedKeys, STANDARD_KEYS } from '../../src/record/reserved-names.js';

t.test('reservedKeys: standard keys, the time field, static fields', async (t) => {
  const keys = reservedKeys({ timestampField: 'ts', fields: [['env', 'prod']] });
  for (const k of [...STANDARD_KEYS, 'ts', 'env']) t.ok(keys.includes(k), k);
  t.notOk(keys.includes('@timestamp'), 'the default name is not reserved when another is configured');
  t.notOk(keys.includes('time'), '`time` is free without the epoch time key');
  t.ok(reservedKeys({ timestampField: '@timestamp', epochTimeField: 'time', fields: [] }).includes('time'), 'and taken with it');
});

t.test('guardFields', async (t) => {
  const reserved = reservedKeys({ timestampField: '@timestamp', fields: [['env', 'prod']] });
  const clean = { level: 'info', n: 1 };
  t.equal(guardFields(clean, reserved), clean, 'no clash: the same object, no copy');
  const renamed = guardFields(
    { message: 'inner', level: 'info', host: 'h', id: 7, '@timestamp': 'x', env: 'dev', offset: 3 },
    reserved,
  );
  t.strictSame(Object.keys(renamed), [
    'parsed_message',
    'level',
    'parsed_host',
    'parsed_id',
    'parsed_@timestamp',
    'parsed_env',
    'parsed_offset',
  ]);
  t.equal(renamed['parsed_message'], 'inner');
  // What matters downstream: an encoder merging these after the standard keys never
  // writes a key twice.
  const json = `{"message":"raw","host":"h",${JSON.stringify(renamed).slice(1)}`;
  const keys = [...json.matchAll(/"([^"]+)":/g)].map((m) => m[1]);
  t.equal(new Set(keys).size, keys.length, 'no duplicate keys in the merged JSON');
});
