// The harness's handle on the sink process (sink-server.ts).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LatencyReport, SinkCommand, SinkCounts } from './sink-server.js';

const SERVER = fileURLToPath(new URL('./sink-server.ts', import.meta.url));

export class Sink {
  readonly child: ChildProcess;
  readonly url: string;
  counts: SinkCounts = { kind: 'counts', records: 0, bytes: 0, requests: 0, malformed: 0 };
  /** (Date.now(), records) after every request since the last reset. */
  history: Array<[number, number]> = [];
  #waiters: Array<() => void> = [];
  #latency: ((r: LatencyReport) => void) | undefined;

  private constructor(child: ChildProcess, port: number) {
    this.child = child;
    this.url = `http://127.0.0.1:${port}/`;
    child.on('message', (m: SinkCounts | LatencyReport) => {
      if (m.kind === 'counts') {
        this.counts = m;
        this.history.push([Date.now(), m.records]);
        const waiters = this.#waiters;
        this.#waiters = [];
        for (const w of waiters) w();
      } else this.#latency?.(m);
    });
  }

  /** Forks the sink (same node and loader as the harness) and waits for its port. */
  static async start(): Promise<Sink> {
    const child = fork(SERVER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    process.on('exit', () => child.kill('SIGKILL'));
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { kind: string; port: number }) => resolve(m.port));
      child.once('exit', (code) => reject(new Error(`the sink exited (${code}) before listening`)));
    });
    return new Sink(child, port);
  }

  #command(c: SinkCommand): void {
    this.child.send(c);
  }

  /** Zeroes the counts; `json: false` for bodies that are not NDJSON (the raw baseline). */
  async reset(json = true): Promise<void> {
    this.#command({ kind: 'reset', json });
    // IPC is ordered: once a round trip has come back the reset has been applied.
    await this.latency();
    this.counts = { kind: 'counts', records: 0, bytes: 0, requests: 0, malformed: 0 };
    this.history = [];
  }

  failing(on: boolean): void {
    this.#command({ kind: 'fail', failing: on });
  }

  /** Starts keeping write-to-delivery delays of lines written at or after `sinceMs`. */
  measureLatencySince(sinceMs: number): void {
    this.#command({ kind: 'latency', sinceMs });
  }

  /** The delays kept so far (ms, sorted). */
  latency(): Promise<number[]> {
    return new Promise((resolve) => {
      this.#latency = (r) => resolve(r.delaysMs);
      this.#command({ kind: 'latency-report' });
    });
  }

  /** Resolves once `records` have been counted; rejects after `timeoutMs` with the count so far. */
  until(records: number, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${what}: ${this.counts.records} of ${records} records arrived in ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      const check = () => {
        if (this.counts.records >= records) {
          clearTimeout(timer);
          resolve();
        } else this.#waiters.push(check);
      };
      check();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  close(): void {
    this.child.kill('SIGKILL');
  }
}
