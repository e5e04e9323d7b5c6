// Lines lost and duplicated when logs rotate while tailship is behind, as figures: the
// scenarios of the rotation guarantees in the README. A script, not a test.
// Run: npm run build && node --import @tapjs/typescript/import bench/rotation.ts
// (env: ROTATION_ONLY=<scenario name part>, ROTATION_SCALE=<fraction of the lines>)
//
// Each scenario runs the built tailship (CPU held to the Pod's 500m when the machine
// allows), a writer that rotates between two writes (so copytruncate's own window is
// empty: every line written is in some file), and a collector in this process that
// counts each line's sequence number. "Loaded" runs two busy processes beside them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuTimeMs, limitCpu } from '../test/helpers/cpu-limit.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const writer = fileURLToPath(new URL('../test/fixtures/log-writer.mjs', import.meta.url));
const scale = Number(process.env['ROTATION_SCALE'] ?? 1);
const only = process.env['ROTATION_ONLY'];

interface Scenario {
  readonly name: string;
  readonly lines: number;
  readonly perTick: number;
  readonly tickMs: number;
  readonly mode: 'copytruncate' | 'rotate-keep5';
  readonly everyMs: number;
  /** The collector refuses connections for this long from the start. */
  readonly outageMs?: number;
  readonly loaded: boolean;
  /** Padding of each line, for nginx-like sizes (~200 bytes). */
  readonly pad: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'copytruncate every 3 s, 4,000 lines/s, collector down 36 s', lines: 120_000, perTick: 40, tickMs: 10, mode: 'copytruncate', everyMs: 3_000, outageMs: 36_000, loaded: false, pad: 200 },
  { name: 'copytruncate every 500 ms, 40,000 lines/s, loaded machine', lines: 200_000, perTick: 400, tickMs: 10, mode: 'copytruncate', everyMs: 500, loaded: true, pad: 0 },
  { name: 'rename every 200 ms (5 kept), as fast as written, quiet machine', lines: 300_000, perTick: 100, tickMs: 1, mode: 'rotate-keep5', everyMs: 200, loaded: false, pad: 0 },
  { name: 'rename every 200 ms (5 kept), as fast as written, loaded machine', lines: 300_000, perTick: 100, tickMs: 1, mode: 'rotate-keep5', everyMs: 200, loaded: true, pad: 0 },
];

async function run(s: Scenario): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-rotation-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const lines = Math.round(s.lines * scale);
  const seen = new Uint8Array(lines);
  let down = s.outageMs !== undefined;
  const server = createServer((req, res) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      for (const m of Buffer.concat(chunks).toString().matchAll(/"message":"app\.log seq=(\d+) /g)) {
        const seq = Number(m[1]);
        if (seq < lines) seen[seq] = Math.min(255, seen[seq]! + 1);
      }
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  const ts = spawn(process.execPath, [main], {
    env: {
      PATH: process.env['PATH'] ?? '',
      TAILSHIP_COLLECTOR_URL: url,
      TAILSHIP_INCLUDE: `${logs}/*.log`,
      TAILSHIP_STATE_DIR: join(dir, 'state'),
      TAILSHIP_COMPRESSION: 'none',
      TAILSHIP_HEALTH_PORT: '0',
      TAILSHIP_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const limit = limitCpu(ts.pid!, 500);
  const hogs: ChildProcess[] = s.loaded ? [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'])) : [];
  await new Promise((r) => setTimeout(r, 1_000));
  const started = Date.now();
  if (s.outageMs !== undefined) setTimeout(() => (down = false), s.outageMs);
  const upAt = started + (s.outageMs ?? 0);
  const w = spawn(process.execPath, [writer, path, String(lines), String(s.perTick), String(s.tickMs), s.mode, String(s.everyMs), String(s.pad)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  w.stdout!.on('data', (d: Buffer) => (out += d));
  await new Promise((r) => w.on('exit', r));
  const { rotations } = JSON.parse(out) as { rotations: number };
  // Delivered: everything, or nothing new for 20 s with the collector up.
  let last = -1;
  let progressAt = Date.now();
  for (;;) {
    const got = seen.reduce((n, c) => n + (c > 0 ? 1 : 0), 0);
    if (got === lines) break;
    if (got !== last) {
      last = got;
      progressAt = Date.now();
    } else if (Date.now() - Math.max(progressAt, upAt) > 20_000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (Date.now() - started) / 1000;
  const cpu = cpuTimeMs(ts.pid!) ?? NaN;
  for (const h of hogs) h.kill();
  ts.kill('SIGKILL');
  await new Promise((r) => ts.on('exit', r));
  limit.release();
  server.close();
  rmSync(dir, { recursive: true, force: true });
  let lost = 0;
  let dup = 0;
  for (const c of seen) {
    if (c === 0) lost++;
    if (c > 1) dup++;
  }
  const cpuNote = limit.applied ? '500m' : 'not held';
  return `| ${s.name} | ${lines.toLocaleString('en')} | ${rotations} | ${lost.toLocaleString('en')} | ${dup.toLocaleString('en')} | ${seconds.toFixed(1)} s | ${(cpu / 1000).toFixed(1)} s (${cpuNote}) |`;
}

console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${cpus().length} CPUs`);
console.log('| scenario | lines | rotations | lost | duplicated | until delivered | tailship CPU |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const s of SCENARIOS) {
  if (only !== undefined && !s.name.includes(only)) continue;
  console.log(await run(s));
}
console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
