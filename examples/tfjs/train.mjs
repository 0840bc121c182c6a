#!/usr/bin/env node
// Trains a TensorFlow.js (tfjs-layers) model with lucid-optim/tfjs: PyTorch's AdamW in
// `model.compile`, with a warm-up + cosine learning-rate schedule built on `opt.optimizer` from
// lucid-optim's schedulers, stepped after every batch. Then trains the same model, from the same
// weights on the same batches, with tf.train.adam at the same peak lr (TensorFlow.js has no AdamW
// and no schedule on its optimizers), and writes both loss curves to an SVG file.
//
//   npm run demo:tfjs                          (builds lucid-optim first)
//   node examples/tfjs/train.mjs --epochs 100 --lr 0.003 --backend wasm
//   node examples/tfjs/train.mjs --help

import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import cliProgress from 'cli-progress';
import { init } from 'lucid-optim';
import { adamW } from 'lucid-optim/tfjs';
import { mulberry32 } from '../../reference/rng.mjs';
import { flagReaders } from '../flags.mjs';
import { makeSpiral } from '../model.mjs';
import { makeScheduler, scheduleRecipe } from '../schedule.mjs';
import { lossCurveSvg } from '../svg-chart.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const usage = `Usage: node examples/tfjs/train.mjs [options]

Trains a tfjs-layers MLP (2 → 64 tanh → 64 tanh → 3 softmax) on a seeded 3-arm spiral with
lucid-optim/tfjs's AdamW (weight decay 0.01) and a warm-up + cosine schedule stepped after every
batch, then the same model from the same weights with tf.train.adam at the same lr, and writes
both loss curves (one point per batch) to an SVG file.

Options:
  --epochs <n>         epochs of each run (default 40)
  --batch <n>          batch size (default 30; the spiral has 300 points)
  --lr <x>             the peak learning rate of both runs (default 0.01)
  --warmup <n>         batches of linear warm-up from 0.01 × lr before the cosine decay
                       (default: the first 10% of all batches)
  --backend <name>     tfjs backend: cpu (default) or wasm
  --seed <n>           seed for the data and the initial weights (default 1)
  --out <file>         where to write the loss curves (default examples/out/tfjs-loss.svg)
  -h, --help           show this help`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      epochs: { type: 'string', default: '40' },
      batch: { type: 'string', default: '30' },
      lr: { type: 'string', default: '0.01' },
      warmup: { type: 'string' },
      backend: { type: 'string', default: 'cpu' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: resolve(here, '../out/tfjs-loss.svg') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const { refuse, number } = flagReaders(values);
  const integer = (x) => Number.isSafeInteger(x);
  if (values.help) return { help: true };
  const epochs = number('epochs', (x) => integer(x) && x >= 1, 'an integer >= 1');
  const batch = number('batch', (x) => integer(x) && x >= 1 && x <= 300, 'an integer in [1, 300]');
  const steps = epochs * Math.ceil(300 / batch);
  const warmup = values.warmup === undefined ? Math.floor(steps / 10) : number('warmup', (x) => integer(x) && x >= 0 && x < steps, `an integer in [0, ${steps}) (the run's ${steps} batches)`);
  if (!['cpu', 'wasm'].includes(values.backend)) throw refuse('backend', 'cpu or wasm');
  return {
    epochs,
    batch,
    steps,
    warmup,
    lr: number('lr', (x) => Number.isFinite(x) && x > 0, 'a number > 0'),
    backend: values.backend,
    seed: number('seed', (x) => integer(x) && x >= 0, 'an integer >= 0'),
    out: resolve(values.out),
  };
}

/** The model, with seeded initial weights (the same for both runs). */
function makeModel(seed) {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 64, activation: 'tanh', inputShape: [2] }),
      tfl.layers.dense({ units: 64, activation: 'tanh' }),
      tfl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  const random = mulberry32(seed);
  model.setWeights(
    model.getWeights().map((w) => {
      // Uniform in ±sqrt(3 / fan_in) (unit variance per input), biases zero.
      const scale = w.rank === 2 ? Math.sqrt(3 / w.shape[0]) : 0;
      return tf.tensor(Float32Array.from({ length: w.size }, () => (2 * random() - 1) * scale), w.shape);
    }),
  );
  return model;
}

