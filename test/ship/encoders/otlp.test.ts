import t from 'tap';
import { NginxParser } from '../../../src/record/nginx-parser.js';
import { otlpEncoder, otlpResourceAttributes } from '../../../src/ship/encoders/otlp.js';
import { ExactNumber } from '../../../src/record/exact-number.js';
import { anyValueJson } from '../../../src/ship/encoders/otlp-value.js';
import { severityOf } from '../../../src/ship/encoders/severity.js';
import { otlpLogsProblems } from '../../helpers/protocol-rules.js';
import { ACCESS, ctx, rec, T0 } from '../../helpers/records.js';

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

t.test('golden: resourceLogs → scopeLogs → logRecords with semantic-convention attributes', async (t) => {
  const enc = otlpEncoder(ctx, { version: '1.2.3' });
  t.equal(enc.defaultPath, '/v1/logs');
  t.equal(enc.contentType, 'application/json');
  const parsedAt = T0 - 2_000.5;
  const records = [
    rec(0, ACCESS, { timeMs: parsedAt, fields: { status: 200, method: 'GET', bytes: 615, ratio: 0.5, cached: false } }),
    rec(96, 'no fields', { truncated: true }),
    rec(130, 'with trace', {
      fields: { level: 'error', trace_id: '5B8EFFF798038103D269B633813FC60C', span_id: 'EEE19B7EC3C1B174' },
    }),
  ];
  const body = String(enc.body(records.map((r) => enc.encode(r))));
  const expected = {
    resourceLogs: [
      {
        resource: {
          attributes: [
            str('service.name', 'nginx-container'),
            str('host.name', 'web-7d4b9'),
            str('k8s.pod.name', 'web-7d4b9'),
            str('k8s.namespace.name', 'shop'),
            str('k8s.node.name', 'worker-1'),
            str('k8s.pod.ip', '10.1.2.3'),
            str('k8s.container.name', 'nginx-container'),
            str('env', 'prod'),
          ],
        },
        scopeLogs: [
          {
            scope: { name: 'tailship', version: '1.2.3' },
            logRecords: [
              {
                timeUnixNano: '1795640398122500000',
                observedTimeUnixNano: '1795640400123000000',
                severityNumber: 9,
                severityText: 'INFO',
                body: { stringValue: ACCESS },
                attributes: [
                  str('log.file.path', '/pod-data/access.log'),
                  str('log.file.name', 'access.log'),
                  str('log.record.uid', 'a1b2c3d4e5f60718-0'),
                  { key: 'status', value: { intValue: '200' } },
                  str('method', 'GET'),
                  { key: 'bytes', value: { intValue: '615' } },
                  { key: 'ratio', value: { doubleValue: 0.5 } },
                  { key: 'cached', value: { boolValue: false } },
                ],
              },
              {
                timeUnixNano: '1795640400123000000',
                observedTimeUnixNano: '1795640400123000000',
                body: { stringValue: 'no fields' },
                attributes: [
                  str('log.file.path', '/pod-data/access.log'),
                  str('log.file.name', 'access.log'),
                  str('log.record.uid', 'a1b2c3d4e5f60718-60'),
                  { key: 'tailship.truncated', value: { boolValue: true } },
                ],
              },
              {
                timeUnixNano: '1795640400123000000',
                observedTimeUnixNano: '1795640400123000000',
                severityNumber: 17,
                severityText: 'error',
                body: { stringValue: 'with trace' },
                attributes: [
                  str('log.file.path', '/pod-data/access.log'),
                  str('log.file.name', 'access.log'),
                  str('log.record.uid', 'a1b2c3d4e5f60718-82'),
                  str('level', 'error'),
                  str('trace_id', '5B8EFFF798038103D269B633813FC60C'),
                  str('span_id', 'EEE19B7EC3C1B174'),
                ],
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
              },
            ],
          },
        ],
      },
    ],
  };
  t.equal(body, JSON.stringify(expected));
  t.same(otlpLogsProblems(body), []);
});

