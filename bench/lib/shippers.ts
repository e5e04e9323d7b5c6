// How the benchmark starts each shipper: tailship as the README runs it, Fluent Bit with
// its defaults (tail -> http json_lines), and the raw Node baseline.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const RAW = fileURLToPath(new URL('./raw-baseline.mjs', import.meta.url));
const FLUENT_BIT_PARSERS = fileURLToPath(new URL('../fluent-bit-parsers.conf', import.meta.url));

export type ShipperName = 'tailship' | 'fluent-bit' | 'node-raw';

export interface Shipper {
  readonly name: ShipperName;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Date.now() at spawn. */
  readonly startedAt: number;
  /** Output kept for a failure message. */
  readonly output: () => string;
  /** GET on tailship's health port (undefined before it listens, or for other shippers). */
  readonly get: (path: string) => Promise<Response | undefined>;
  /** CPU and peak RSS as the process reported them itself before exiting (the raw baseline). */
  readonly selfReport?: () => { cpuSeconds: number; peakRssMiB: number } | undefined;
  /**
   * Stops it at once (SIGKILL: the figures are taken before) and waits for the exit; with
   * a CPU profile being taken, SIGTERM instead, so that node writes the profile.
   */
  stop(): Promise<void>;
}

function track(name: ShipperName, child: ChildProcess, startedAt: number, port: () => number | undefined, out: string[], signal: NodeJS.Signals = 'SIGKILL'): Shipper {
  let exited = child.exitCode !== null;
  const gone = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  child.on('exit', (code, signal) => {
    if (signal !== 'SIGKILL' && signal !== 'SIGTERM' && code !== 0) out.push(`[${name} exited with ${code ?? signal}]`);
  });
  return {
    name,
    child,
    pid: child.pid!,
    startedAt,
    output: () => out.join('').slice(-4000),
    get: async (path) => {
      const p = port();
      if (p === undefined) return undefined;
      return fetch(`http://127.0.0.1:${p}${path}`).catch(() => undefined);
    },
    stop: async () => {
      if (!exited) child.kill(signal);
      await gone;
    },
  };
}

export interface TailshipRuntime {
  /** The node binary, and flags before the script (none: as the README runs it). */
  readonly node: string;
  readonly nodeArgs: readonly string[];
  /** Extra environment (e.g. MALLOC_* to compare runtime settings). */
  readonly env: Readonly<Record<string, string>>;
  /** Take a CPU profile of every tailship run into this folder (node --cpu-prof). */
  readonly cpuProfileDir?: string | undefined;
}

/**
 * `node [nodeArgs] dist/main.js`, configured by `env` (TAILSHIP_*); the health server on a
 * kernel-chosen port, read from the start-up log line.
 */
export function startTailship(rt: TailshipRuntime, env: Record<string, string>): Shipper {
  const startedAt = Date.now();
  const profile = rt.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${rt.cpuProfileDir}`, '--cpu-prof-interval=500'] : [];
  const child = spawn(rt.node, [...rt.nodeArgs, ...profile, MAIN], {
    env: { PATH: process.env['PATH'] ?? '', ...rt.env, TAILSHIP_HEALTH_PORT: '0', TAILSHIP_HEALTH_HOST: '127.0.0.1', TAILSHIP_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  let port: number | undefined;
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    pending += d;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const entry = JSON.parse(line) as { msg?: string; level?: number; port?: number };
      if (entry.msg === 'health server listening') port = entry.port;
      if ((entry.level ?? 0) >= 40) out.push(`${line}\n`);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => out.push(d));
  return track('tailship', child, startedAt, () => port, out, rt.cpuProfileDir ? 'SIGTERM' : 'SIGKILL');
}

export interface FluentBitOptions {
  readonly bin: string;
  /** The file (or glob) to tail. */
  readonly path: string;
  readonly url: string;
  readonly gzip?: boolean;
  /** Parse with the nginx regex parser of fluent-bit-parsers.conf. */
  readonly nginxParser?: boolean;
  /** `flush`, seconds (Fluent Bit's default: 1). */
  readonly flushSeconds?: number;
}

/**
 * Fluent Bit, tail -> http with format json_lines and every other setting at its default,
 * except `read_from_head` (off by default: a file present at start is read from its end,
 * and the backlog would not be shipped at all; tailship reads it from the beginning).
 */
export function startFluentBit(o: FluentBitOptions): Shipper {
  const url = new URL(o.url);
  const args = [
    '-q',
    ...(o.flushSeconds !== undefined ? ['-f', String(o.flushSeconds)] : []),
    ...(o.nginxParser ? ['-R', FLUENT_BIT_PARSERS] : []),
    '-i', 'tail', '-p', `path=${o.path}`, '-p', 'read_from_head=true',
    ...(o.nginxParser ? ['-p', 'parser=nginx'] : []),
    '-o', 'http', '-m', '*', '-p', `host=${url.hostname}`, '-p', `port=${url.port}`, '-p', `uri=${url.pathname}`,
    '-p', 'format=json_lines',
    ...(o.gzip ? ['-p', 'compress=gzip'] : []),
  ];
  const startedAt = Date.now();
  const child = spawn(o.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => out.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => out.push(d));
  return track('fluent-bit', child, startedAt, () => undefined, out);
}

/** raw-baseline.mjs on `file`, on the node tailship runs on. */
export function startRawBaseline(node: string, file: string, url: string): Shipper {
  const startedAt = Date.now();
  const child = spawn(node, [RAW, file, url], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const out: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => out.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => out.push(d));
  let report: { cpuSeconds: number; peakRssMiB: number } | undefined;
  child.on('message', (m: { cpuSeconds: number; peakRssMiB: number }) => (report = m));
  return { ...track('node-raw', child, startedAt, () => undefined, out), selfReport: () => report };
}
