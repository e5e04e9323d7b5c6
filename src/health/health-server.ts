import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What the health server reads. It owns no state of the pipeline. */
export interface HealthSource {
  readonly ready: boolean;
  readonly live: boolean;
  /** The /status document (JSON-serialisable). */
  status(): object;
  /** Sets the gauges computed from state; called before each scrape. */
  refreshMetrics(): void;
}

/** /healthz, /readyz, /metrics and /status on their own port. */
export class HealthServer {
  readonly #server: Server;

  constructor(source: HealthSource, registry: Registry, version: string) {
    this.#server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (status: number, type: string, body: string) => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      const text = 'text/plain; charset=utf-8';
      switch (path) {
        case '/healthz':
          return source.live ? send(200, text, 'ok\n') : send(503, text, 'wedged: data waits and nothing moves\n');
        case '/readyz':
          return source.ready ? send(200, text, 'ready\n') : send(503, text, 'starting\n');
        case '/status':
          return send(200, 'application/json', `${JSON.stringify({ version, ...source.status() }, null, 2)}\n`);
        case '/metrics':
          source.refreshMetrics();
          registry.metrics().then(
            (body) => send(200, registry.contentType, body),
            () => send(500, text, 'metrics unavailable\n'),
          );
          return;
        default:
          return send(404, text, 'not found: try /healthz /readyz /metrics /status\n');
      }
    });
    this.#server.keepAliveTimeout = 5_000;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
