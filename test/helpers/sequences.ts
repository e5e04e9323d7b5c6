// Numbered lines (`<tag> seq=<n> …`): writing them, and the one delivery checker that
// compares what a collector received with what was written.
import { appendFileSync } from 'node:fs';

/** A test line: the file's short name and a sequence number, padded to `width` chars. */
export function numberedLine(name: string, seq: number, width = 0): string {
  const head = `${name} seq=${seq} `;
  return width > head.length ? head + 'x'.repeat(width - head.length) : head;
}

/**
 * Appends numbered lines to files and remembers how many each has, and the byte offset
 * each line starts at (for checking checkpoints).
 */
export class NumberedWriter {
  readonly counts = new Map<string, number>();
  readonly starts = new Map<string, number[]>();
  readonly #sizes = new Map<string, number>();
  readonly #width: number;

  constructor(width = 0) {
    this.#width = width;
  }

  /** Appends `n` lines to `path` (named `name` in the lines). */
  append(path: string, name: string, n: number): void {
    const from = this.counts.get(path) ?? 0;
    const starts = this.starts.get(path) ?? [];
    let size = this.#sizes.get(path) ?? 0;
    let text = '';
    for (let i = from; i < from + n; i++) {
      const line = `${numberedLine(name, i, this.#width)}\n`;
      starts.push(size);
      size += Buffer.byteLength(line);
      text += line;
    }
    appendFileSync(path, text);
    this.counts.set(path, from + n);
    this.starts.set(path, starts);
    this.#sizes.set(path, size);
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }
}

const LINE = /^(\S+) seq=(\d+)( |$)/;
const UNEXPECTED_KEPT = 100;

export interface DeliveryReport {
  /** Per key (every one expected): sequence numbers never received. */
  readonly missing: Map<string, number[]>;
  /** Per key: sequence numbers received more than once. */
  readonly duplicated: Map<string, number[]>;
  /** Lines not in the test's form, or for a key or number never written (the first 80 chars of the first 100). */
  readonly unexpected: string[];
  /** Per key: true when sorting its lines by offset gives their sequence numbers in order. */
  readonly ordered: Map<string, boolean>;
  /** Lines received, unexpected ones included. */
  readonly received: number;
}

/**
 * The delivery checker. Lines are counted under a key: the file they came from, or the
 * line's own tag when no file is given. Counting as lines arrive keeps only a byte per
 * line written, so a collector can check hundreds of MB without keeping them.
 */
export class SequenceTally {
  readonly #seen = new Map<string, Uint8Array>();
  readonly #offsets = new Map<string, Array<[number, number]>>();
  readonly #unexpected: string[] = [];
  #unexpectedCount = 0;
  #received = 0;
  #duplicates = 0;

  /** `expected`: per key, how many lines were written (sequence numbers 0 to n-1). */
  constructor(expected: ReadonlyMap<string, number>) {
    for (const [key, n] of expected) this.#seen.set(key, new Uint8Array(n));
  }

  /** One line received; with its file as `key` and its `offset` in it when known. */
  add(message: string, key?: string, offset?: number): void {
    this.#received++;
    const m = LINE.exec(message);
    const k = key ?? m?.[1];
    const counts = k === undefined ? undefined : this.#seen.get(k);
    const seq = m ? Number(m[2]) : -1;
    if (!m || !counts || seq >= counts.length) {
      this.#unexpectedCount++;
      if (this.#unexpected.length < UNEXPECTED_KEPT) this.#unexpected.push(message.slice(0, 80));
      return;
    }
    if (counts[seq]! > 0) this.#duplicates++;
    counts[seq] = Math.min(255, counts[seq]! + 1);
    if (offset !== undefined) {
      const list = this.#offsets.get(k!) ?? [];
      list.push([offset, seq]);
      this.#offsets.set(k!, list);
    }
  }

  get received(): number {
    return this.#received;
  }

  /** Lines that arrived again. */
  get duplicates(): number {
    return this.#duplicates;
  }

  get unexpectedCount(): number {
    return this.#unexpectedCount;
  }

  report(): DeliveryReport {
    const missing = new Map<string, number[]>();
    const duplicated = new Map<string, number[]>();
    const ordered = new Map<string, boolean>();
    for (const [key, counts] of this.#seen) {
      const miss: number[] = [];
      const dup: number[] = [];
      counts.forEach((n, seq) => {
        if (n === 0) miss.push(seq);
        if (n > 1) dup.push(seq);
      });
      missing.set(key, miss);
      duplicated.set(key, dup);
      const list = (this.#offsets.get(key) ?? []).sort((a, b) => a[0] - b[0]);
      ordered.set(key, list.every(([, seq], i) => i === 0 || seq >= list[i - 1]![1]));
    }
    return { missing, duplicated, unexpected: [...this.#unexpected], ordered, received: this.#received };
  }
}

/** What a collector accepted (records with `message`, `file`, `offset`) against what was written per file. */
export function deliveryReport(records: ReadonlyArray<Record<string, any>>, counts: ReadonlyMap<string, number>): DeliveryReport {
  const tally = new SequenceTally(counts);
  for (const r of records) tally.add(String(r['message']), r['file'], r['offset']);
  return tally.report();
}

/**
 * Messages against what was written per tag (the line's first word): only the tags with
 * lines missing or duplicated are listed.
 */
export function checkSequences(
  messages: Iterable<string>,
  expected: ReadonlyMap<string, number>,
): { missing: Map<string, number[]>; duplicated: Map<string, number[]>; unexpected: string[] } {
  const tally = new SequenceTally(expected);
  for (const m of messages) tally.add(m);
  const report = tally.report();
  const wrong = (map: Map<string, number[]>) => new Map([...map].filter(([, seqs]) => seqs.length > 0));
  return { missing: wrong(report.missing), duplicated: wrong(report.duplicated), unexpected: report.unexpected };
}

/** Short text for a list of numbers (first few). */
export function few(xs: readonly number[]): string {
  return xs.length === 0 ? 'none' : `${xs.length}: ${xs.slice(0, 10).join(',')}${xs.length > 10 ? ',…' : ''}`;
}

/** Runs the log-writer fixture as a child process; resolves with what it wrote. */
export async function runWriter(
  path: string,
  lines: number,
  perTick: number,
  tickMs: number,
  mode?: 'rotate' | 'rotate-keep5' | 'copytruncate',
  everyMs?: number,
): Promise<{ written: number; rotations: number }> {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const script = fileURLToPath(new URL('../fixtures/log-writer.mjs', import.meta.url));
  const args = [script, path, String(lines), String(perTick), String(tickMs)];
  if (mode) args.push(mode, String(everyMs ?? 200));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`log writer exited ${code}`);
  return JSON.parse(out) as { written: number; rotations: number };
}
