// What each stage is given, from the configuration: each I/O class takes an options type
// of its own (declared beside it), and this is the one place that maps Config to them.
import type { CollectorClientOptions } from '../ship/collector-client.js';
import type { Config } from './config.js';

export function collectorClientOptions(c: Config): CollectorClientOptions {
  return {
    url: c.delivery.url,
    requestTimeoutMs: c.delivery.requestTimeoutMs,
    connections: c.delivery.maxInFlight,
    headers: c.sink.headers,
    tenantId: c.sink.tenantId,
    auth: c.auth,
    tls: c.tls,
  };
}
