import t from 'tap';
import { doubleHolds, ExactNumber, jsonNumber, jsonText, parseJsonExact } from '../../src/record/exact-number.js';

t.test('which numbers a double holds: by decimal value, not by spelling', async (t) => {
  const rows: Array<[string, boolean]> = [
    ['0', true],
    ['-0', true],
    ['42', true],
    ['0.1', true],
    ['1e-5', true],
    ['1E+2', true],
    ['100.50', true],
    ['9007199254740991', true],
    ['9007199254740992', true],
    ['9007199254740994', true], // even: a double holds it exactly
    ['1e20', true],
    ['123456789012.34567', true],
    ['9007199254740993', false],
    ['9223372036854775807', false],
    ['18446744073709551615', false],
    ['0.10000000000000000001', false],
    ['3.141592653589793238', false],
    ['1e400', false], // Infinity
    ['-1e400', false],
    ['1e-400', false], // 0
    ['5e-324', true], // the smallest double, as JavaScript writes it
    ['4.9e-324', false], // the same double, but JavaScript writes it 5e-324
  ];
  for (const [text, holds] of rows) t.equal(doubleHolds(text), holds, text);
  t.equal(jsonNumber('1e-5'), 0.00001);
  t.same(jsonNumber('9007199254740993'), new ExactNumber('9007199254740993'));
});

t.test('parseJsonExact: JSON.parse with the numbers a double cannot hold kept as text', async (t) => {
  const line = '{"msg":"n6","user_id":9007199254740993,"max":9223372036854775807,"tiny":1e-5,"n":[1,2.5,-18446744073709551616],"o":{"ns":1732570000123456789}}';
  const v = parseJsonExact(line) as Record<string, any>;
  t.equal(v['msg'], 'n6');
  t.same(v['user_id'], new ExactNumber('9007199254740993'));
  t.same(v['max'], new ExactNumber('9223372036854775807'));
  t.equal(v['tiny'], 0.00001, '1e-5 stays a number equal to 0.00001');
  t.same(v['n'], [1, 2.5, new ExactNumber('-18446744073709551616')]);
  t.same(v['o'].ns, new ExactNumber('1732570000123456789'));
  t.equal(jsonText(v), line.replace('1e-5', '0.00001'), 'written back digit for digit');

  // Lines with no such number take JSON.parse alone and give plain values.
  t.same(parseJsonExact('{"a":1,"b":"12345678901234567890"}'), { a: 1, b: '12345678901234567890' }, 'digits in a string are text');
  // The slow path keeps JSON.parse's rules: last duplicate wins, __proto__ is data, bad JSON throws.
  const dup = parseJsonExact('{"a":1,"id":12345678901234567890,"a":2}') as Record<string, unknown>;
  t.same(Object.keys(dup), ['a', 'id']);
  t.equal(dup['a'], 2);
  const proto = parseJsonExact('{"__proto__":{"x":12345678901234567890}}') as Record<string, unknown>;
  t.ok(Object.hasOwn(proto, '__proto__'), '__proto__ is an own key');
  t.equal(({} as Record<string, unknown>)['x'], undefined, 'Object.prototype untouched');
  t.throws(() => parseJsonExact('{"a":12345678901234567890'), SyntaxError);
  t.throws(() => parseJsonExact('{"a":"\u0001 12345678901234567890"}'), SyntaxError, 'control character in a string');
});

t.test('jsonText writes exact numbers raw wherever they are; JSON.stringify alone keeps their digits as text', async (t) => {
  const fields = { a: new ExactNumber('12345678901234567890'), b: [new ExactNumber('1e400'), undefined], c: { d: null, e: undefined, f: 'x"y' } };
  t.equal(jsonText(fields), '{"a":12345678901234567890,"b":[1e400,null],"c":{"d":null,"f":"x\\"y"}}');
  t.equal(JSON.stringify(fields), JSON.stringify({ a: '12345678901234567890', b: ['1e400', null], c: { d: null, f: 'x"y' } }));
  t.equal(jsonText({ plain: 1, s: 'é' }), '{"plain":1,"s":"é"}', 'no exact number: one JSON.stringify');
  // A stray toJSON outside jsonText does not make the next call take the slow path wrongly.
  JSON.stringify(new ExactNumber('1'));
  t.equal(jsonText({ x: 2 }), '{"x":2}');
});
