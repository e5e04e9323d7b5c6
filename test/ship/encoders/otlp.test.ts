import t from 'tap';
import { otlpEncoder, otlpResourceAttributes } from '../../../src/ship/encoders/otlp.js';
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
    [2 ** 60, '{"doubleValue":1152921504606847000}'], // beyond 2^53: not an exact integer any more
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
