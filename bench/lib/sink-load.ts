// Measures the sink alone: POSTs one prepared body over and over, CONCURRENCY requests at
// a time, for SECONDS. The body is 1 MiB of records shaped like tailship's NDJSON (its
// default batch), made from the input's first lines; with `gzip`, compressed at level 1.
// Usage: sink-load.ts INPUT URL SECONDS CONCURRENCY [gzip]
import { closeSync, openSync, readSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';

const [input, url, seconds, concurrency, mode] = process.argv.slice(2) as [string, string, string, string, string?];
const head = Buffer.alloc(2 * 1024 * 1024);
const fd = openSync(input, 'r');
readSync(fd, head, 0, head.length, 0);
closeSync(fd);
let text = '';
let offset = 0;
for (const line of head.toString('utf8').split('\n').slice(0, -1)) {
  const record = `${JSON.stringify({ '@timestamp': new Date().toISOString(), message: line, file: '/pod-data/access.log', offset, id: `0123456789abcdef-${offset.toString(16)}`, host: 'web-7d4b9' })}\n`;
  if (Buffer.byteLength(text) + Buffer.byteLength(record) > 1024 * 1024) break;
  text += record;
  offset += Buffer.byteLength(line) + 1;
}
const plain = Buffer.from(text);
const body = mode === 'gzip' ? gzipSync(plain, { level: 1 }) : plain;
const headers = { 'content-type': 'application/x-ndjson', 'content-length': body.length, ...(mode === 'gzip' ? { 'content-encoding': 'gzip' } : {}) };
const agent = new Agent({ keepAlive: true, maxSockets: Number(concurrency) });
// Ready: the harness starts its clock and reads the sink's CPU now.
process.send?.('go');
const deadline = Date.now() + Number(seconds) * 1000;

function post(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers }, (res) => res.resume().on('end', resolve));
    req.on('error', reject);
    req.end(body);
  });
}

async function worker(): Promise<void> {
  while (Date.now() < deadline) await post();
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
agent.destroy();
