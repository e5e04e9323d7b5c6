// The real collectors of the interoperability suite (test/interop/): Grafana Loki, Fluent
// Bit and Fluentd, built from their public source into the folder TAILSHIP_PEERS_DIR
// names (its README says how; CI sets it to ../shared/peers). Each runs as a child process
// on a port the kernel chose; what it stored is read back the way a user would: Loki with
// LogQL, Fluent Bit and Fluentd from the records their stdout outputs print.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { AccessLine } from './nginx-traffic.js';
import { freePort } from './nginx.js';
import { tempDirs } from './setup.js';
import { TailshipProcess } from './tailship-process.js';
import { waitFor } from './wait-for.js';

/** The peers folder, or undefined: then the suite is skipped with `PEERS_SKIP_REASON`. */
export const PEERS_DIR = process.env['TAILSHIP_PEERS_DIR'] || undefined;
export const PEERS_SKIP_REASON =
  'interop suite skipped: TAILSHIP_PEERS_DIR is not set (the real Loki, Fluent Bit and Fluentd builds; .ci/run sets it)';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const running = new Set<ChildProcess>();
// A test process that ends early (a failed assertion, tap's timeout) leaves no peer behind.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * One peer run from its start script in the foreground (the script execs the tool, so the
 * child's PID is the tool's). Its stdout is kept as lines.
 */
export class PeerProcess {
  readonly name: string;
  readonly lines: string[] = [];
  /** The last 8,000 characters it wrote to stderr. */
  stderr = '';
  readonly #command: readonly string[];
  readonly #env: Record<string, string>;
  #child: ChildProcess | undefined;
  #partial = '';
  #exited: Promise<number | null> = Promise.resolve(null);

  constructor(name: string, script: string, args: readonly string[], env: Record<string, string> = {}) {
    if (!existsSync(script)) throw new Error(`${name}: ${script} does not exist (is TAILSHIP_PEERS_DIR the peers folder?)`);
    this.name = name;
    this.#command = [script, ...args];
    this.#env = env;
  }

  start(): void {
    const [script, ...args] = this.#command;
    const child = spawn(script!, args, { env: { ...process.env, ...this.#env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    running.add(child);
    this.#exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        running.delete(child);
        resolve(code);
      }),
    );
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      const text = this.#partial + d;
      const parts = text.split('\n');
      this.#partial = parts.pop()!;
      for (const line of parts) this.lines.push(line);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-8_000);
    });
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Throws, with what the peer said, when it is no longer running. */
  assertRunning(): void {
    if (this.running) return;
    const said = `${this.lines.slice(-20).join('\n')}\n${this.stderr}`.trim();
    throw new Error(`${this.name} is not running (exit ${this.#child?.exitCode ?? this.#child?.signalCode}):\n${said}`);
  }

  /** SIGTERM (the peer's own shutdown), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function post(url: string, body: string, contentType: string): Promise<number | undefined> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined);
  if (res) await res.arrayBuffer();
  return res?.status;
}

// --- Loki -----------------------------------------------------------------------------------

export interface LokiStream {
  readonly stream: Record<string, string>;
  readonly values: ReadonlyArray<readonly [string, string]>;
}

/**
 * Grafana Loki (single binary, filesystem storage). `restart()` stops it and starts it
 * again on the same ports and data folder (its write-ahead log is replayed).
 */
export class LokiPeer {
  readonly url: string;
  readonly #process: PeerProcess;

