#!/usr/bin/env node
// What a parameter group costs per step. G parameters of 64 elements are stepped once as G groups
// (each with its own hyperparameters, validated at every step) and once as one group, interleaved
// in one run (bench/lib/measure.mjs); the per-group overhead is the difference divided by G. The
// target: at most 0.3 µs per group, flat from 10 to 10,000 groups.
//
//   npm run build && node bench/groups.mjs [--groups 10,100,1000,10000] [--reps 9]
//
// Groups are made the way users make them: layer-wise learning rates and a decay / no-decay split
// give groups with different options, and a scheduler writes `lr` into every group between steps
// (here: every step, so that the values the step reads change).
import { parseArgs } from 'node:util';
import { Adam, init, Parameter } from 'lucid-optim';
import { machine } from './lib/machine.mjs';
import { measure, median } from './lib/measure.mjs';

const { values } = parseArgs({ options: { groups: { type: 'string', default: '10,100,1000,10000' }, reps: { type: 'string', default: '9' } } });
const SIZE = 64;

await init();

/** G parameters of SIZE elements, with gradients, stepped as `groups` groups or as one. */
function model(count, grouped) {
  const params = Array.from({ length: count }, (_, i) => {
    const p = new Parameter(Float32Array.from({ length: SIZE }, (_, j) => Math.sin(i * SIZE + j)));
    p.grad = Float32Array.from({ length: SIZE }, (_, j) => Math.cos(i * SIZE + j) * 1e-2);
    return p;
  });
  const opt = grouped
    ? new Adam(params.map((p, i) => ({ params: [p], lr: 1e-3 * (1 + i / count), weightDecay: i % 2 ? 0 : 0.01 })))
    : new Adam(params, { lr: 1e-3 });
  return {
    run(steps) {
      const start = performance.now();
      for (let s = 0; s < steps; s++) {
        for (const group of opt.paramGroups) group.lr *= 0.9999; // a scheduler's write
        opt.step();
      }
      return performance.now() - start;
    },
    dispose() {
      opt.dispose();
      params.forEach((p) => p.dispose());
    },
  };
}

console.log(`Per-group step overhead, ${SIZE}-element parameters, Node ${process.version}, ${machine().cpu}`);
console.log('| groups | one group (ms/step) | G groups (ms/step) | overhead per group (µs) |');
console.log('|---:|---:|---:|---:|');
for (const count of values.groups.split(',').map(Number)) {
  const measured = await measure([async () => model(count, false), async () => model(count, true)], {
    reps: Number(values.reps),
    warmupMs: 300,
    minWarmupSteps: 3,
    minBatchMs: 100,
    maxStepsPerModel: 5_000,
  });
  const [one, many] = measured.map(({ samples }) => median(samples));
  const perGroupUs = median(measured[1].samples.map((ms, rep) => ms - measured[0].samples[rep])) * 1000 / count;
  console.log(`| ${count.toLocaleString('en-US')} | ${one.toFixed(4)} | ${many.toFixed(4)} | ${perGroupUs.toFixed(3)} |`);
}
