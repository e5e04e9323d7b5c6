import t from 'tap';
import { jsonArrayEncoder } from '../../../src/ship/encoders/json-array.js';
import { ndjsonEncoder } from '../../../src/ship/encoders/ndjson.js';
import { ACCESS, ctx, rec } from '../../helpers/records.js';

const TAIL =
  '"host":"web-7d4b9","kubernetes":{"pod":"web-7d4b9","namespace":"shop","node":"worker-1","pod_ip":"10.1.2.3","container":"nginx-container"},"env":"prod"}';
const doc = (offset: number, message: string) =>
  `{"@timestamp":"2026-11-25T21:00:00.123Z","message":${JSON.stringify(message)},"file":"/pod-data/access.log","offset":${offset},"id":"a1b2c3d4e5f60718-${offset.toString(16)}",${TAIL}`;

t.test('json: one array per request', async (t) => {
  const enc = jsonArrayEncoder(ctx);
  t.equal(enc.contentType, 'application/json');
  t.equal(enc.defaultPath, '/');
  const body = String(enc.body([rec(0, ACCESS), rec(96, 'b')].map((r) => enc.encode(r))));
  t.equal(body, `[${doc(0, ACCESS)},${doc(96, 'b')}]`);
  t.equal(JSON.parse(body).length, 2);
  t.equal(String(enc.body([enc.encode(rec(0, 'only'))])), `[${doc(0, 'only')}]`);
});

t.test("json and ndjson records carry the time in epoch seconds too, as Fluentd's in_http reads it", async (t) => {
  const fluentd = { ...ctx, epochTimeField: 'time' };
  const parsed = rec(0, ACCESS, { timeMs: Date.parse('2026-11-25T21:00:00Z'), fields: { status: 200 } });
  for (const enc of [jsonArrayEncoder(fluentd), ndjsonEncoder(fluentd)]) {
    const text = String(enc.body([enc.encode(parsed), enc.encode(rec(96, 'b'))]));
    t.match(text, /^\[?\{"@timestamp":"2026-11-25T21:00:00.000Z","time":1795640400.000,"message":/, 'the line\'s time, after @timestamp');
    t.match(text, /"@timestamp":"2026-11-25T21:00:00.123Z","time":1795640400.123,"message":"b"/, 'the read time when the line has none');
  }
  t.notMatch(String(jsonArrayEncoder(ctx).encode(rec(0, 'x'))), /"time"/, 'not without the key');
});
