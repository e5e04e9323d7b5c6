// A framed protocol is its records' text and a frame: bytes, sizes and the body follow.
import t from 'tap';
import { CONCATENATED, JSON_ARRAY } from '../../../src/batch/byte-frame.js';
import { framedEncoder } from '../../../src/ship/encoders/framed-encoder.js';
import { rec } from '../../helpers/records.js';

t.test('a record is the UTF-8 of its text; its size counts one separator; the body is the frame around the records', async (t) => {
  const array = framedEncoder({ defaultPath: '/', contentType: 'application/json', frame: JSON_ARRAY, text: (r) => JSON.stringify(r.message) });
  const a = array.encode(rec(0, 'héllo'));
  t.same(a, Buffer.from('"héllo"'));
  t.equal(array.size(a), Buffer.byteLength('"héllo"') + 1, 'the comma that joins it');
  t.equal(String(array.body([a, array.encode(rec(8, 'b'))])), '["héllo","b"]');
  t.equal(array.text!(rec(0, 'x')), '"x"');
  const lines = framedEncoder({ defaultPath: '/', contentType: 'text/plain', frame: CONCATENATED, text: (r) => `${r.message}\n` });
  const l = lines.encode(rec(0, 'x'));
  t.equal(lines.size(l), 2, 'no separator');
  t.equal(String(lines.body([l, lines.encode(rec(2, 'y'))])), 'x\ny\n');
});
