// podman for the tests that run real containers (test/pod/): the storage and configuration
// that test/pod/prepare.sh sets up under TAILSHIP_PODMAN_ROOT, every call bounded in time.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = process.env['TAILSHIP_PODMAN_ROOT'] ?? '/var/tmp/tailship-podman';
const PODMAN_ENV = {
  ...process.env,
  CONTAINERS_CONF: join(ROOT, 'containers.conf'),
  CONTAINERS_STORAGE_CONF: join(ROOT, 'storage.conf'),
};

export interface Run {
  stdout: string;
  stderr: string;
}

/** Runs podman with the tests' storage and configuration, bounded in time. */
export function podman(args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const options = { env: PODMAN_ENV, timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 };
    execFile('podman', args, options, (error, stdout, stderr) => {
      if (error) reject(new Error(`podman ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** Runs podman and resolves with the exit code instead of failing on a non-zero one. */
export function podmanExit(args: string[], timeoutMs = 60_000): Promise<Run & { code: number }> {
  return new Promise((resolve, reject) => {
    execFile('podman', args, { env: PODMAN_ENV, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`podman ${args.join(' ')}: ${error.message}`));
      else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** A port free on 127.0.0.1 now (the kernel's choice), never 8080. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port !== 8080 && port !== 0) return port;
  }
}

/** One GET on a fresh connection (no keep-alive), with a timeout. */
export function get(port: number, path: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
