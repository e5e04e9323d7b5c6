import { dirname } from 'node:path';
import t from 'tap';
import type { CheckpointEntry } from '../../src/checkpoint/checkpoint-format.js';
import { FileRegistry } from '../../src/tail/file-registry.js';

const entry = (path: string, ino: number): CheckpointEntry => ({ key: `k${ino}`, dev: 1, ino, fpLen: 0, fpHash: '', offset: 0, path, seenMs: 0 });

t.test('the directories of known files: each once, whatever order and nesting the paths come in', async (t) => {
  // Neighbours, a directory whose name extends another's, nested ones, the root, and back.
  const paths = ['/x.log', '/logs/a.log', '/logs/b.log', '/logs2/a.log', '/logs/b/c.log', '/logs/b/d.log', '/logs/e.log', '/l/a', '/y.log', '/logs/b/c/d.log'];
  const registry = new FileRegistry(paths.map((p, i) => entry(p, i + 1)));
  t.same([...registry.directories()].sort(), [...new Set(paths.map((p) => dirname(p)))].sort());
});
