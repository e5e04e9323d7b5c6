// Realistic nginx `combined` access lines for the demo.

const PATHS = ['/', '/index.html', '/api/orders', '/api/orders/42', '/static/app.js', '/static/app.css', '/login', '/healthz', '/search?q=shoes', '/cart'];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'curl/8.11.0',
  'kube-probe/1.31',
  'Go-http-client/1.1',
];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = [200, 200, 200, 200, 200, 201, 204, 301, 304, 404, 404, 500, 503];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pick = <T>(list: readonly T[], r: () => number): T => list[Math.floor(r() * list.length)]!;
const pad = (n: number) => String(n).padStart(2, '0');

/** nginx's $time_local, e.g. `25/Nov/2026:21:00:00 +0000`. */
export function timeLocal(d: Date): string {
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

export function nginxLine(now: Date, r: () => number = Math.random): string {
  const ip = r() < 0.2 ? `2001:db8::${Math.floor(r() * 0xffff).toString(16)}` : `10.0.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`;
  const status = pick(STATUSES, r);
  const bytes = status === 204 || status === 304 ? 0 : Math.floor(r() * 50_000);
  const referer = r() < 0.5 ? '-' : 'https://shop.example.com/';
  return `${ip} - - [${timeLocal(now)}] "${pick(METHODS, r)} ${pick(PATHS, r)} HTTP/1.1" ${status} ${bytes} "${referer}" "${pick(AGENTS, r)}"`;
}