/** A progress bar on a terminal; plain lines when the output is a pipe or a file. */
function progress(total, name) {
  if (!process.stdout.isTTY) return { update() {}, log: (line) => console.log(line), stop() {} };
  const bars = new cliProgress.MultiBar(
    { format: ` ${name.padEnd(22)} {bar} {percentage}% | epoch {value}/{total} | loss {loss}`, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(total, 0, { loss: '-' });
  return { update: (epoch, loss) => bar.update(epoch, { loss }), log: (line) => bars.log(`${line}\n`), stop: () => bars.stop() };
}

/** Trains a fresh model with `optimizer`: the loss of every batch, the last epoch's loss and accuracy, the time. */
async function train(options, data, optimizer, name, scheduler) {
  const model = makeModel(options.seed);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const losses = [];
  const lrs = [];
  const bar = progress(options.epochs, name);
  const every = Math.max(1, Math.round(options.epochs / 8));
  let accuracy = 0;
  let loss = 0;
  const start = performance.now();
  await model.fit(data.xs, data.ys, {
    epochs: options.epochs,
    batchSize: options.batch,
    shuffle: false,
    verbose: 0,
    callbacks: {
      onBatchEnd: async (_, logs) => {
        losses.push(logs.loss);
        if (scheduler !== null) {
          lrs.push(optimizer.optimizer.paramGroups[0].lr); // the lr this batch used
          scheduler.step();
        }
      },
      onEpochEnd: async (epoch, logs) => {
        accuracy = logs.acc;
        loss = logs.loss;
        bar.update(epoch + 1, logs.loss.toFixed(4));
        if ((epoch + 1) % every === 0 || epoch === 0) {
          const lr = scheduler === null ? '' : `  lr ${lrs.at(-1).toExponential(2)}`;
          bar.log(`${name.padEnd(22)} epoch ${String(epoch + 1).padStart(3)}  loss ${logs.loss.toFixed(4)}  accuracy ${(100 * logs.acc).toFixed(1)}%${lr}`);
        }
      },
    },
  });
  bar.stop();
  const ms = performance.now() - start;
  model.dispose();
  return { losses, lrs, loss, accuracy, msPerEpoch: ms / options.epochs };
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}\n\n${usage}\n`);
    process.exit(2);
  }
  if (options.help) {
    console.log(usage);
    return;
  }
  tf.env().set('PROD', true); // silences tfjs's "install tfjs-node" banner
  if (options.backend === 'wasm') {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  }
  await tf.setBackend(options.backend);
  await init();

  // The spiral's points come class by class: put them in a seeded order once, so that every batch
  // mixes the classes and both runs see the same batches (fit's own shuffling is off).
  const random = mulberry32(options.seed);
  const spiral = makeSpiral(random);
  const order = Array.from({ length: spiral.count }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const x = Float32Array.from(order.flatMap((i) => [spiral.x[2 * i], spiral.x[2 * i + 1]]));
  const labels = Int32Array.from(order, (i) => spiral.y[i]);
  const data = { xs: tf.tensor2d(x, [spiral.count, 2]), ys: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), 'float32') };
  const { steps, warmup, lr } = options;
  console.log(
    `lucid-optim/tfjs AdamW (lr ${lr}, weight decay 0.01, warm-up ${warmup} + cosine over ${steps} batches) vs tf.train.adam (lr ${lr}, eps 1e-8): ` +
      `tfjs-layers MLP, 300 spiral points in 3 classes, ${options.epochs} epochs of batch ${options.batch}, ${options.backend} backend, seed ${options.seed}`,
  );
  const opt = adamW({ lr, weightDecay: 0.01 });
  // Built before the first step, on the lucid-optim AdamW underneath: it governs every variable.
  const scheduler = makeScheduler(opt.optimizer, { schedule: 'cosine', warmup, steps });
  console.log(`lr schedule: ${scheduleRecipe({ schedule: 'cosine', warmup, steps, lr })} on opt.optimizer, stepped after each batch`);
  const ours = await train(options, data, opt, 'lucid-optim/tfjs AdamW', scheduler);
  const reference = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  const theirs = await train(options, data, reference, 'tf.train.adam', null);
  const summary = (name, run) => `${name.padEnd(22)} last epoch: loss ${run.loss.toFixed(4)}  accuracy ${(100 * run.accuracy).toFixed(1)}%  ${run.msPerEpoch.toFixed(1)} ms per epoch`;
  console.log(summary('lucid-optim/tfjs AdamW', ours));
  console.log(summary('tf.train.adam', theirs));

  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(
    options.out,
    lossCurveSvg(ours.losses, {
      title: 'tfjs-layers spiral MLP, loss per batch',
      subtitle: `lucid-optim/tfjs AdamW lr ${lr} (warm-up ${warmup} + cosine, weight decay 0.01) vs tf.train.adam lr ${lr}; ${options.backend}, seed ${options.seed}`,
      label: 'lucid-optim/tfjs AdamW',
      compare: { label: 'tf.train.adam', losses: theirs.losses },
      lrs: ours.lrs,
    }),
  );
  console.log(`loss curves: ${options.out}`);
  opt.dispose();
  reference.dispose();
}

await main();
