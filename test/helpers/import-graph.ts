// The import graph of src/: which module imports which, read from the source text, and
// the cycles in it, at the level of files or of folders.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** One import: `from` imports `to` (paths relative to the root, with `/`). */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

/** Every `.ts` file under `dir`, recursively. */
export function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out.sort();
}

/**
 * The relative modules a source file names: static imports and re-exports (type-only ones
 * too: they couple modules just the same), side-effect imports and dynamic `import()`.
 * Comments are ignored.
 */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs = new Set<string>();
  for (const re of [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const m of code.matchAll(re)) if (m[1]!.startsWith('.')) specs.add(m[1]!);
  }
  return [...specs];
}

/** The imports between the `.ts` files under `root` (`./x.js` resolves to `x.ts`). */
export function importEdges(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const rel = (p: string) => relative(root, p).split(sep).join('/');
  for (const file of tsFiles(root)) {
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      edges.push({ from: rel(file), to: rel(target) });
    }
  }
  return edges;
}

/** A file's folder node: its top-level folder under the root, or the file itself when it is at the root. */
export function folderOf(path: string): string {
  const slash = path.indexOf('/');
  return slash < 0 ? path : path.slice(0, slash);
}

/** A cycle: the nodes in order (the first repeated at the end) and one import for each step. */
export interface Cycle {
  readonly nodes: readonly string[];
  readonly because: readonly ImportEdge[];
}

/**
 * The cycles of the graph whose nodes are `node(path)`: in each strongly connected group
 * of nodes (Tarjan), the shortest cycle through each of its nodes (duplicates dropped),
 * each with an import behind each step.
 */
export function findCycles(edges: readonly ImportEdge[], node: (path: string) => string = (p) => p): Cycle[] {
  const adj = new Map<string, Map<string, ImportEdge>>();
  for (const e of edges) {
    const a = node(e.from);
    const b = node(e.to);
    if (!adj.has(b)) adj.set(b, new Map());
    const out = adj.get(a) ?? new Map<string, ImportEdge>();
    adj.set(a, out);
    if (a !== b && !out.has(b)) out.set(b, e);
  }
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of adj.get(v)!.keys()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group);
    }
  };
  for (const v of [...adj.keys()].sort()) if (!index.has(v)) visit(v);
  const cycles = new Map<string, Cycle>();
  for (const group of groups) {
    for (const start of [...group].sort()) {
      const cycle = cycleFrom(start, new Set(group), adj);
      // The same cycle found from another of its nodes is the same loop.
      const key = [...cycle.nodes.slice(1)].sort().join('\0');
      if (!cycles.has(key)) cycles.set(key, cycle);
    }
  }
  return [...cycles.values()];
}

/** The shortest path from `start` back to itself within its group, found breadth-first. */
function cycleFrom(start: string, group: ReadonlySet<string>, adj: ReadonlyMap<string, ReadonlyMap<string, ImportEdge>>): Cycle {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...adj.get(v)!.keys()].sort()) {
      if (!group.has(w)) continue;
      if (w === start) {
        const nodes = [w];
        for (let x: string | undefined = v; x !== undefined; x = x === start ? undefined : prev.get(x)) nodes.unshift(x);
        const because = nodes.slice(1).map((to, i) => adj.get(nodes[i]!)!.get(to)!);
        return { nodes, because };
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no cycle through ${start}`);
}

/** `a → b → a (src/a/x.ts imports src/b/y.ts; …)` */
export function describeCycle(c: Cycle, prefix = ''): string {
  return `${c.nodes.join(' → ')} (${c.because.map((e) => `${prefix}${e.from} imports ${prefix}${e.to}`).join('; ')})`;
}
