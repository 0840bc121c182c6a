#!/usr/bin/env node
// Trains a small neural network with lucid-optim's Adam, AdamW or SGD: a 2-layer perceptron
// (examples/model.mjs) learns to tell apart the three arms of a seeded 2-D spiral. Prints the loss
// as it falls, the speed at the end, and writes the loss curve to an SVG file. Optionally with the
// usual training recipe: a learning-rate schedule with warm-up (examples/schedule.mjs) and
// gradient-norm clipping, as a PyTorch script would do it.
//
//   npm run demo                              (builds lucid-optim first)
//   node examples/train.mjs --steps 5000 --lr 0.003 --amsgrad --seed 7
//   node examples/train.mjs --optimizer adamw --schedule cosine --warmup 100 --clip 1
//   node examples/train.mjs --optimizer sgd --momentum 0.9 --nesterov
//   node examples/train.mjs --help

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { Adam, AdamW, SGD, clipGradNorm, init } from 'lucid-optim';
import { mulberry32 } from '../reference/rng.mjs';
import { flagReaders } from './flags.mjs';
import { MLP, makeSpiral } from './model.mjs';
import { LINEAR_END_FACTOR, SCHEDULES, WARMUP_START_FACTOR, describeSchedule, makeScheduler, scheduleRecipe, warmupProblem } from './schedule.mjs';
import { lossCurveSvg } from './svg-chart.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const usage = `Usage: node examples/train.mjs [options]

Trains a 2-layer perceptron (2 → 64 tanh → 3) on a seeded 3-arm spiral with lucid-optim's Adam
(or AdamW, or SGD), full batch, and writes the loss curve to an SVG file (with the learning rate
under it when a schedule is on).