t.test('nginx fields: OpenTelemetry semantic-convention names, severity from the level', async (t) => {
  const enc = otlpEncoder(ctx, { version: '1.2.3' });
  const parser = new NginxParser();
  const parsed = (offset: number, line: string) => {
    const p = parser.parse(line);
    if (typeof p === 'string') throw new Error(p);
    return rec(offset, line, { timeMs: p.timeMs ?? T0, fields: p.fields, parsedBy: 'nginx' });
  };
  const access =
    '10.0.0.7 - alice [25/Nov/2026:21:00:00 +0000] "GET /search?q=shoes&page=2 HTTP/2.0" 200 615 "https://shop.example/" "curl/8.5.0" "203.0.113.7, 10.0.0.1" 0.004 0.003';
  const error =
    '2026/11/25 21:00:00 [crit] 12#13: *7 open() "/x/missing.png" failed (2: No such file or directory), client: 10.0.0.7, server: shop.example, request: "PROPFIND /x HTTP/1.1", host: "shop.example:8080"';
  const body = JSON.parse(String(enc.body([parsed(0, access), parsed(200, error)].map((r) => enc.encode(r)))));
  const [a, e] = body.resourceLogs[0].scopeLogs[0].logRecords;
  const attrs = (r: { attributes: Array<{ key: string; value: unknown }> }) => Object.fromEntries(r.attributes.map((x) => [x.key, x.value]));
  const strArray = (v: string) => ({ arrayValue: { values: [{ stringValue: v }] } });
  t.same(attrs(a), {
    'log.file.path': { stringValue: '/pod-data/access.log' },
    'log.file.name': { stringValue: 'access.log' },
    'log.record.uid': { stringValue: 'a1b2c3d4e5f60718-0' },
    'client.address': { stringValue: '10.0.0.7' },
    'user.name': { stringValue: 'alice' },
    'http.request.method': { stringValue: 'GET' },
    'url.path': { stringValue: '/search' },
    'url.query': { stringValue: 'q=shoes&page=2' },
    'network.protocol.name': { stringValue: 'http' },
    'network.protocol.version': { stringValue: '2' },
    'http.response.status_code': { intValue: '200' },
    'http.response.body.size': { intValue: '615' },
    'http.request.header.referer': strArray('https://shop.example/'),
    'user_agent.original': { stringValue: 'curl/8.5.0' },
    'http.request.header.x-forwarded-for': strArray('203.0.113.7, 10.0.0.1'),
    request_time: { doubleValue: 0.004 },
    upstream_response_time: { doubleValue: 0.003 },
  });
  t.equal(a.timeUnixNano, '1795640400000000000', "nginx's time");
  t.equal(a.severityNumber, 9, 'an access line: INFO from the 200');
  t.same(attrs(e), {
    'log.file.path': { stringValue: '/pod-data/access.log' },
    'log.file.name': { stringValue: 'access.log' },
    'log.record.uid': { stringValue: 'a1b2c3d4e5f60718-c8' },
    'process.pid': { intValue: '12' },
    'thread.id': { intValue: '13' },
    connection: { intValue: '7' },
    error: { stringValue: 'open() "/x/missing.png" failed (2: No such file or directory)' },
    'client.address': { stringValue: '10.0.0.7' },
    'server.address': { stringValue: 'shop.example' },
    'http.request.method': { stringValue: '_OTHER' },
    'http.request.method_original': { stringValue: 'PROPFIND' },
    'url.path': { stringValue: '/x' },
    'network.protocol.name': { stringValue: 'http' },
    'network.protocol.version': { stringValue: '1.1' },
    'http.request.header.host': strArray('shop.example:8080'),
  });
  t.same([e.severityNumber, e.severityText], [18, 'crit'], 'crit is ERROR2 (the data model\'s syslog Critical); no level attribute beside it');
  t.same(otlpLogsProblems(JSON.stringify(body)), []);

  const json = rec(0, '{"status":"ok"}', { fields: { status: 'ok', path: '/a?b' }, parsedBy: 'json' });
  t.same(
    JSON.parse(String(enc.body([enc.encode(json)]))).resourceLogs[0].scopeLogs[0].logRecords[0].attributes.slice(3),
    [str('status', 'ok'), str('path', '/a?b')],
    "another parser's fields keep their names",
  );
});

t.test('the OTLP rules catch what a collector would refuse', async (t) => {
  const bad = JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'n', value: { intValue: 5 } }] },
        scopeLogs: [
          {
            scope: { name: 'x' },
            logRecords: [{ timeUnixNano: 1795640400123000000, severityNumber: 'SEVERITY_NUMBER_INFO', trace_id: 'zz' }],
          },
        ],
      },
    ],
  });
  const problems = otlpLogsProblems(bad).join('\n');
  t.match(problems, /intValue \(int64\) must be a decimal string/);
  t.match(problems, /timeUnixNano \(fixed64\) must be a decimal string/);
  t.match(problems, /severityNumber must be an integer/);
  t.match(problems, /trace_id is not lowerCamelCase/);
});

