// V8's heap sizing for tailship, applied by the process itself at start-up, so that every
// way of starting it gets it: `node dist/main.js`, the `tailship` bin, the image. main.ts
// imports this module first, so it runs before the other modules load.
//
// tailship's live heap is small (10–20 MiB while a backlog drains) and it makes a lot of
// short-lived garbage. Left to itself, V8 sizes the young generation by the machine's
// memory: on Node 24 with 24 GiB its new space grew to 128 MiB while a 500 MB backlog
// drained, and peak RSS reached 255 MiB (bench/run.ts, no compression). Only flags that V8
// reads after start-up can be set here; --max-semi-space-size is read once when the heap
// is set up and, set at run time, changes nothing (measured). So:
// - --semi-space-growth-factor=1: the young generation stays small (new space 2 MiB on
//   Node 20; Node 24 still grows it in small steps, 2–8 MiB seen) instead of doubling up
//   to its maximum; per-line garbage dies young all the same;
// - --heap-growing-percent=100: the old generation grows to at most twice the live heap
//   before a full collection, where V8 would let it grow to four times.
// Measured on the same run, Node 24: peak RSS 249–262 -> 127–147 MiB (new space 128 ->
// 2–8 MiB), for the same CPU per GB; Node 20: 147–151 -> 107–116 MiB.
// Node flags given on the command line or in NODE_OPTIONS win: an operator who sizes the
// heap there gets what they asked for.
import { setFlagsFromString } from 'node:v8';

const given = `${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`;
if (!/semi-space|heap-growing/.test(given)) {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=100');
}
