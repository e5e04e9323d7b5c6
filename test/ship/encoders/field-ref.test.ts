import t from 'tap';
import { FIELD_REF_RE, parseFieldRef, resolveFieldRef } from '../../../src/ship/encoders/field-ref.js';
import { ctx, rec } from '../../helpers/records.js';

t.test('references resolve once where they can, per record where they must', async (t) => {
  const r = rec(96, 'x', { fields: { status: 404, user: { name: 'ann' }, 'user.agent': 'curl', empty: '' } });
  const cases: Array<[string, string, string | undefined]> = [
    ['literal', 'constant', 'literal'],
    ['$$dollar', 'constant', '$dollar'],
    ['$host', 'constant', 'web-7d4b9'],
    ['$kubernetes.namespace', 'constant', 'shop'],
    ['$kubernetes.pod', 'constant', 'web-7d4b9'],
    ['$kubernetes.node', 'constant', 'worker-1'],
    ['$kubernetes.container', 'constant', 'nginx-container'],
    ['$kubernetes.pod_ip', 'constant', '10.1.2.3'],
    ['$env', 'constant', 'prod'],
    ['$file', 'file', '/pod-data/access.log'],
    ['$offset', 'offset', '96'],
    ['$id', 'id', 'a1b2c3d4e5f60718-60'],
    ['$status', 'field', '404'],
    ['$user.name', 'field', 'ann'],
    ['$user.agent', 'field', 'curl'],
    ['$user', 'field', '{"name":"ann"}'],
    ['$empty', 'field', undefined],
    ['$nothing', 'field', undefined],
  ];
  for (const [template, kind, value] of cases) {
    const ref = parseFieldRef(template, ctx);
    t.equal(ref.kind, kind, `${template} kind`);
    t.equal(resolveFieldRef(ref, r), value, `${template} value`);
  }
  t.equal(resolveFieldRef(parseFieldRef('$status', ctx), rec(0, 'no fields')), undefined);
  t.equal(resolveFieldRef(parseFieldRef('$kubernetes.pod', { ...ctx, kubernetes: {} }), r), undefined);
});

t.test('reference syntax', async (t) => {
  for (const ok of ['$a', '$kubernetes.namespace', '$_x', '$@timestamp', '$user-agent']) t.ok(FIELD_REF_RE.test(ok), ok);
  for (const bad of ['$', '$1a', '$a b', 'a', '$a/b']) t.notOk(FIELD_REF_RE.test(bad), bad);
});
