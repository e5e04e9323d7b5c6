// Numbers keep their value through every protocol: a JSON log line with integers beyond
// 2^53 and int64, a decimal with more digits than a double keeps, and 1e-5, parsed by
// TAILSHIP_PARSER=json in the built process, reaches each protocol's receiver digit for
// digit. The bodies are read here with lossless-json, so the test sees the digits sent,
// not what a double would make of them.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLosslessNumber, parse } from 'lossless-json';
import t, { type Test } from 'tap';
import { TestCollector, type Protocol } from '../helpers/collector.js';
import { TailshipProcess } from '../helpers/tailship-process.js';
import { waitFor } from '../helpers/wait-for.js';

const LINE =
  '{"msg":"n6","user_id":9007199254740993,"max":9223372036854775807,"big":18446744073709551616,' +
  '"tiny":1e-5,"precise":0.10000000000000000001,"ns":1732570000123456789,"nested":{"offset":12345678901234567890}}';

/** The digits each number must arrive with (tiny: any spelling of 0.00001). */
const DIGITS: Record<string, string> = {
  user_id: '9007199254740993',
  max: '9223372036854775807',
  big: '18446744073709551616',
  precise: '0.10000000000000000001',
  ns: '1732570000123456789',
};

type Obj = any;

/** One run: the line written, tailship started with `env`, the bodies it sent. */
async function bodies(t: Test, protocol: Protocol, env: Record<string, string> = {}): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), `tailship-exact-${protocol}-`));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  writeFileSync(join(logs, 'app.log'), `${LINE}\n`);
  const rx = new TestCollector({ protocol });
  t.teardown(() => rx.close());
  await rx.start();
  const ts = new TailshipProcess({
    TAILSHIP_COLLECTOR_URL: rx.url,
    TAILSHIP_SINK: protocol,
    TAILSHIP_PARSER: 'json',
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_STATE_DIR: join(dir, 'state'),
    TAILSHIP_BATCH_LINGER_MS: '50',
    TAILSHIP_DRAIN_QUIET: '100ms',
    ...env,
  });
  t.teardown(() => ts.kill());
  await waitFor(`${protocol}: the line at the receiver`, () => rx.lines.length >= 1 || rx.problems.length > 0);
  t.same(await ts.stop(), { code: 0, signal: null });
  t.same(rx.problems, [], 'valid for the protocol');
  return rx.requests.map((r) => r.body);
}

/** A record (or Splunk event) as JSON: each number a JSON number with its digits. */
function checkRecord(t: Test, rec: Obj): void {
  for (const [key, digits] of Object.entries(DIGITS)) {
    t.ok(isLosslessNumber(rec[key]), `${key} is a JSON number`);
    t.equal(String(rec[key]), digits, `${key} digit for digit`);
  }
  t.ok(isLosslessNumber(rec.tiny) && Number(String(rec.tiny)) === 0.00001, `1e-5 is a number equal to 0.00001 (${rec.tiny})`);
  t.equal(String(rec.nested.offset), '12345678901234567890', 'nested too');
}

for (const protocol of ['ndjson', 'json', 'elasticsearch', 'splunk_hec'] as const) {
  t.test(`${protocol}: numbers arrive digit for digit`, async (t) => {
    const [body] = await bodies(t, protocol);
    t.match(body, '"user_id":9007199254740993', 'in the body as written');
    const lines = body!.split('\n').filter(Boolean);
    const rec: Obj =
      protocol === 'ndjson' ? parse(lines[0]!)
      : protocol === 'json' ? (parse(body!) as Obj[])[0]
      : protocol === 'elasticsearch' ? parse(lines[1]!)
      : (parse(lines[0]!) as Obj).event;
    checkRecord(t, rec);
  });
}

t.test('loki: the JSON line and structured metadata carry the digits', async (t) => {
  const [line] = await bodies(t, 'loki', { TAILSHIP_LOKI_LINE: 'json' });
  const entry = (parse(line!) as Obj).streams[0].values[0];
  checkRecord(t, parse(entry[1]));
  const [meta] = await bodies(t, 'loki', { TAILSHIP_LOKI_STRUCTURED_METADATA: 'user_id=$user_id,max=$max,ns=$ns,offset=$nested.offset,tiny=$tiny' });
  t.strictSame((parse(meta!) as Obj).streams[0].values[0][2], {
    user_id: '9007199254740993',
    max: '9223372036854775807',
    ns: '1732570000123456789',
    offset: '12345678901234567890',
    tiny: '0.00001',
  });
});

t.test('otlp: int64 as intValue, beyond it and long decimals as their digits in stringValue', async (t) => {
  const [body] = await bodies(t, 'otlp');
  const record: Obj = (parse(body!) as Obj).resourceLogs[0].scopeLogs[0].logRecords[0];
  const attr = (key: string) => record.attributes.find((a: Obj) => a.key === key)?.value;
  t.strictSame(attr('user_id'), { intValue: '9007199254740993' });
  t.strictSame(attr('max'), { intValue: '9223372036854775807' });
  t.strictSame(attr('ns'), { intValue: '1732570000123456789' });
  t.strictSame(attr('big'), { stringValue: '18446744073709551616' }, 'beyond int64: a double would lose digits');
  t.strictSame(attr('precise'), { stringValue: '0.10000000000000000001' });
  t.equal(Number(String(attr('tiny').doubleValue)), 0.00001, 'tiny: doubleValue 0.00001');
  t.strictSame(attr('nested'), { kvlistValue: { values: [{ key: 'offset', value: { stringValue: '12345678901234567890' } }] } });
});
