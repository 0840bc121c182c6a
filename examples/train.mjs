#!/usr/bin/env node
// Trains a small neural network with any of lucid-optim's optimizers: a 2-layer perceptron
// (examples/model.mjs) learns to tell apart the three arms of a seeded 2-D spiral. Prints the loss
// as it falls, the speed at the end, and writes the loss curve to an SVG file. Optionally with the
// usual training recipe: a learning-rate schedule with warm-up (examples/schedule.mjs) and
// gradient-norm clipping, as a PyTorch script would do it.
//
//   npm run demo                              (builds lucid-optim first)
//   node examples/train.mjs --steps 5000 --lr 0.003 --amsgrad --seed 7
//   node examples/train.mjs --optimizer adamw --schedule cosine --warmup 100 --clip 1
//   node examples/train.mjs --optimizer sgd --momentum 0.9 --nesterov
//   node examples/train.mjs --optimizer rmsprop --centered
//   node examples/train.mjs --help

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { clipGradNorm, init } from 'lucid-optim';
import { mulberry32 } from '../reference/rng.mjs';
import { flagReaders } from './flags.mjs';
import { MLP, makeSpiral } from './model.mjs';
import { OPTIMIZERS, optionsOf } from './optimizers.mjs';
import { LINEAR_END_FACTOR, SCHEDULES, WARMUP_START_FACTOR, describeSchedule, makeScheduler, scheduleRecipe, warmupProblem } from './schedule.mjs';
import { lossCurveSvg } from './svg-chart.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const usage = `Usage: node examples/train.mjs [options]

Trains a 2-layer perceptron (2 → 64 tanh → 3) on a seeded 3-arm spiral with one of lucid-optim's
optimizers (Adam by default), full batch, and writes the loss curve to an SVG file (with the
learning rate under it when a schedule is on).

Options:
  --steps <n>          optimizer steps (default 3000)
  --lr <x>             learning rate; the peak of the schedule if there is one (default: the
                       optimizer's line below)
  --optimizer <name>   adam (default; lr 0.01), adamw (decoupled weight decay; lr 0.01), sgd (lr
                       0.1), rmsprop (lr 0.002), adagrad (lr 0.1), adadelta (lr 1), adamax (lr 0.02),
                       nadam (lr 0.01), radam (lr 0.01), asgd (lr 0.2) or rprop (lr 0.01): the
                       torch.optim class of that name, its other options at torch's defaults
  --weight-decay <x>   weight decay >= 0 (default: torch's, 0.01 for adamw and 0 for the others; L2
                       added to the gradient, or for adamw a shrink of the weights by lr × x; not rprop)
  --amsgrad            use the AMSGrad variant (adam, adamw)
  --momentum <x>       momentum factor >= 0 (sgd, rmsprop; default 0, torch's)
  --dampening <x>      dampening of the momentum (sgd; default 0)
  --nesterov           Nesterov momentum (sgd; needs --momentum > 0 and no dampening)
  --centered           normalize by the gradient's variance (rmsprop)
  --schedule <name>    the learning-rate schedule, stepped once after every optimizer step:
                         none      constant lr (default)
                         cosine    CosineAnnealingLR from lr to 0, tMax = steps - warmup
                         linear    LinearLR from lr to ${LINEAR_END_FACTOR} × lr over steps - warmup
                         onecycle  OneCycleLR(maxLr = lr, totalSteps = steps): up from lr/25 over
                                   the first 30% of steps, then down to lr/25e4; it also cycles
                                   beta1 (sgd, rmsprop: the momentum) between 0.95 and 0.85, where
                                   the optimizer has one. Has its own warm-up (no --warmup)
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
      centered: { type: 'boolean', default: false },
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
  const optimizer = choice('optimizer', Object.keys(OPTIMIZERS));
  // The options the class has (torch's defaults): each flag of another optimizer is refused, not ignored.
  const defaults = optionsOf(OPTIMIZERS[optimizer].Class);
  for (const [flag, given, option] of [
    ['amsgrad', values.amsgrad, 'amsgrad'],
    ['momentum', values.momentum !== undefined, 'momentum'],
    ['dampening', values.dampening !== undefined, 'dampening'],
    ['nesterov', values.nesterov, 'nesterov'],
    ['centered', values.centered, 'centered'],
    ['weight-decay', values['weight-decay'] !== undefined, 'weightDecay'],
  ]) {
    if (given && !(option in defaults)) throw new Error(`--${flag} is not an option of --optimizer ${optimizer}`);
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
    lr: values.lr === undefined ? OPTIMIZERS[optimizer].lr : number('lr', (x) => Number.isFinite(x) && x > 0, 'a number > 0'),
    optimizer,
    weightDecay: values['weight-decay'] === undefined ? (defaults.weightDecay ?? 0) : number('weight-decay', (x) => Number.isFinite(x) && x >= 0, 'a number >= 0'),
    // The class's own options, as given (the rest at torch's defaults).
    classOptions: Object.fromEntries(
      Object.entries({ amsgrad: values.amsgrad, momentum, dampening, nesterov: values.nesterov, centered: values.centered }).filter(([key]) => key in defaults),
    ),
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
  await init(); // first: the options an optimizer has come from its spec, in WebAssembly
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
  const { steps, lr, optimizer: optimizerName, weightDecay, classOptions, schedule, warmup, clip, seed, out } = options;
  const { amsgrad, momentum = 0, dampening = 0, nesterov, centered } = classOptions;

  const random = mulberry32(seed);
  const data = makeSpiral(random);
  const model = new MLP({ hidden: 64, random });
  const { Class, name } = OPTIMIZERS[optimizerName];
  const optimizer = new Class(model.params, { lr, ...classOptions, ...(weightDecay > 0 ? { weightDecay } : {}) });
  const scheduler = makeScheduler(optimizer, { schedule, warmup, steps });
  // The optimizer's own settings first; then the recipe's, if any.
  const momentumSettings = `${momentum > 0 ? `, momentum ${momentum}` : ''}${dampening !== 0 ? `, dampening ${dampening}` : ''}${nesterov ? ', nesterov' : ''}`;
  const basics = `lr ${lr}${amsgrad ? ', amsgrad' : ''}${momentumSettings}${centered ? ', centered' : ''}`;
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
