// The ndjson protocol: one record object per line.
import t from 'tap';
import { ndjsonEncoder } from '../../../src/ship/encoders/ndjson.js';
import { ACCESS, ctx, rec } from '../../helpers/records.js';

const TAIL =
  '"host":"web-7d4b9","kubernetes":{"pod":"web-7d4b9","namespace":"shop","node":"worker-1","pod_ip":"10.1.2.3","container":"nginx-container"},"env":"prod"}';
const doc = (offset: number, message: string) =>
  `{"@timestamp":"2026-11-25T21:00:00.123Z","message":${JSON.stringify(message)},"file":"/pod-data/access.log","offset":${offset},"id":"a1b2c3d4e5f60718-${offset.toString(16)}",${TAIL}`;

t.test('ndjson: one object per line', async (t) => {
  const enc = ndjsonEncoder(ctx);
  t.equal(enc.contentType, 'application/x-ndjson');
  t.equal(String(enc.body([rec(0, ACCESS), rec(96, 'b')].map((r) => enc.encode(r)))), `${doc(0, ACCESS)}\n${doc(96, 'b')}\n`);
});
