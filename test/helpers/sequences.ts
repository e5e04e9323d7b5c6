/**
 * Checks sequence-numbered lines (`<tag> seq=<n> …`) for loss and duplication.
 * Returns the missing and the duplicated sequence numbers per tag.
 */
export function checkSequences(
  messages: Iterable<string>,
  expected: ReadonlyMap<string, number>,
): { missing: Map<string, number[]>; duplicated: Map<string, number[]>; unexpected: string[] } {
  const seen = new Map<string, Uint8Array>();
  for (const [tag, n] of expected) seen.set(tag, new Uint8Array(n));
  const duplicated = new Map<string, number[]>();
  const unexpected: string[] = [];
  for (const m of messages) {
    const match = /^(\S+) seq=(\d+)( |$)/.exec(m);
    const counts = match ? seen.get(match[1]!) : undefined;
    const seq = match ? Number(match[2]) : -1;
    if (!counts || seq >= counts.length) {
      unexpected.push(m.slice(0, 80));
      continue;
    }
    if (counts[seq]! > 0) {
      const list = duplicated.get(match![1]!) ?? [];
      list.push(seq);
      duplicated.set(match![1]!, list);
    }
    counts[seq] = Math.min(255, counts[seq]! + 1);
  }
  const missing = new Map<string, number[]>();
  for (const [tag, counts] of seen) {
    const list: number[] = [];
    counts.forEach((c, i) => c === 0 && list.push(i));
    if (list.length > 0) missing.set(tag, list);
  }
  return { missing, duplicated, unexpected };
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
