#!/usr/bin/env node
// What the training recipe (AdamW, a schedule, clipping) costs on top of Adam's step, as ratios measured in one run
// (contestants interleaved, bench/lib/measure.mjs), on the benchmark's data (bench/lib/data.mjs):
//
//   1. AdamW's step (torch.optim.AdamW's defaults: weight decay 1e-2, decoupled) against Adam's
//      (defaults) and Adam's with L2 weight decay 1e-2. Target: AdamW within 1.05x of Adam.
//   2. clipGradNorm(params, maxNorm) + AdamW's step against the step alone. Each step first gets a
//      fresh gradient (copied in, untimed, in every contestant: a training step's backward pass),
//      so that clipping scales the same gradients every time. maxNorm 1 clips at every step (the
//      norm, then the scaling: the worst case); maxNorm Infinity only computes the norm (the
//      coefficient is 1, and scaling by 1 is skipped). Target: within 1.35x of the step alone.
//
//   npm run build && node bench/recipe.mjs [--case 1M,1000x1K] [--reps 11]
import { parseArgs } from 'node:util';
import { Adam, AdamW, clipGradNorm, init, Parameter } from 'lucid-optim';
import { CASES, lucidOptions, VARIANTS, makeData } from './lib/data.mjs';
import { machine } from './lib/machine.mjs';
import { measure, median } from './lib/measure.mjs';

const { values: args } = parseArgs({ options: { case: { type: 'string', default: '1M' }, reps: { type: 'string', default: '11' } } });
const SETTINGS = { reps: Number(args.reps), warmupMs: 500, minWarmupSteps: 3, minBatchMs: 100, maxStepsPerModel: 5_000 };

await init();

/** Parameters holding the case's data, and its gradients kept aside to copy in. */
function model(data) {
  const params = data.params.map((values) => {
    const p = new Parameter(values.length);
    p.data = values;
    return p;
  });
  params.forEach((p, i) => (p.grad = data.grads[i]));
  return params;
}

/** A contestant that takes `opt`'s steps, the gradient copied in (untimed) before each when `fresh`. */
function contestant(data, makeOptimizer, { clip, fresh }) {
  return async () => {
    const params = model(data);
    const opt = makeOptimizer(params);
    return {
      run(steps) {
        let ms = 0;
        for (let s = 0; s < steps; s++) {
          if (fresh) params.forEach((p, i) => p.grad.set(data.grads[i]));
          const start = performance.now();
          if (clip !== undefined) clipGradNorm(params, clip);
          opt.step();
          ms += performance.now() - start;
        }
        return ms;
      },
      dispose() {
        opt.dispose();
        params.forEach((p) => p.dispose());
      },
    };
  };
}

/** Measures the contestants interleaved; prints each one's ms per step and its ratio to the first. */
async function compare(title, labels, factories) {
  const measured = await measure(factories, SETTINGS);
  console.log(`\n${title}`);
  console.log('| | ms per step | ratio to the first (median of per-rep ratios) |');
  console.log('|---|---:|---:|');
  measured.forEach(({ samples }, i) => {
    const ratio = median(samples.map((ms, rep) => ms / measured[0].samples[rep]));
    console.log(`| ${labels[i]} | ${median(samples).toFixed(4)} | ${ratio.toFixed(3)}x |`);
  });
}

const m = machine();
console.log(`The recipe's costs: ${m.cpu}, ${m.cores} cores, Node ${m.node}; ${SETTINGS.reps} reps, batches of >= ${SETTINGS.minBatchMs} ms`);
const variant = (id) => VARIANTS.find((v) => v.id === id);
for (const benchCase of args.case.split(',').map((id) => CASES.find((c) => c.id === id))) {
  const data = makeData(benchCase.shape);
  await compare(
    `AdamW against Adam, ${benchCase.label} elements (${benchCase.shape.length} parameter${benchCase.shape.length > 1 ? 's' : ''})`,
    ['Adam (defaults)', 'Adam, weight decay 1e-2 (L2)', 'AdamW (defaults: weight decay 1e-2, decoupled)'],
    [
      contestant(data, (ps) => new Adam(ps, lucidOptions(variant('adam'))), {}),
      contestant(data, (ps) => new Adam(ps, lucidOptions(variant('wd'))), {}),
      contestant(data, (ps) => new AdamW(ps), {}),
    ],
  );
  await compare(
    `clipGradNorm + AdamW step against the step alone, ${benchCase.label} elements, a fresh gradient each step`,
    ['AdamW step', 'clipGradNorm(params, 1) + step (clips: norm and scaling)', 'clipGradNorm(params, Infinity) + step (norm only)'],
    [
      contestant(data, (ps) => new AdamW(ps), { fresh: true }),
      contestant(data, (ps) => new AdamW(ps), { fresh: true, clip: 1 }),
      contestant(data, (ps) => new AdamW(ps), { fresh: true, clip: Infinity }),
    ],
  );
}
