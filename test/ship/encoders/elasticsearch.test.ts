import t from 'tap';
import { elasticsearchEncoder } from '../../../src/ship/encoders/elasticsearch.js';
import { indexPatternProblem, IndexName } from '../../../src/ship/encoders/es-index.js';
import { bulkProblems } from '../../helpers/protocol-rules.js';
import { ACCESS, ctx, rec, T0 } from '../../helpers/records.js';

const DOC_TAIL =
  '"host":"web-7d4b9","kubernetes":{"pod":"web-7d4b9","namespace":"shop","node":"worker-1","pod_ip":"10.1.2.3","container":"nginx-container"},"env":"prod"}';

t.test('golden: create action with the record id, then the document; final newline', async (t) => {
  const enc = elasticsearchEncoder(ctx, { index: 'logs-%Y.%m.%d' });
  t.equal(enc.defaultPath, '/_bulk');
  t.equal(enc.contentType, 'application/x-ndjson');
  const body = String(enc.body([rec(0, ACCESS), rec(96, 'next', { timeMs: T0 + 86_400_000 })].map((r) => enc.encode(r))));
  const expected =
    '{"create":{"_index":"logs-2026.11.25","_id":"a1b2c3d4e5f60718-0"}}\n' +
    `{"@timestamp":"2026-11-25T21:00:00.123Z","message":${JSON.stringify(ACCESS)},"file":"/pod-data/access.log","offset":0,"id":"a1b2c3d4e5f60718-0",${DOC_TAIL}\n` +
    '{"create":{"_index":"logs-2026.11.26","_id":"a1b2c3d4e5f60718-60"}}\n' +
    `{"@timestamp":"2026-11-26T21:00:00.123Z","message":"next","file":"/pod-data/access.log","offset":96,"id":"a1b2c3d4e5f60718-60",${DOC_TAIL}\n`;
  t.equal(body, expected);
  t.same(bulkProblems(body), []);
});

t.test('no index configured: the action names none, so /<index>/_bulk in the URL applies', async (t) => {
  const enc = elasticsearchEncoder(ctx, { index: undefined });
  const body = String(enc.body([enc.encode(rec(0, 'x'))]));
  t.equal(body.split('\n')[0], '{"create":{"_id":"a1b2c3d4e5f60718-0"}}');
  t.same(bulkProblems(body), []);
});

t.test('the bulk rules catch what Elasticsearch would refuse', async (t) => {
  t.match(bulkProblems('{"create":{"_id":"1"}}\n{"a":1}').join(), /newline/);
  t.match(bulkProblems('{"create":{"_id":"1"}}\n').join(), /odd number/);
  t.match(bulkProblems('{"index":{}}\n{"a":1}\n').join(), /create/);
});

t.test('index patterns', async (t) => {
  const day = new IndexName('logs-%Y.%m.%d');
  t.equal(day.json(T0), '"logs-2026.11.25"');
  t.equal(day.json(Date.parse('2026-11-25T23:59:59.999Z')), '"logs-2026.11.25"');
  t.equal(day.json(Date.parse('2026-11-26T00:00:00.000Z')), '"logs-2026.11.26"');
  t.equal(day.json(Date.parse('2026-01-02T00:00:00.000Z')), '"logs-2026.01.02"');
  t.equal(new IndexName('logs-%Y.%m.%d-%H').json(T0), '"logs-2026.11.25-21"');
  t.equal(new IndexName('plain').json(T0), '"plain"');
  t.equal(new IndexName('pct-%%-%Y').json(T0), '"pct-%-2026"');
  t.equal(indexPatternProblem('logs-tailship-default'), undefined);
  t.equal(indexPatternProblem('logs-%Y.%m.%d'), undefined);
  t.match(indexPatternProblem('Logs'), /lowercase/);
  t.match(indexPatternProblem('logs-%j'), /placeholder %j/);
  t.match(indexPatternProblem('logs-%'), /placeholder/);
  t.match(indexPatternProblem('_logs'), /start/);
  t.match(indexPatternProblem('a b'), /lowercase/);
  t.match(indexPatternProblem(''), /empty/);
});