  private constructor(port: number, grpcPort: number, dataDir: string) {
    this.url = `http://127.0.0.1:${port}`;
    this.#process = new PeerProcess('Loki', join(PEERS_DIR!, 'loki', 'start.sh'), [String(port), String(grpcPort)], {
      LOKI_DATA_DIR: dataDir,
    });
  }

  static async start(t: Teardown): Promise<LokiPeer> {
    const loki = new LokiPeer(await freePort(), await freePort(), join(tempDirs().dir, 'loki'));
    t.teardown(() => loki.stop());
    await loki.#run();
    return loki;
  }

  /**
   * Started when it takes a push (about 1 s) and answers a query: until its query
   * frontend runs it answers 500 "frontend not running" (/ready says 200 after ~10 s).
   */
  async #run(): Promise<void> {
    this.#process.start();
    await waitFor(
      'Loki to take a push',
      async () => {
        this.#process.assertRunning();
        return (await post(`${this.url}/loki/api/v1/push`, '{"streams":[]}', 'application/json')) === 204;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const probe = new URLSearchParams({ query: 'sum(count_over_time({job="readiness-probe"}[1m]))' });
    await waitFor(
      'Loki to answer a query',
      async () => {
        this.#process.assertRunning();
        const res = await fetch(`${this.url}/loki/api/v1/query?${probe}`, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
        await res?.arrayBuffer();
        return res?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  }

  stop(): Promise<void> {
    return this.#process.stop();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.#run();
  }

  /** A GET on the query API. */
  async #get(path: string, params: Record<string, string>): Promise<any> {
    const res = await fetch(`${this.url}${path}?${new URLSearchParams(params)}`, { signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`Loki ${path}: HTTP ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text);
  }

  /** The value of a LogQL metric query that sums to one number (0 when nothing matched). */
  async count(logql: string): Promise<number> {
    const body = await this.#get('/loki/api/v1/query', { query: logql });
    const result = body.data.result as Array<{ value: [number, string] }>;
    return result.length === 0 ? 0 : Number(result[0]!.value[1]);
  }

  /**
   * Every entry of a log query between `startNs` and `endNs`, oldest first, fetched in
   * pages of `limit` (Loki answers at most 5,000 per query by default). Entries are
   * returned per stream, as Loki stored them.
   */
  async entries(logql: string, startNs: bigint, endNs: bigint, limit = 5_000): Promise<LokiStream[]> {
    const streams = new Map<string, { stream: Record<string, string>; values: Array<[string, string]> }>();
    const seen = new Set<string>();
    let start = startNs;
    for (let page = 0; page < 1_000; page++) {
      const body = await this.#get('/loki/api/v1/query_range', {
        query: logql,
        start: String(start),
        end: String(endNs),
        limit: String(limit),
        direction: 'forward',
      });
      let added = 0;
      let last = start;
      for (const s of body.data.result as LokiStream[]) {
        const key = JSON.stringify(Object.entries(s.stream).sort());
        let into = streams.get(key);
        if (!into) streams.set(key, (into = { stream: s.stream, values: [] }));
        for (const [ts, line] of s.values) {
          // The next page starts at the last time seen (inclusive): skip what is known.
          const id = `${key}\0${ts}\0${line}`;
          if (seen.has(id)) continue;
          seen.add(id);
          into.values.push([ts, line]);
          added++;
          if (BigInt(ts) > last) last = BigInt(ts);
        }
      }
      if (added === 0) break;
      start = last;
    }
    for (const s of streams.values()) s.values.sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1));
    return [...streams.values()];
  }
}

// --- Fluent Bit --------------------------------------------------------------------------

export type FluentBitInput = 'http' | 'elasticsearch' | 'opentelemetry' | 'splunk';

/**
 * Fluent Bit as a collector: one input on a free port, every record printed to stdout
 * as a JSON line by its stdout output (`{"date":<event time, s>, …record}`), flushed
 * once a second.
 */
export class FluentBitPeer {
  readonly url: string;
  readonly port: number;
  readonly #process: PeerProcess;
  readonly #records: Array<Record<string, any>> = [];
  #parsedLines = 0;

  private constructor(input: FluentBitInput, port: number) {
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.#process = new PeerProcess(`Fluent Bit (${input})`, join(PEERS_DIR!, 'fluent-bit', 'start-receiver.sh'), [input, String(port)]);
  }

  static async start(t: Teardown, input: FluentBitInput): Promise<FluentBitPeer> {
    const peer = new FluentBitPeer(input, await freePort());
    t.teardown(() => peer.#process.stop());
    peer.#process.start();
    await waitFor(
      `Fluent Bit's ${input} input to listen`,
      async () => {
        peer.#process.assertRunning();
        return tcpOpen(peer.port);
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    return peer;
  }

  /** The records printed so far (lines that are not JSON objects, Fluent Bit's own, skipped). */
  records(): ReadonlyArray<Record<string, any>> {
    this.#process.assertRunning();
    const lines = this.#process.lines;
    for (; this.#parsedLines < lines.length; this.#parsedLines++) {
      const line = lines[this.#parsedLines]!;
      if (line.startsWith('{')) this.#records.push(JSON.parse(line) as Record<string, any>);
    }
    return this.#records;
  }
}

// --- Fluentd ---------------------------------------------------------------------------------

/** One event as Fluentd's stdout output prints it: `<time> <tag>: <record JSON>`. */
export interface FluentdEvent {
  /** The event time as Fluentd printed it, `2026-11-25 21:00:00.000000000 +0000`. */
  readonly time: string;
  /** The event time in ms (with Fluentd's nanoseconds as a fraction). */
  readonly timeMs: number;
  readonly tag: string;
  readonly record: Record<string, any>;
}

const FLUENTD_EVENT = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\.(\d{9}) ([+-]\d\d)(\d\d) (\S+): (\{.*\})$/;

/** Fluentd with its in_http input on a free port; events printed by its stdout output. */
export class FluentdPeer {
  readonly url: string;
  readonly port: number;
  readonly #process: PeerProcess;
  readonly #events: FluentdEvent[] = [];
  #parsedLines = 0;

  private constructor(port: number) {
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.#process = new PeerProcess('Fluentd', join(PEERS_DIR!, 'fluentd', 'start.sh'), [String(port)]);
  }

  static async start(t: Teardown): Promise<FluentdPeer> {
    const peer = new FluentdPeer(await freePort());
    t.teardown(() => peer.#process.stop());
    peer.#process.start();
    // An empty array is a request in_http answers (200) without emitting an event.
    await waitFor(
      'Fluentd in_http to answer',
      async () => {
        peer.#process.assertRunning();
        return (await post(`${peer.url}/ready`, '[]', 'application/json')) === 200;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    return peer;
  }

  /** The events printed so far (Fluentd's own log lines skipped). */
  events(): readonly FluentdEvent[] {
    this.#process.assertRunning();
    const lines = this.#process.lines;
    for (; this.#parsedLines < lines.length; this.#parsedLines++) {
      const m = FLUENTD_EVENT.exec(lines[this.#parsedLines]!);
      if (!m) continue;
      const [, date, clock, nanos, zh, zm, tag, json] = m;
      const wholeMs = Date.parse(`${date}T${clock}${zh}:${zm}`);
      this.#events.push({ time: `${date} ${clock}.${nanos} ${zh}${zm}`, timeMs: wholeMs + Number(nanos) / 1e6, tag: tag!, record: JSON.parse(json!) });
    }
    return this.#events;
  }
}

// --- tailship against a peer ----------------------------------------------------------

/** The Downward API values the interop tests give tailship, and expect back. */
export const POD = {
  name: 'web-7d4b9-x2k4q',
  namespace: 'shop',
  node: 'node-3',
  ip: '10.244.1.17',
  container: 'nginx-container',
} as const;

/** The fields tailship's nginx parser finds in an access line (undefined: left out). */
export function parsedAccessFields(a: AccessLine): Record<string, unknown> {
  return {
    remote_addr: a.remoteAddr,
    remote_user: a.remoteUser,
    method: a.method,
    path: a.target,
    protocol: 'HTTP/1.1',
    status: a.status,
    body_bytes_sent: a.bytes,
    referer: a.referer,
    user_agent: a.userAgent,
  };
}

/** The record tailship sends for an access line of `file` (`offset`, `id`, `read_time` aside). */
export function expectedRecord(a: AccessLine, file: string): Record<string, unknown> {
  return {
    '@timestamp': new Date(a.timeMs).toISOString(),
    message: a.line,
    file,
    host: POD.name,
    kubernetes: { pod: POD.name, namespace: POD.namespace, node: POD.node, pod_ip: POD.ip, container: POD.container },
    ...parsedAccessFields(a),
  };
}

/**
 * A log folder with access.log and error.log (created empty), and a way to start the
 * built tailship on it: nginx parser, quick batches and polls, the Pod's metadata.
 */
export function interopWorkspace(t: Teardown, collectorUrl: string, env: Record<string, string>) {
  const { logs, state } = tempDirs();
  const access = join(logs, 'access.log');
  const error = join(logs, 'error.log');
  writeFileSync(access, '');
  writeFileSync(error, '');
  const start = async (): Promise<TailshipProcess> => {
    const ts = new TailshipProcess({
      TAILSHIP_COLLECTOR_URL: collectorUrl,
      TAILSHIP_INCLUDE: `${logs}/*.log`,
      TAILSHIP_STATE_DIR: state,
      TAILSHIP_PARSER: 'nginx',
      TAILSHIP_BATCH_LINGER_MS: '100',
      TAILSHIP_BATCH_MAX_EVENTS: '2000',
      TAILSHIP_POLL_INTERVAL: '200ms',
      TAILSHIP_CHECKPOINT_INTERVAL: '100ms',
      TAILSHIP_RETRY_INITIAL: '100ms',
      TAILSHIP_RETRY_MAX: '1s',
      TAILSHIP_DRAIN_QUIET: '300ms',
      HOSTNAME: POD.name,
      K8S_POD_NAME: POD.name,
      K8S_NAMESPACE: POD.namespace,
      K8S_NODE_NAME: POD.node,
      K8S_POD_IP: POD.ip,
      TAILSHIP_SOURCE_CONTAINER: POD.container,
      ...env,
    });
    t.teardown(() => ts.kill());
    await ts.ready();
    return ts;
  };
  return { logs, access, error, start };
}
