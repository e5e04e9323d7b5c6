// Dependencies point one way (docs/architecture.md): no folder of src/ imports a folder
// that imports it back, and no module imports one that imports it back. A file at the
// top of src/ (main.ts, pipeline.ts, errors.ts) is a node of its own.
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { describeCycle, findCycles, folderOf, importEdges, importSpecifiers } from './helpers/import-graph.js';

const SRC = fileURLToPath(new URL('../src', import.meta.url));
const edges = importEdges(SRC);

t.test('no cycle between the folders of src/', async (t) => {
  t.ok(edges.length > 100, `${edges.length} imports read`);
  const cycles = findCycles(edges, folderOf).map((c) => describeCycle(c, 'src/'));
  t.same(cycles, [], 'folder cycles');
});

t.test('no cycle between the modules of src/', async (t) => {
  const cycles = findCycles(edges).map((c) => describeCycle(c, 'src/'));
  t.same(cycles, [], 'module cycles');
});

t.test('the check finds a cycle and names its path and the imports behind it', async (t) => {
  const graph = [
    { from: 'config/a.ts', to: 'ship/b.ts' },
    { from: 'ship/b.ts', to: 'record/c.ts' },
    { from: 'ship/d.ts', to: 'config/e.ts' },
    { from: 'record/c.ts', to: 'ack/f.ts' },
    { from: 'main.ts', to: 'config/a.ts' },
  ];
  t.same(findCycles(graph, folderOf).map((c) => describeCycle(c)), [
    'config → ship → config (config/a.ts imports ship/b.ts; ship/d.ts imports config/e.ts)',
  ]);
  t.same(findCycles(graph), [], 'no cycle between the files themselves');
  t.same(
    findCycles([...graph, { from: 'ack/f.ts', to: 'ship/b.ts' }]).map((c) => c.nodes.join(' → ')),
    ['ack/f.ts → ship/b.ts → record/c.ts → ack/f.ts'],
  );
  t.same(findCycles(graph.slice(0, 2), folderOf), []);
  const twoLoops = [...graph, { from: 'batch/g.ts', to: 'ship/h.ts' }, { from: 'ship/b.ts', to: 'batch/i.ts' }];
  t.same(
    findCycles(twoLoops, folderOf).map((c) => c.nodes.join(' → ')),
    ['batch → ship → batch', 'config → ship → config'],
    'two loops through one folder are both named',
  );
});

t.test('imports are read in every form: multi-line, type-only, re-exports, side effects, dynamic; comments ignored', async (t) => {
  const source = [
    "import {\n  a,\n  b,\n} from './a.js';",
    "import type { T } from '../t/t.js';",
    "export { x } from './x.js';",
    "import './side.js';",
    "const m = await import('./lazy.js');",
    "import { readFileSync } from 'node:fs';",
    "// import { no } from './commented.js';",
    "/* import { no } from './block.js'; */",
  ].join('\n');
  t.same(importSpecifiers(source).sort(), ['../t/t.js', './a.js', './lazy.js', './side.js', './x.js']);
});
