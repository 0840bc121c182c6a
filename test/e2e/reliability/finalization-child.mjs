// Run by lifetime.test.ts as `node --expose-gc finalization-child.mjs`: creates parameters and
// optimizers and forgets them without dispose(), collecting garbage now and then, and prints what
// lucid-optim still has allocated as one line of JSON. wasm-bindgen registers every RawParameter
// and RawAdam with a FinalizationRegistry; its callbacks run after a collection, on a later task.
import { Adam, init, memoryStats, Parameter } from '../../../dist/node.mjs';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

await init();
/**
 * Collects garbage and lets the finalizers it queued run (they run on later tasks): three rounds,
 * then more for as long as a round still frees something, so that a slow finalizer is waited for
 * by what it does (allocatedBytes), not by time. At most 100 rounds.
 */
const settle = async () => {
  let before;
  for (let round = 0; round < 100; round++) {
    before = memoryStats().allocatedBytes;
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (round >= 2 && memoryStats().allocatedBytes === before) break;
  }
};
await settle();
const baseline = memoryStats().allocatedBytes;

const rounds = 300;
const n = 250_000; // 1 MB per buffer: data, grad, expAvg, expAvgSq
/** One round of use, in its own function so that nothing of it stays reachable afterwards. */
function round() {
  const w = new Parameter(n);
  w.grad = new Float32Array(n).fill(1);
  const opt = new Adam([w]);
  opt.step();
  // Forgotten: no w.dispose(), no opt.dispose().
}
let peak = 0;
for (let r = 0; r < rounds; r++) {
  round();
  peak = Math.max(peak, memoryStats().allocatedBytes);
  if (r % 10 === 9) await settle();
}
await settle();
const { allocatedBytes: final, memoryBytes } = memoryStats();
console.log(JSON.stringify({ rounds, bytesPerRound: 16 * n, baseline, peak, final, memoryBytes }));