t.test('AnyValue encoding', async (t) => {
  const cases: Array<[unknown, string | undefined]> = [
    ['a"b', '{"stringValue":"a\\"b"}'],
    [true, '{"boolValue":true}'],
    [42, '{"intValue":"42"}'],
    [-7, '{"intValue":"-7"}'],
    // Beyond 2^53, an integer a double holds is written as JSON writes it (the digits a
    // JSON log held: exact-number.ts keeps any other as an ExactNumber), as intValue
    // within int64, as doubleValue beyond.
    [2 ** 60, '{"intValue":"1152921504606847000"}'],
    [-(2 ** 63), '{"doubleValue":-9223372036854776000}'],
    [1e20, '{"doubleValue":100000000000000000000}'],
    [new ExactNumber('9007199254740993'), '{"intValue":"9007199254740993"}'],
    [new ExactNumber('9223372036854775807'), '{"intValue":"9223372036854775807"}'],
    [new ExactNumber('-9223372036854775808'), '{"intValue":"-9223372036854775808"}'],
    // Beyond int64, or not an integer: a double would lose the digits; the text keeps them.
    [new ExactNumber('9223372036854775808'), '{"stringValue":"9223372036854775808"}'],
    [new ExactNumber('0.10000000000000000001'), '{"stringValue":"0.10000000000000000001"}'],
    [new ExactNumber('1e400'), '{"stringValue":"1e400"}'],
    [12345678901234567890n, '{"intValue":"12345678901234567890"}'],
    [1.25, '{"doubleValue":1.25}'],
    [NaN, '{"doubleValue":"NaN"}'],
    [-Infinity, '{"doubleValue":"-Infinity"}'],
    [null, undefined],
    [undefined, undefined],
    [['a', 1], '{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"}]}}'],
    [{ a: { b: 'c' }, n: null }, '{"kvlistValue":{"values":[{"key":"a","value":{"kvlistValue":{"values":[{"key":"b","value":{"stringValue":"c"}}]}}}]}}'],
  ];
  for (const [v, want] of cases) t.equal(anyValueJson(v), want, String(v));
});

t.test('severity from level words and HTTP status', async (t) => {
  const cases: Array<[Record<string, unknown> | undefined, number | undefined]> = [
    [undefined, undefined],
    [{}, undefined],
    [{ level: 'debug' }, 5],
    [{ level: 'INFO' }, 9],
    [{ level: 'notice' }, 10],
    [{ level: 'warn' }, 13],
    [{ severity: 'Warning' }, 13],
    [{ level: 'error' }, 17],
    [{ level: 'crit' }, 18],
    [{ level: 'alert' }, 19],
    [{ level: 'emerg' }, 21],
    [{ level: 'fatal' }, 21],
    [{ level: 'chatty' }, undefined],
    [{ status: 200 }, 9],
    [{ status: '304' }, 9],
    [{ status: 404 }, 13],
    [{ status: 502 }, 17],
    [{ status: 999 }, undefined],
    [{ status: 'abc' }, undefined],
    [{ level: 'info', status: 500 }, 9],
  ];
  for (const [fields, want] of cases) t.equal(severityOf(fields)?.number, want, JSON.stringify(fields));
});

t.test('service.name: from TAILSHIP_FIELDS, else the container, else tailship', async (t) => {
  const first = (c: typeof ctx) => otlpResourceAttributes(c)[0];
  t.same(first({ ...ctx, fields: [['service.name', 'shop-web']] }), ['service.name', 'shop-web']);
  t.same(first(ctx), ['service.name', 'nginx-container']);
  t.same(first({ ...ctx, kubernetes: {}, fields: [] }), ['service.name', 'tailship']);
  t.notOk(
    otlpResourceAttributes({ ...ctx, fields: [['service.name', 'x']] }).filter(([k]) => k === 'service.name').length > 1,
    'service.name once',
  );
});

t.test('bug: a first record with an empty file name made the body invalid JSON (`"attributes":[,…`)', async (t) => {
  // The per-file cache started at '', so an empty name looked cached and got no attributes.
  const enc = otlpEncoder(ctx, { version: '1.0.0' });
  const body = String(enc.body([rec(0, 'a', { file: '' }), rec(2, 'b')].map((r) => enc.encode(r))));
  t.same(otlpLogsProblems(body), []);
});
