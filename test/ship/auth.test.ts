// Credentials: Authorization values, secrets from files read again when they change or
// after a refusal, and start-up errors that name the variable and path, never the secret.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { TailshipError } from '../../src/errors.js';
import { authorizationValue, Credentials, secretFromFile, type AuthEvents, type AuthOptions } from '../../src/ship/auth.js';
import { waitFor } from '../helpers/wait-for.js';

const noAuth: AuthOptions = { bearerToken: undefined, bearerTokenFile: undefined, basicUser: undefined, basicPassword: undefined, basicPasswordFile: undefined };
const url = new URL('http://collector:8080/');

function recorder() {
  const events: string[] = [];
  const sink: AuthEvents = {
    rotated: (path) => events.push(`rotated ${path}`),
    readFailed: (path, code) => events.push(`failed ${path} ${code}`),
  };
  return { events, sink };
}

/** Replaces a file the way a Secret update does: write aside, then rename over it. */
function replace(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

t.test('Authorization values', async (t) => {
  t.equal(authorizationValue({ token: 'abc', scheme: 'Bearer' }), 'Bearer abc');
  t.equal(authorizationValue({ token: 'abc', scheme: 'Splunk' }), 'Splunk abc');
  t.equal(authorizationValue({ user: 'Aladdin', password: 'open sesame' }), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  t.equal(secretFromFile('tok\n'), 'tok');
  t.equal(secretFromFile('tok\r\n\n'), 'tok');
  t.equal(secretFromFile(' tok '), ' tok ', 'only line ends are trimmed');
});

t.test('from the configuration', async (t) => {
  const { sink } = recorder();
  t.equal(Credentials.fromOptions(noAuth, 'Bearer', url, sink).header, undefined);
  t.equal(Credentials.fromOptions({ ...noAuth, bearerToken: 't1' }, 'Bearer', url, sink).header, 'Bearer t1');
  t.equal(Credentials.fromOptions({ ...noAuth, bearerToken: 't1' }, 'Splunk', url, sink).header, 'Splunk t1');
  t.equal(
    Credentials.fromOptions({ ...noAuth, basicUser: 'u', basicPassword: 'p' }, 'Bearer', url, sink).header,
    `Basic ${Buffer.from('u:p').toString('base64')}`,
  );
  t.equal(
    Credentials.fromOptions(noAuth, 'Bearer', new URL('http://us%40er:p%3Aw@c/'), sink).header,
    `Basic ${Buffer.from('us@er:p:w').toString('base64')}`,
    'credentials in the URL',
  );
});

t.test('a token file is re-read when it changes, and on demand; a failed read keeps the old token', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-auth-'));
  const file = join(dir, 'token');
  writeFileSync(file, 'first-token\n');
  const { events, sink } = recorder();
  const creds = Credentials.fromOptions({ ...noAuth, bearerTokenFile: file }, 'Bearer', url, sink);
  t.teardown(() => creds.close());
  t.equal(creds.header, 'Bearer first-token');

  replace(file, 'second-token\n');
  await waitFor('the watcher to pick up the new token', () => creds.header === 'Bearer second-token', { timeoutMs: 5000 });
  t.same(events, [`rotated ${file}`], 'the event names the file, never the token');

  replace(file, 'third-token');
  await creds.refresh(Date.now() + 10_000);
  t.equal(creds.header, 'Bearer third-token', 'refresh (after a 401) reads at once');

  rmSync(file);
  await creds.refresh(Date.now() + 20_000);
  t.equal(creds.header, 'Bearer third-token', 'kept');
  t.ok(events.includes(`failed ${file} ENOENT`));
  t.notOk(events.join().includes('token-'), 'no secret in any event');
});

t.test('basic auth with a password file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-auth-'));
  const file = join(dir, 'password');
  writeFileSync(file, 'pw1\n');
  const { sink } = recorder();
  const creds = Credentials.fromOptions({ ...noAuth, basicUser: 'shipper', basicPasswordFile: file }, 'Bearer', url, sink);
  t.teardown(() => creds.close());
  t.equal(creds.header, `Basic ${Buffer.from('shipper:pw1').toString('base64')}`);
  replace(file, 'pw2\n');
  await creds.refresh(Date.now() + 10_000);
  t.equal(creds.header, `Basic ${Buffer.from('shipper:pw2').toString('base64')}`);
});

t.test('a missing or empty secret file stops start-up, naming the variable and path only', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-auth-'));
  const empty = join(dir, 'empty');
  writeFileSync(empty, '\n');
  const { sink } = recorder();
  const cases: Array<[AuthOptions, RegExp]> = [
    [{ ...noAuth, bearerTokenFile: join(dir, 'nope') }, /^TAILSHIP_AUTH_BEARER_TOKEN_FILE: cannot read .*nope \(ENOENT\)$/],
    [{ ...noAuth, bearerTokenFile: empty }, /^TAILSHIP_AUTH_BEARER_TOKEN_FILE: .*empty is empty$/],
    [{ ...noAuth, basicUser: 'u', basicPasswordFile: join(dir, 'nope') }, /^TAILSHIP_AUTH_BASIC_PASSWORD_FILE: cannot read/],
  ];
  for (const [config, want] of cases) {
    let thrown: unknown;
    try {
      Credentials.fromOptions(config, 'Bearer', url, sink).close();
    } catch (error) {
      thrown = error;
    }
    t.ok(thrown instanceof TailshipError);
    t.match(thrown, { code: 'ERR_AUTH_FILE', message: want });
  }
});

t.test('a Kubernetes Secret volume update (the ..data symlink swap) is picked up', async (t) => {
  // The kubelet's layout: token -> ..data/token, ..data -> ..<timestamp>/; an update writes a
  // new timestamped directory and renames a new ..data symlink over the old one.
  const { mkdirSync, symlinkSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'tailship-secret-'));
  mkdirSync(join(dir, '..2026_11_25_21_00_00.1'));
  writeFileSync(join(dir, '..2026_11_25_21_00_00.1', 'token'), 'generation-1');
  symlinkSync('..2026_11_25_21_00_00.1', join(dir, '..data'));
  symlinkSync('..data/token', join(dir, 'token'));
  const { events, sink } = recorder();
  const creds = Credentials.fromOptions({ ...noAuth, bearerTokenFile: join(dir, 'token') }, 'Bearer', url, sink);
  t.teardown(() => creds.close());
  t.equal(creds.header, 'Bearer generation-1');
  mkdirSync(join(dir, '..2026_11_25_22_00_00.2'));
  writeFileSync(join(dir, '..2026_11_25_22_00_00.2', 'token'), 'generation-2');
  symlinkSync('..2026_11_25_22_00_00.2', join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  rmSync(join(dir, '..2026_11_25_21_00_00.1'), { recursive: true });
  await waitFor('the new generation', () => creds.header === 'Bearer generation-2', { timeoutMs: 5000 });
  t.same(events, [`rotated ${join(dir, 'token')}`]);
});
