// The raw Node baseline: what Node itself does on this machine with no per-line work at
// all. Reads the file and POSTs it in 4 MiB bodies cut at line ends, one request at a
// time, on a kept-alive connection. Usage: node raw-baseline.mjs FILE URL
// Plain JavaScript on purpose: it runs on bare node (the one tailship runs on), without
// the TypeScript loader, whose compiler would otherwise be most of its CPU and memory.
import { closeSync, openSync, readSync } from 'node:fs';
import { Agent, request } from 'node:http';

const [file, url] = process.argv.slice(2);
const CHUNK = 4 * 1024 * 1024;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const fd = openSync(file, 'r');
const buf = Buffer.allocUnsafe(CHUNK);
let kept = 0; // bytes of a partial line carried to the front of buf

function post(body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'text/plain', 'content-length': body.length } }, (res) => {
      res.resume().on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

for (;;) {
  const n = readSync(fd, buf, kept, CHUNK - kept, null);
  const end = kept + n;
  if (n === 0) {
    if (end > 0) await post(buf.subarray(0, end));
    break;
  }
  const cut = buf.lastIndexOf(10, end - 1) + 1;
  await post(buf.subarray(0, cut));
  buf.copy(buf, 0, cut, end);
  kept = end - cut;
}
closeSync(fd);
agent.destroy();
// Its own CPU and peak RSS, for the harness: it has exited by the time the harness looks.
const usage = process.resourceUsage();
process.send?.({ cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, peakRssMiB: usage.maxRSS / 1024 });
