import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/** A free port on 127.0.0.1, chosen by the kernel (nginx cannot listen on port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A real nginx (Debian's) as a child process with its own prefix in a temp dir,
 * `daemon off`, listening on 127.0.0.1, writing access.log and error.log into `logDir`
 * in the default `combined` format.
 */
export class TestNginx {
  readonly prefix: string;
  readonly logDir: string;
  port = 0;
  #child: ChildProcess | undefined;

  constructor(prefix: string, logDir: string) {
    this.prefix = prefix;
    this.logDir = logDir;
  }

  get conf(): string {
    return join(this.prefix, 'nginx.conf');
  }

  async start(): Promise<void> {
    if (!NGINX) throw new Error('nginx is not installed');
    this.port = await freePort();
    mkdirSync(join(this.prefix, 'html'), { recursive: true });
    mkdirSync(join(this.prefix, 'tmp'), { recursive: true });
    writeFileSync(join(this.prefix, 'html', 'index.html'), '<h1>hello</h1>\n');
    writeFileSync(
      this.conf,
      `daemon off;
worker_processes 1;
pid ${join(this.prefix, 'nginx.pid')};
error_log ${join(this.logDir, 'error.log')} notice;
events { worker_connections 512; }
http {
  access_log ${join(this.logDir, 'access.log')} combined;
  client_body_temp_path ${join(this.prefix, 'tmp')};
  proxy_temp_path ${join(this.prefix, 'tmp')};
  fastcgi_temp_path ${join(this.prefix, 'tmp')};
  uwsgi_temp_path ${join(this.prefix, 'tmp')};
  scgi_temp_path ${join(this.prefix, 'tmp')};
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${this.port};
    root ${join(this.prefix, 'html')};
    location /status/ { return 200 "ok\\n"; }
${[201, 204, 301, 400, 403, 404, 418, 500, 503].map((c) => `    location = /code/${c} { return ${c}; }`).join('\n')}
  }
}
`,
    );
    this.#child = spawn(NGINX, ['-p', this.prefix, '-c', this.conf], { stdio: ['ignore', 'inherit', 'inherit'] });
    await waitFor('nginx to answer', async () => {
      if (this.#child?.exitCode !== null) throw new Error(`nginx exited ${this.#child?.exitCode}`);
      return (await fetch(`http://127.0.0.1:${this.port}/status/`).catch(() => undefined))?.status === 200;
    });
  }

  /** `nginx -s reopen`: nginx reopens its log files (what logrotate's postrotate does). */
  reopen(): void {
    const r = spawnSync(NGINX!, ['-p', this.prefix, '-c', this.conf, '-s', 'reopen']);
    if (r.status !== 0) throw new Error(`nginx -s reopen failed: ${r.stderr}`);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGQUIT'); // graceful: finish requests, flush logs
    await exited;
  }
}

/** A started TestNginx under `dir/nginx`, logging into `logs`, stopped at teardown. */
export async function startNginx(t: { teardown(fn: () => unknown): void }, dir: string, logs: string): Promise<TestNginx> {
  const nginx = new TestNginx(join(dir, 'nginx'), logs);
  await nginx.start();
  t.teardown(() => nginx.stop());
  return nginx;
}
