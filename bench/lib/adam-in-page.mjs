// The 1M-element Adam step as bench/browsers.mjs measures it, in Node and in each browser engine:
// the same module, the same lucid-optim (dist/node.mjs or dist/browser.mjs, one .wasm), the same
// clock (performance.now; the bench page is cross-origin isolated, so browsers give it 5 µs or
// finer). Batches of steps last at least `batchMs`; the result is the median over `reps` batches.

/** @returns {{ size: number, msPerStep: number[], melemPerS: number }} */
export function measureAdam(lucid, { size, reps, batchMs, warmupMs }) {
  const { Adam, Parameter } = lucid;
  const data = new Float32Array(size);
  const grad = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    data[i] = ((i * 7919) % 1000) / 1000 - 0.5;
    grad[i] = ((i * 104729) % 1000) / 1000 - 0.5;
  }
  const param = new Parameter(data);
  param.grad = grad;
  const opt = new Adam([param], { lr: 1e-3 });
  const steps = (k) => {
    const started = performance.now();
    for (let i = 0; i < k; i++) opt.step();
    return performance.now() - started;
  };
  // Warm up for warmupMs, then size a batch to last at least batchMs.
  const warmupEnd = performance.now() + warmupMs;
  while (performance.now() < warmupEnd) steps(1);
  let batch = 1;
  while (steps(batch) < batchMs) batch *= 2;
  const msPerStep = [];
  for (let r = 0; r < reps; r++) msPerStep.push(steps(batch) / batch);
  opt.dispose();
  param.dispose();
  const sorted = [...msPerStep].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[sorted.length >> 1] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { size, msPerStep, melemPerS: size / median / 1e3 };
}
