// Demo traffic for docker/compose.yaml: a few requests a second to nginx, forever.
// Mostly the home page, some missing pages (404) and POSTs (405), so the dashboard has
// more than one status to show.
const target = process.env.TARGET ?? 'http://nginx/';
const paths = ['/', '/', '/', '/index.html', '/missing', '/favicon.ico', '/api/orders?id='];
const agents = ['curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', 'kube-probe/1.31'];

let n = 0;
async function once() {
  const base = paths[n % paths.length];
  const path = base.endsWith('=') ? `${base}${n}` : base;
  const method = n % 11 === 0 ? 'POST' : 'GET';
  try {
    const res = await fetch(new URL(path, target), {
      method,
      headers: { 'user-agent': agents[n % agents.length] },
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
  } catch (error) {
    console.error(`request ${n} failed: ${error.message}`);
  }
  n++;
}

for (;;) {
  await once();
  await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 300));
}
