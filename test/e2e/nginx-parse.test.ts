// The nginx parser on what a real nginx writes: requests with several status codes,
// a quote and UTF-8 in the user agent, a TLS handshake sent to the plain-HTTP port,
// and the error.log lines those requests cause.
import { connect } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { NGINX, startNginx } from '../helpers/nginx.js';
import { startCollector, startTailship, tempDirs } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait-for.js';

/** Bytes of a TLS ClientHello's start, as scanners send to every open port. */
const TLS_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x5e, 0x22]);

async function sendRaw(port: number, bytes: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.resume();
  });
}

t.test(
  'records parsed from a real nginx carry the status codes sent',
  { skip: NGINX ? false : 'nginx is not installed (.ci/run installs it with apt-get)' },
  async (t) => {
    const { dir, logs, state } = tempDirs();
    const nginx = await startNginx(t, dir, logs);
    const collector = await startCollector(t);
    const ts = await startTailship(t, collector, state, {
      TAILSHIP_INCLUDE: `${logs}/*.log`,
      TAILSHIP_PARSER: 'nginx',
    });
    const base = `http://127.0.0.1:${nginx.port}`;
    const agent = 'tailship-test/1.0 "quoted" café';
    const codes = [201, 204, 301, 400, 403, 404, 418, 500, 503];
    for (const code of codes) {
      const res = await fetch(`${base}/code/${code}?run=1`, { headers: { 'user-agent': agent }, redirect: 'manual' });
      await res.arrayBuffer();
      t.equal(res.status, code, `nginx answered ${code}`);
    }
    const ok = await fetch(`${base}/status/`, { headers: { 'user-agent': agent, referer: 'http://example.com/from' } });
    await ok.arrayBuffer();
    const missing = await fetch(`${base}/no-such-file.html`, { headers: { 'user-agent': agent } });
    await missing.arrayBuffer();
    await sendRaw(nginx.port, TLS_HELLO);

    const access = () => collector.records.filter((r) => r['file'] === join(logs, 'access.log'));
    await waitFor('every request in the access log', () => access().length >= codes.length + 3 && access().some((r) => r['status'] === 400 && r['request']));

    const byPath = new Map(access().filter((r) => r['path']).map((r) => [r['path'], r]));
    for (const code of codes) {
      const r = byPath.get(`/code/${code}?run=1`);
      t.match(
        r,
        { status: code, method: 'GET', protocol: 'HTTP/1.1', remote_addr: '127.0.0.1', user_agent: agent },
        `status ${code} parsed, the user agent unescaped`,
      );
      t.notOk(r?.['parse_error'], `${code}: no parse error`);
    }
    const index = byPath.get('/status/');
    t.match(index, { status: 200, body_bytes_sent: 3, referer: 'http://example.com/from' }, 'size and referer');
    // 404, or 403 where nginx's workers (www-data under a root master) cannot enter the
    // private temp dir: either way a static-file miss, and an error.log line.
    t.match(byPath.get('/no-such-file.html'), { status: /^(404|403)$/ });
    // fetch sends header text as Latin-1 (é is one byte, 0xE9); nginx escapes it.
    t.match(String(index?.['message']), /\\x22quoted\\x22 caf(\\xE9|\\xC3\\xA9)/, 'the message keeps the line as nginx wrote it');
    // The record time is nginx's $time_local (whole seconds), the read time is kept too.
    t.match(index?.['@timestamp'], /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
    t.ok(
      Math.abs(Date.parse(index?.['@timestamp']) - Date.parse(index?.['read_time'])) < 10_000,
      'line time and read time within seconds',
    );
    const probe = access().find((r) => r['request'] !== undefined);
    t.match(probe, { status: 400, request: /^\\x16\\x03\\x01/ }, 'the TLS probe: request kept, escaped, status 400');
    t.notOk(probe?.['method'], 'no method made up for it');

    const errors = () => collector.records.filter((r) => r['file'] === join(logs, 'error.log'));
    await waitFor('the error.log line of the missing file', () => errors().find((r) => r['path'] === '/no-such-file.html'));
    const notFound = errors().find((r) => r['path'] === '/no-such-file.html')!;
    t.match(notFound, {
      level: 'error',
      pid: Number,
      connection: Number,
      error: /open\(\) ".*no-such-file.html" failed \((2: No such file or directory|13: Permission denied)\)/,
      remote_addr: '127.0.0.1',
      method: 'GET',
      http_host: `127.0.0.1:${nginx.port}`,
    });
    const unparsed = collector.records.filter((r) => r['parse_error'] !== undefined);
    t.strictSame(
      unparsed.map((r) => r['message']),
      [],
      'every line nginx wrote, access and error, parsed',
    );
    t.notMatch((await ts.get('/metrics')).body, /tailship_parse_errors_total\{/, 'no parse error counted');
    t.same(await ts.stop(), { code: 0, signal: null });
  },
);
