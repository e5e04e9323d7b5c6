// Record ids: stable across re-sends, unique per line, and distinct for a joined record.
import t from 'tap';
import { fileKey, joinedRecordId, recordId } from '../../src/record/record-id.js';

t.test('ids', async (t) => {
  const key = fileKey('host', 64769, 1234, Buffer.from('first bytes'));
  t.match(key, /^[0-9a-f]{16}$/);
  t.equal(fileKey('host', 64769, 1234, Buffer.from('first bytes')), key, 'deterministic');
  t.not(fileKey('host', 64769, 1235, Buffer.from('first bytes')), key, 'another inode, another key');
  t.equal(recordId(key, 0), `${key}-0`);
  t.equal(recordId(key, 4096), `${key}-1000`);
  t.equal(joinedRecordId(key, 4096, 4200), `${key}-1000-1068`);
  t.not(joinedRecordId(key, 4096, 4200), joinedRecordId(key, 4096, 4300), 'a different join, a different id');
});
