import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.js';

export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/**
 * The built tailship (dist/main.js) as a real child process. Its JSON logs are kept in
 * `logs`; the health port (0 = chosen by the kernel) is read from its start-up line.
 */
export class TailshipProcess {
  readonly child: ChildProcess;
  readonly logs: Array<Record<string, any>> = [];
  stdout = '';
  stderr = '';
  healthPort: number | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /**
   * `nodeArgs` go to node before the script (V8 flags, as the image's ENTRYPOINT has them).
   * `launcher` runs node through a command that execs it, so the pid stays tailship's
   * (e.g. `prlimit --nofile=1024:1024 --`).
   */
  constructor(
    env: Record<string, string>,
    args: string[] = [],
    user?: { uid: number; gid: number },
    nodeArgs: readonly string[] = [],
    launcher: readonly string[] = [],
  ) {
    const command = [...launcher, process.execPath, ...nodeArgs, MAIN, ...args];
    this.child = spawn(command[0]!, command.slice(1), {
      env: { PATH: process.env['PATH'] ?? '', TAILSHIP_HEALTH_PORT: '0', TAILSHIP_HEALTH_HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...user,
    });
    let buf = '';
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, any>;
          this.logs.push(entry);
          if (entry['msg'] === 'health server listening') this.healthPort = entry['port'];
        } catch {
          // not a log line (e.g. --check-config output)
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Waits until /readyz answers 200. */
  async ready(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      'tailship /readyz',
      async () => {
        if (this.child.exitCode !== null) throw new Error(`tailship exited ${this.child.exitCode}: ${this.stderr}${this.stdout}`);
        if (!this.healthPort) return false;
        return (await this.get('/readyz').catch(() => undefined))?.status === 200;
      },
      { timeoutMs },
    );
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${this.healthPort}${path}`);
    return { status: res.status, body: await res.text() };
  }

  async status(): Promise<any> {
    return JSON.parse((await this.get('/status')).body);
  }

  /** The value of one unlabelled metric from /metrics. */
  async metric(name: string): Promise<number> {
    const text = (await this.get('/metrics')).body;
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  }

  hasLog(msg: string): boolean {
    return this.logs.some((l) => l['msg'] === msg);
  }

  /** SIGTERM and wait for the exit. */
  async stop(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return withTimeout(this.exited, timeoutMs, 'tailship to exit after SIGTERM');
  }

  kill(): Promise<unknown> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited;
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