Options:
  --steps <n>          optimizer steps (default 3000)
  --lr <x>             learning rate; the peak of the schedule if there is one (default 0.01;
                       0.1 for sgd)
  --optimizer <name>   adam (default), adamw (torch.optim.AdamW: decoupled weight decay) or
                       sgd (torch.optim.SGD)
  --weight-decay <x>   weight decay >= 0 (default: 0 for adam and sgd, where it is L2 added to the
                       gradient; 0.01 for adamw, where it shrinks the weights by lr × x each step)
  --amsgrad            use the AMSGrad variant (adam, adamw)
  --momentum <x>       momentum factor >= 0 (sgd; default 0, torch's)
  --dampening <x>      dampening of the momentum (sgd; default 0)
  --nesterov           Nesterov momentum (sgd; needs --momentum > 0 and no dampening)
  --schedule <name>    the learning-rate schedule, stepped once after every optimizer step:
                         none      constant lr (default)
                         cosine    CosineAnnealingLR from lr to 0, tMax = steps - warmup
                         linear    LinearLR from lr to ${LINEAR_END_FACTOR} × lr over steps - warmup
                         onecycle  OneCycleLR(maxLr = lr, totalSteps = steps): up from lr/25 over
                                   the first 30% of steps, then down to lr/25e4; it also cycles
                                   beta1 (sgd: the momentum) between 0.95 and 0.85. Has its own
                                   warm-up (no --warmup)
  --warmup <n>         steps of linear warm-up before the schedule, from ${WARMUP_START_FACTOR} × lr to lr
                       (LinearLR, then the schedule via SequentialLR with milestones [n]);
                       with --schedule none, warm-up then constant (default 0, less than --steps)
  --clip <maxnorm>     clip the gradients' global 2-norm to maxnorm > 0 before each step
                       (clipGradNorm, torch.nn.utils.clip_grad_norm_); each progress line then
                       shows the norm before clipping and how many steps since the previous
                       line were clipped (default: no clipping)
  --seed <n>           seed for the data and the initial weights (default 1)
  --out <file>         where to write the loss curve (default examples/out/loss.svg)
  -h, --help           show this help

The progress lines show the lr each step used when a schedule or a warm-up is on.`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      steps: { type: 'string', default: '3000' },
      lr: { type: 'string' },
      optimizer: { type: 'string', default: 'adam' },
      'weight-decay': { type: 'string' },
      amsgrad: { type: 'boolean', default: false },
      momentum: { type: 'string' },
      dampening: { type: 'string' },
      nesterov: { type: 'boolean', default: false },
      schedule: { type: 'string', default: 'none' },
      warmup: { type: 'string', default: '0' },
      clip: { type: 'string' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: resolve(here, 'out/loss.svg') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const { refuse, number, choice } = flagReaders(values);
  const steps = number('steps', (x) => Number.isSafeInteger(x) && x >= 1, 'an integer >= 1');
  const optimizer = choice('optimizer', ['adam', 'adamw', 'sgd']);
  const sgd = optimizer === 'sgd';
  // Each flag of one optimizer refused with another, rather than ignored.
  for (const [flag, given, ok] of [
    ['amsgrad', values.amsgrad, !sgd],
    ['momentum', values.momentum !== undefined, sgd],
    ['dampening', values.dampening !== undefined, sgd],
    ['nesterov', values.nesterov, sgd],
  ]) {
    if (given && !ok) throw new Error(`--${flag} is not an option of --optimizer ${optimizer}`);
  }
  const momentum = values.momentum === undefined ? 0 : number('momentum', (x) => Number.isFinite(x) && x >= 0, 'a number >= 0');
  const dampening = values.dampening === undefined ? 0 : number('dampening', (x) => Number.isFinite(x), 'a finite number');
  if (values.nesterov && !(momentum > 0 && dampening === 0)) {
    throw new Error(`--nesterov needs --momentum > 0 and --dampening 0 (torch: "Nesterov momentum requires a momentum and zero dampening"), got --momentum ${momentum} --dampening ${dampening}`);
  }
  const schedule = choice('schedule', SCHEDULES);
  const warmup = number('warmup', (x) => Number.isSafeInteger(x) && x >= 0, 'an integer >= 0');
  const problem = warmupProblem({ schedule, warmup, steps }, `--steps (${steps})`);
  if (problem !== undefined) throw refuse('warmup', problem);
  return {
    help: values.help,
    steps,
    lr: values.lr === undefined ? (sgd ? 0.1 : 0.01) : number('lr', (x) => Number.isFinite(x) && x > 0, 'a number > 0'),
    optimizer,
    weightDecay: values['weight-decay'] === undefined ? (optimizer === 'adamw' ? 0.01 : 0) : number('weight-decay', (x) => Number.isFinite(x) && x >= 0, 'a number >= 0'),
    amsgrad: values.amsgrad,
    momentum,
    dampening,
    nesterov: values.nesterov,
    schedule,
    warmup,
    clip: values.clip === undefined ? undefined : number('clip', (x) => Number.isFinite(x) && x > 0, 'a number > 0'),
    seed: number('seed', (x) => Number.isSafeInteger(x) && x >= 0, 'an integer >= 0'),
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
  const { steps, lr, optimizer: optimizerName, weightDecay, amsgrad, momentum, dampening, nesterov, schedule, warmup, clip, seed, out } = options;

  await init();
  const random = mulberry32(seed);
  const data = makeSpiral(random);
  const model = new MLP({ hidden: 64, random });
  const optimizer =
    optimizerName === 'sgd'
      ? new SGD(model.params, { lr, momentum, dampening, nesterov, weightDecay })
      : new (optimizerName === 'adamw' ? AdamW : Adam)(model.params, { lr, weightDecay, amsgrad });
  const scheduler = makeScheduler(optimizer, { schedule, warmup, steps });
  const name = { adam: 'Adam', adamw: 'AdamW', sgd: 'SGD' }[optimizerName];
  // The optimizer's own settings first; then the recipe's, if any.
  const sgdSettings = `${momentum > 0 ? `, momentum ${momentum}` : ''}${dampening !== 0 ? `, dampening ${dampening}` : ''}${nesterov ? ', nesterov' : ''}`;
  const basics = `lr ${lr}${amsgrad ? ', amsgrad' : ''}${sgdSettings}`;
  const recipe = [
    ...(weightDecay > 0 ? [`weight decay ${weightDecay}`] : []),
    ...(scheduler ? [describeSchedule({ schedule, warmup, steps })] : []),
    ...(clip !== undefined ? [`clip ${clip}`] : []),
  ];
  console.log(
    `lucid-optim ${name} (${[basics, ...recipe].join(', ')}): ${model.size} weights, ` +
      `${data.count} spiral points in ${data.classes} classes, ${steps} full-batch steps, seed ${seed}`,
  );
  if (scheduler) console.log(`lr schedule: ${scheduleRecipe({ schedule, warmup, steps, lr })}, stepped after each ${name}.step()`);
  if (clip !== undefined) console.log(`gradient clipping: clipGradNorm(params, ${clip}) before each ${name}.step()`);

  const losses = new Float64Array(steps);
  const lrs = new Float64Array(steps); // the lr each step used
  const bar = progress(steps);
  const every = Math.max(1, Math.round(steps / 10));
  let first;
  let last;
  let stepTime = 0;
  let clipTime = 0;
  let schedulerTime = 0;
  let norm = NaN; // the gradient norm before clipping, of the last step
  let clipped = 0; // steps clipped, in all
  let clippedBefore = 0; // ... at the previous progress line
  let lineBefore = 0; // the step of the previous progress line
  const start = performance.now();
  for (let step = 1; step <= steps; step++) {
    const result = model.lossAndGrad(data); // writes every param.grad
    if (clip !== undefined) {
      const t = performance.now();
      norm = clipGradNorm(model.params, clip);
      clipTime += performance.now() - t;
      // clip_grad_norm_ scales by min(maxNorm / (norm + 1e-6), 1): clipped when that is < 1.
      if (clip / (norm + 1e-6) < 1) clipped++;
    }
    lrs[step - 1] = optimizer.paramGroups[0].lr;
    const t = performance.now();
    optimizer.step();
    stepTime += performance.now() - t;
    if (scheduler) {
      const t = performance.now();
      scheduler.step();
      schedulerTime += performance.now() - t;
    }
    losses[step - 1] = result.loss;
    first ??= result;
    last = result;
    if (step % 25 === 0 || step === steps) {
      const rate = Math.round(step / ((performance.now() - start) / 1000));
      bar.update(step, { loss: result.loss.toFixed(4), rate });
    }
    if (step === 1 || step % every === 0) {
      let line = `step ${String(step).padStart(String(steps).length)}  loss ${result.loss.toFixed(4)}  accuracy ${(100 * result.accuracy).toFixed(1)}%`;
      if (scheduler) line += `  lr ${lrs[step - 1].toExponential(2)}`;
      if (clip !== undefined) {
        line += `  grad norm ${norm.toPrecision(3)} (clipped ${clipped - clippedBefore} of ${step - lineBefore} steps)`;
        clippedBefore = clipped;
        lineBefore = step;
      }
      bar.log(line);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  bar.stop();

  mkdirSync(dirname(out), { recursive: true });
  const title = `Spiral MLP, lucid-optim ${name} (${basics}, seed ${seed})`;
  const chart = { title, ...(recipe.length > 0 ? { subtitle: recipe.join(' · ') } : {}), ...(scheduler ? { lrs } : {}) };
  writeFileSync(out, lossCurveSvg(losses, chart));
  console.log(
    `loss ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)}, accuracy ${(100 * first.accuracy).toFixed(1)}% → ` +
      `${(100 * last.accuracy).toFixed(1)}%`,
  );
  if (clip !== undefined) console.log(`clipGradNorm clipped ${clipped} of ${steps} steps (${((100 * clipped) / steps).toFixed(1)}%) to norm ${clip}`);
  const perStep = (ms) => ((1000 * ms) / steps).toFixed(1);
  const parts = [
    `${name}.step ${perStep(stepTime)} µs`,
    ...(clip !== undefined ? [`clipGradNorm ${perStep(clipTime)} µs`] : []),
    ...(scheduler ? [`${scheduler.constructor.name}.step ${perStep(schedulerTime)} µs`] : []),
  ].join(' + ');
  console.log(
    `${steps} steps in ${seconds.toFixed(2)} s: ${Math.round(steps / seconds)} steps/s ` +
      `(${parts} of ${((1e6 * seconds) / steps).toFixed(0)} µs per step; ` +
      `the rest is the hand-written forward/backward pass)`,
  );
  console.log(`${scheduler ? 'loss and lr curves' : 'loss curve'}: ${out}`);
  optimizer.dispose();
  model.dispose();
}

await main();
