#!/usr/bin/env node
// lucid-optim/tfjs against tf.train.adam, inside TensorFlow.js, on its cpu and wasm backends:
//
//   applyGradients   one optimizer step over 1M weights (a 1000 × 1000 variable and its fixed
//                    gradient), everything the bridge does included: reading the variable and its
//                    gradient out of tfjs (dataSync), the lucid-optim step, writing the variable back
//                    (tf.tensor + assign)
//   model.fit epoch  a whole epoch of a tfjs-layers MLP (256 → 1024 → 512 → 10, 793K weights, softmax
//                    cross-entropy) on 256 samples in batches of 64: 4 forward/backward passes and 4
//                    optimizer steps, fit's own overhead included
//
// Both optimizers get lr 1e-3, betas (0.9, 0.999), eps 1e-8 (and no weight decay: tf.train.adam has
// none). Contestants are measured interleaved (bench/lib/measure.mjs), one ratio per row from the
// same run, after a cross-check that both compute the same Adam (within float32 drift). On the wasm
// backend a third row: the bridge held to public dataSync() reads instead of reading the backend's
// memory (its one backend-internal path).
// tfjs-backend-wasm runs its SIMD .wasm single-threaded from node_modules, as in the main
// benchmark; both backends in production mode.
//
//   npm run build && node bench/tfjs.mjs [--reps 7] [--quick]
//
// --quick: tiny shapes and one rep, to check that everything runs (not a measurement).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { init } from 'lucid-optim';
import { adam } from 'lucid-optim/tfjs';
import { mulberry32 } from '../reference/rng.mjs';
import { machine } from './lib/machine.mjs';
import { measure, median } from './lib/measure.mjs';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '7' }, quick: { type: 'boolean', default: false } } });
const quick = values.quick;
const reps = quick ? 1 : Number(values.reps);
const SIDE = quick ? 100 : 1000; // applyGradients: a SIDE × SIDE variable
const LAYERS = quick ? [16, 32, 16, 10] : [256, 1024, 512, 10]; // model.fit: the MLP's widths
const SAMPLES = quick ? 64 : 256;
const BATCH = 64;
const HYPER = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

tf.env().set('PROD', true);
tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
await init();

const seeded = (seed, length, scale) => {
  const random = mulberry32(seed);
  return Float32Array.from({ length }, () => (2 * random() - 1) * scale);
};
const ours = () => adam({ lr: HYPER.lr, betas: [HYPER.beta1, HYPER.beta2], eps: HYPER.eps });
const optimizers = {
  'lucid-optim/tfjs': ours,
  'tf.train.adam': () => tf.train.adam(HYPER.lr, HYPER.beta1, HYPER.beta2, HYPER.eps),
  // On the wasm backend the bridge reads the backend's memory directly (ts/tfjs/backend-memory.ts);
  // this is the same bridge held to the public dataSync() reads, as on every other backend.
  'lucid-optim/tfjs, dataSync() reads': () => {
    const opt = ours();
    opt._useBackendMemory(false);
    return opt;
  },
};

/** One contestant of the applyGradients case: a fresh variable, its gradient and optimizer. */
function applyGradientsModel(backend, makeOptimizer) {
  return async () => {
    await tf.setBackend(backend);
    const variable = tf.variable(tf.tensor2d(seeded(1, SIDE * SIDE, 1), [SIDE, SIDE]));
    const gradient = tf.tensor2d(seeded(2, SIDE * SIDE, 1e-2), [SIDE, SIDE]);
    const opt = makeOptimizer();
    const named = [{ name: variable.name, tensor: gradient }];
    return {
      // Tensors live in the backend that created them: make it the active one before stepping.
      activate: () => tf.setBackend(backend),
      // Both backends run their kernels synchronously: when applyGradients returns, it is done.
      run(steps) {
        const start = performance.now();
        for (let i = 0; i < steps; i++) opt.applyGradients(named);
        return performance.now() - start;
      },
      values: () => variable.dataSync().slice(),
      dispose() {
        opt.dispose();
        tf.dispose([variable, gradient]);
      },
    };
  };
}

/**
 * Before timing a backend: 5 steps of each optimizer from the same variable and gradient must agree
 * within 1e-5 of the largest weight (the same Adam, in other float32 roundings: docs/fidelity.md).
 */
