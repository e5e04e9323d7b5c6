// The benchmark's input: an nginx `combined` access log of a given size, generated once
// (seeded, so every machine reads the same bytes) and cached, then read from the page cache.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { nginxLine } from '../../src/demo/nginx-lines.js';

export interface Input {
  readonly path: string;
  readonly bytes: number;
  readonly lines: number;
}

/** A small, fast, seeded PRNG (mulberry32): the same file for the same size everywhere. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `mb` MB (10^6 bytes, whole lines) of access lines in `dir`, 5,000 lines per second of
 * log time; made on first use, then reused (its line count is kept beside it), and read
 * once so that the runs start from the page cache.
 */
export function nginxLog(dir: string, mb: number): Input {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `access-${mb}MB.log`);
  const meta = `${path}.lines`;
  if (!existsSync(path) || !existsSync(meta)) {
    const r = seeded(mb);
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    let bytes = 0;
    let lines = 0;
    const t0 = Date.UTC(2026, 10, 25, 21, 0, 0);
    while (bytes < mb * 1e6) {
      let chunk = '';
      for (let i = 0; i < 5000; i++) chunk += `${nginxLine(new Date(t0 + lines++ / 5), r)}\n`;
      bytes += writeSync(fd, chunk);
    }
    closeSync(fd);
    renameSync(tmp, path);
    writeFileSync(meta, String(lines));
  }
  warm(path);
  return { path, bytes: statSync(path).size, lines: Number(readFileSync(meta, 'utf8')) };
}

/** Reads a file through, so it is in the page cache before a timed run reads it. */
export function warm(path: string): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  try {
    while (readSync(fd, buf) > 0);
  } finally {
    closeSync(fd);
  }
}
