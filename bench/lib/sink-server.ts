// The collector of the benchmark, in a process of its own (its CPU is not the shipper's):
// counts records (lines of an NDJSON body, gzip or not) and answers 200, or 503 while
// told to fail. Checks that the first record of each body is JSON, so a shipper sending
// garbage is caught rather than counted. In latency mode it reads the write time that
// the benchmark put in each line (`lat=<epoch ms>`) and keeps the delays.
// Started by sink.ts with IPC; reports its counts after every request.
import { createServer } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export type SinkCommand =
  | { readonly kind: 'reset'; readonly json: boolean }
  | { readonly kind: 'fail'; readonly failing: boolean }
  | { readonly kind: 'latency'; readonly sinceMs: number }
  | { readonly kind: 'latency-report' };

export interface SinkCounts {
  readonly kind: 'counts';
  readonly records: number;
  /** Body bytes after decompression. */
  readonly bytes: number;
  readonly requests: number;
  /** Bodies whose first record was not JSON. */
  readonly malformed: number;
}

export interface LatencyReport {
  readonly kind: 'latency';
  /** Delays from write to the end of the request that carried the line, ms, sorted. */
  readonly delaysMs: number[];
}

const send = (m: SinkCounts | LatencyReport | { kind: 'listening'; port: number }) => process.send!(m);
let records = 0;
let bytes = 0;
let requests = 0;
let malformed = 0;
let failing = false;
let checkJson = true;
/** Lines written before this (epoch ms) are the warm-up: not counted as delays. */
let latencySinceMs: number | undefined;
let delays: number[] = [];
const LAT = /lat=(\d+)/g;

process.on('message', (m: SinkCommand) => {
  if (m.kind === 'reset') {
    records = bytes = requests = malformed = 0;
    checkJson = m.json;
    latencySinceMs = undefined;
    delays = [];
  } else if (m.kind === 'fail') failing = m.failing;
  else if (m.kind === 'latency') latencySinceMs = m.sinceMs;
  else if (m.kind === 'latency-report') send({ kind: 'latency', delaysMs: delays.sort((a, b) => a - b) });
});

createServer((req, res) => {
  const body: Readable = req.headers['content-encoding'] === 'gzip' ? req.pipe(createGunzip()) : req;
  let lines = 0;
  let size = 0;
  let last = 10;
  let head = '';
  let headDone = !checkJson;
  const text: Buffer[] | undefined = latencySinceMs !== undefined ? [] : undefined;
  body.on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    if (!headDone) {
      const nl = chunk.indexOf(10);
      head += chunk.toString('utf8', 0, nl === -1 ? chunk.length : nl);
      headDone = nl !== -1;
    }
    size += chunk.length;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
    text?.push(chunk);
  });
  body.on('error', () => res.writeHead(400).end());
  body.on('end', () => {
    if (failing) {
      res.writeHead(503).end();
      return;
    }
    const at = Date.now();
    if (size > 0 && last !== 10) lines++;
    if (checkJson && size > 0) {
      try {
        JSON.parse(head);
      } catch {
        malformed++;
      }
    }
    records += lines;
    bytes += size;
    requests++;
    if (text && latencySinceMs !== undefined) {
      for (const m of Buffer.concat(text).toString('latin1').matchAll(LAT)) {
        const written = Number(m[1]);
        if (written >= latencySinceMs) delays.push(at - written);
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    send({ kind: 'counts', records, bytes, requests, malformed });
  });
}).listen(0, '127.0.0.1', function (this: import('node:net').Server) {
  send({ kind: 'listening', port: (this.address() as import('node:net').AddressInfo).port });
});
