// The 1M-element Adam step as bench/browsers.mjs measures it, in Node and in each browser engine:
// the same module, the same lucid-optim (dist/node.mjs or dist/browser.mjs, one .wasm), the same
// clock (performance.now; the bench page is cross-origin isolated, so browsers give it 5 µs or
// finer) and the same timing as every other benchmark (./measure.mjs, which needs nothing of Node).

import { measure, median } from './measure.mjs';

/** @returns {Promise<{ size: number, msPerStep: number[], melemPerS: number }>} */
export async function measureAdam(lucid, { size, reps, batchMs, warmupMs }) {
  const { Adam, Parameter } = lucid;
  const model = () => {
    const data = new Float32Array(size);
    const grad = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      data[i] = ((i * 7919) % 1000) / 1000 - 0.5;
      grad[i] = ((i * 104729) % 1000) / 1000 - 0.5;
    }
    const param = new Parameter(data);
    param.grad = grad;
    const opt = new Adam([param], { lr: 1e-3 });
    return {
      run(steps) {
        const started = performance.now();
        for (let i = 0; i < steps; i++) opt.step();
        return performance.now() - started;
      },
      dispose() {
        opt.dispose();
        param.dispose();
      },
    };
  };
  const [{ samples }] = await measure([async () => model()], { reps, warmupMs, minWarmupSteps: 3, minBatchMs: batchMs, maxStepsPerModel: 5_000 });
  return { size, msPerStep: samples, melemPerS: size / median(samples) / 1e3 };
}
