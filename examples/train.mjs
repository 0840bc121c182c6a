#!/usr/bin/env node
// Trains a small neural network with lucid-optim's Adam: a 2-layer perceptron (examples/model.mjs)
// learns to tell apart the three arms of a seeded 2-D spiral. Prints the loss as it falls, the
// speed at the end, and writes the loss curve to an SVG file.
//
//   npm run demo                              (builds lucid-optim first)
//   node examples/train.mjs --steps 5000 --lr 0.003 --amsgrad --seed 7
//   node examples/train.mjs --help

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { Adam, init } from 'lucid-optim';
import { mulberry32 } from '../reference/rng.mjs';
import { MLP, makeSpiral } from './model.mjs';
import { lossCurveSvg } from './svg-chart.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const usage = `Usage: node examples/train.mjs [options]

Trains a 2-layer perceptron (2 → 64 tanh → 3) on a seeded 3-arm spiral with lucid-optim's Adam,
full batch, and writes the loss curve to an SVG file.

Options:
  --steps <n>     optimizer steps (default 3000)
  --lr <x>        learning rate (default 0.01)
  --amsgrad       use the AMSGrad variant
  --seed <n>      seed for the data and the initial weights (default 1)
  --out <file>    where to write the loss curve (default examples/out/loss.svg)
  -h, --help      show this help`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      steps: { type: 'string', default: '3000' },
      lr: { type: 'string', default: '0.01' },
      amsgrad: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: resolve(here, 'out/loss.svg') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const number = (flag, ok, rule) => {
    const x = Number(values[flag]);
    if (values[flag].trim() === '' || !ok(x)) throw new Error(`--${flag} must be ${rule}, got ${JSON.stringify(values[flag])}`);
    return x;
  };
  return {
    help: values.help,
    steps: number('steps', (x) => Number.isSafeInteger(x) && x >= 1, 'an integer >= 1'),
    lr: number('lr', (x) => Number.isFinite(x) && x > 0, 'a number > 0'),
    seed: number('seed', (x) => Number.isSafeInteger(x) && x >= 0, 'an integer >= 0'),
    amsgrad: values.amsgrad,
    out: resolve(values.out),
  };
}

/** A progress bar on a terminal; plain lines when the output is a pipe or a file. */
function progress(total) {
  if (!process.stdout.isTTY) {
    return { update() {}, log: (line) => console.log(line), stop() {} };
  }
  const bars = new cliProgress.MultiBar(
    {
      format: ' {bar} {percentage}% | step {value}/{total} | loss {loss} | {rate} steps/s',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(total, 0, { loss: '-', rate: '-' });
  return {
    update: (step, payload) => bar.update(step, payload),
    log: (line) => bars.log(`${line}\n`),
    stop: () => bars.stop(),
  };
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${error.message}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    console.log(usage);
    return;
  }
  const { steps, lr, amsgrad, seed, out } = options;

  await init();
  const random = mulberry32(seed);
  const data = makeSpiral(random);
  const model = new MLP({ hidden: 64, random });
  const optimizer = new Adam(model.params, { lr, amsgrad });
  console.log(
    `lucid-optim Adam (lr ${lr}${amsgrad ? ', amsgrad' : ''}): ${model.size} weights, ` +
      `${data.count} spiral points in ${data.classes} classes, ${steps} full-batch steps, seed ${seed}`,
  );

  const losses = new Float64Array(steps);
  const bar = progress(steps);
  const every = Math.max(1, Math.round(steps / 10));
  let first;
  let last;
  let adamTime = 0;
  const start = performance.now();
  for (let step = 1; step <= steps; step++) {
    const result = model.lossAndGrad(data); // writes every param.grad
    const t = performance.now();
    optimizer.step();
    adamTime += performance.now() - t;
    losses[step - 1] = result.loss;
    first ??= result;
    last = result;
    if (step % 25 === 0 || step === steps) {
      const rate = Math.round(step / ((performance.now() - start) / 1000));
      bar.update(step, { loss: result.loss.toFixed(4), rate });
    }
    if (step === 1 || step % every === 0) {
      bar.log(`step ${String(step).padStart(String(steps).length)}  loss ${result.loss.toFixed(4)}  accuracy ${(100 * result.accuracy).toFixed(1)}%`);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  bar.stop();

  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, lossCurveSvg(losses, { title: `Spiral MLP, lucid-optim Adam (lr ${lr}${amsgrad ? ', amsgrad' : ''}, seed ${seed})` }));
  console.log(
    `loss ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)}, accuracy ${(100 * first.accuracy).toFixed(1)}% → ` +
      `${(100 * last.accuracy).toFixed(1)}%`,
  );
  console.log(
    `${steps} steps in ${seconds.toFixed(2)} s: ${Math.round(steps / seconds)} steps/s ` +
      `(Adam.step ${((1000 * adamTime) / steps).toFixed(1)} µs of ${((1e6 * seconds) / steps).toFixed(0)} µs per step; ` +
      `the rest is the hand-written forward/backward pass)`,
  );
  console.log(`loss curve: ${out}`);
  optimizer.dispose();
  model.dispose();
}

await main();