async function crossCheck(backend) {
  const runs = [];
  for (const make of Object.values(optimizers).slice(0, 2)) {
    const model = await applyGradientsModel(backend, make)();
    model.run(5);
    runs.push(model.values());
    model.dispose();
  }
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < runs[0].length; i++) {
    scale = Math.max(scale, Math.abs(runs[1][i]));
    worst = Math.max(worst, Math.abs(runs[0][i] - runs[1][i]));
  }
  if (!(worst <= 1e-5 * scale)) throw new Error(`cross-check on ${backend}: lucid-optim/tfjs and tf.train.adam differ by ${worst} after 5 steps`);
}

/** One contestant of the model.fit case: a fresh model (seeded weights) compiled with the optimizer. */
function fitModel(backend, makeOptimizer) {
  return async () => {
    await tf.setBackend(backend);
    const layers = LAYERS.slice(1).map((units, i) =>
      tfl.layers.dense({ units, activation: i === LAYERS.length - 2 ? 'softmax' : 'relu', ...(i === 0 ? { inputShape: [LAYERS[0]] } : {}) }),
    );
    const model = tfl.sequential({ layers });
    model.setWeights(model.getWeights().map((w, i) => tf.tensor(seeded(10 + i, w.size, Math.sqrt(3 / w.shape[0])), w.shape)));
    const opt = makeOptimizer();
    model.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
    const xs = tf.tensor2d(seeded(3, SAMPLES * LAYERS[0], 1), [SAMPLES, LAYERS[0]]);
    const labels = tf.tensor1d(Int32Array.from({ length: SAMPLES }, (_, i) => i % LAYERS.at(-1)), 'int32');
    const ys = tf.cast(tf.oneHot(labels, LAYERS.at(-1)), 'float32');
    return {
      activate: () => tf.setBackend(backend),
      async run(epochs) {
        const start = performance.now();
        await model.fit(xs, ys, { epochs, batchSize: BATCH, shuffle: false, verbose: 0 });
        return performance.now() - start;
      },
      dispose() {
        opt.dispose();
        model.dispose();
        tf.dispose([xs, labels, ys]);
      },
    };
  };
}

const weights = LAYERS.slice(1).reduce((sum, units, i) => sum + LAYERS[i] * units + units, 0);
const cases = [
  { name: `applyGradients, ${(SIDE * SIDE).toLocaleString('en-US')} weights`, unit: 'ms/step', model: applyGradientsModel },
  { name: `model.fit epoch, ${weights.toLocaleString('en-US')} weights, ${SAMPLES / BATCH} batches`, unit: 'ms/epoch', model: fitModel },
];
const { cpu } = machine();
console.log(`lucid-optim/tfjs vs tf.train.adam, tfjs-core ${tf.version_core}, Node ${process.version}, ${cpu}${quick ? ' (--quick: not a measurement)' : ''}`);
console.log('| case | backend | lucid-optim/tfjs | tf.train.adam | tf.train.adam / lucid-optim/tfjs |');
console.log('|---|---|---:|---:|---:|');
for (const backend of ['cpu', 'wasm']) await crossCheck(backend);
for (const { name, unit, model } of cases) {
  for (const backend of ['cpu', 'wasm']) {
    const contestants = Object.values(optimizers).slice(0, backend === 'wasm' ? 3 : 2);
    const measured = await measure(
      contestants.map((make) => model(backend, make)),
      { reps, warmupMs: quick ? 0 : 1000, minWarmupSteps: quick ? 1 : 2, minBatchMs: quick ? 0 : 300, maxStepsPerModel: 100_000 },
    );
    const theirs = median(measured[1].samples);
    for (const [i, label] of [[0, backend], [2, `${backend}, dataSync() reads`]]) {
      if (measured[i] === undefined) continue;
      // The ratio of each rep's pair (measured back to back), then the median: steadier than the ratio of medians.
      const ratio = median(measured[1].samples.map((ms, rep) => ms / measured[i].samples[rep]));
      console.log(`| ${name} | ${label} | ${median(measured[i].samples).toFixed(1)} ${unit} | ${theirs.toFixed(1)} ${unit} | ${ratio.toFixed(2)}× |`);
    }
  }
}
