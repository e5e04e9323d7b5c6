// `npm run demo`: tailship on a demo log folder fed by a generator of realistic nginx
// access lines, shipping to a small collector that prints what it receives.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { nginxLine } from './nginx-lines.js';

const LINES_PER_SECOND = Number(process.env['DEMO_RATE'] ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'tailship-demo-'));
const logs = join(dir, 'logs');
mkdirSync(logs);
const access = join(logs, 'access.log');
writeFileSync(access, '');

// The collector: counts records and shows one now and then.
let received = 0;
let lastCount = 0;
let sample = '';
const collector = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const lines = body.toString('utf8').split('\n').filter(Boolean);
    received += lines.length;
    sample = lines[lines.length - 1] ?? sample;
    res.writeHead(200).end();
  });
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;

const healthPort = process.env['TAILSHIP_HEALTH_PORT'] ?? '8686';
const main = fileURLToPath(new URL('../main.js', import.meta.url));
const child = spawn(process.execPath, [main], {
  env: {
    ...process.env,
    TAILSHIP_COLLECTOR_URL: collectorUrl,
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_STATE_DIR: join(dir, 'state'),
    TAILSHIP_HEALTH_PORT: healthPort,
    TAILSHIP_LOG_LEVEL: process.env['TAILSHIP_LOG_LEVEL'] ?? 'warn',
    // Parsed access lines show what a record can carry; TAILSHIP_PARSER=none for raw lines.
    TAILSHIP_PARSER: process.env['TAILSHIP_PARSER'] ?? 'nginx',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
  // Its own process group: Ctrl-C reaches only the demo, which asks tailship to drain.
  detached: true,
});
// However the demo ends, tailship goes with it and so does the demo folder.
process.on('exit', () => {
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

process.stdout.write(
  `tailship demo\n  logs:      ${access} (nginx access lines, ${LINES_PER_SECOND}/s)\n` +
    `  collector: ${collectorUrl}\n  probes:    http://127.0.0.1:${healthPort}/status  /metrics  /healthz  /readyz\n` +
    '  Ctrl-C stops it (tailship drains first).\n\n',
);

const writer = setInterval(() => {
  let text = '';
  const n = Math.max(1, Math.round(LINES_PER_SECOND / 10));
  for (let i = 0; i < n; i++) text += `${nginxLine(new Date())}\n`;
  appendFileSync(access, text);
}, 100);

const report = setInterval(() => {
  process.stdout.write(`received ${received} records (${received - lastCount}/s)\n`);
  if (received > lastCount) process.stdout.write(`  sample: ${sample}\n`);
  lastCount = received;
}, 1000);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  clearInterval(writer);
  process.stdout.write('\nstopping: tailship drains what is left, then exits\n');
  child.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// tailship exiting ends the demo, asked to or not (a busy health port exits 78 at once):
// with its exit code, the writer stopped, the folder removed (on 'exit' above).
child.on('exit', (code, signal) => {
  clearInterval(writer);
  clearInterval(report);
  const how = signal === null ? `with code ${code}` : `on ${signal}`;
  process.stdout.write(
    stopping
      ? `tailship exited ${how}; the collector received ${received} records\n`
      : `tailship stopped by itself ${how} (its message is above); the demo stops too\n`,
  );
  collector.closeAllConnections();
  collector.close();
  process.exitCode = code ?? 1;
});
