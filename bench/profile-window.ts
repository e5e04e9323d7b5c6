// Reads a CPU profile of tailship (node --cpu-prof; BENCH_CPU_PROF=dir npm run bench writes
// them) and prints where the main thread's time went while lines were moving: between the
// first and the last sample with the marker function (default `addRun`, the batching of
// a run of lines) on the stack. A whole-run profile is dominated at its ends by start-up, the
// last linger and the SIGTERM drain's quiet wait, which read as idle time.
// Usage: node --import @tapjs/typescript/import bench/profile-window.ts FILE.cpuprofile [MARKER]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file, marker = 'addRun'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-window.ts FILE.cpuprofile [MARKER]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const name = (id: number): string => {
  const f = byId.get(id)!.callFrame;
  const where = f.url.replace(/^.*\/(dist|node_modules)\//, '$1/');
  return `${f.functionName || '(anonymous)'}${where ? ` ${where}:${f.lineNumber + 1}` : ''}`;
};
/** The distinct functions on a sample's stack (a recursive one counts once). */
const stack = (id: number): Set<string> => {
  const names = new Set<string>();
  for (let c: number | undefined = id; c !== undefined; c = parent.get(c)) names.add(name(c));
  return names;
};

const stacks = profile.samples.map(stack);
const hot = stacks.map((s) => [...s].some((n) => n.startsWith(`${marker} `)));
const first = hot.indexOf(true);
const last = hot.lastIndexOf(true);
if (first < 0) throw new Error(`no sample has ${marker} on its stack`);

let whole = 0;
for (const dt of profile.timeDeltas) whole += dt;
let total = 0;
const inclusive = new Map<string, number>();
const self = new Map<string, number>();
for (let i = first; i <= last; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  for (const n of stacks[i]!) inclusive.set(n, (inclusive.get(n) ?? 0) + dt);
  const own = name(profile.samples[i]!);
  self.set(own, (self.get(own) ?? 0) + dt);
}
const pct = (t: number | undefined) => `${((100 * (t ?? 0)) / total).toFixed(1).padStart(5)} %`;
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);

console.log(`${file}: ${(whole / 1e6).toFixed(2)} s sampled, ${(total / 1e6).toFixed(2)} s between the first and last sample with ${marker}`);
for (const k of ['(idle)', '(garbage collector)', '(program)']) console.log(`${pct(self.get(k))}  ${k}`);
console.log('\ninclusive (the function and all it calls):');
for (const [k, t] of top(inclusive, 30)) if (k !== '(root)') console.log(`${pct(t)}  ${k}`);
console.log('\nself:');
for (const [k, t] of top(self, 20)) console.log(`${pct(t)}  ${k}`);
