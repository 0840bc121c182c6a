// The demo page: trains the MLP of examples/model.mjs with any of lucid-optim's optimizers, live,
// drawing the decision regions, the loss curve and the learning rate as it learns. Change the
// optimizer's options while it runs, pick a learning-rate schedule with warm-up
// (examples/schedule.mjs) and clip the gradient norm; save the optimizer state (with the weights
// and the scheduler's state) to a JSON file or to a PyTorch .pt file (torch.save's format:
// opt.stateDict({ format: 'torch' }) and the weights as tensors, through saveTorch), and load either
// back (a bare optimizer.state_dict() that torch saved loads too).
//
// Query parameters: ?seed=<n> picks the spiral and the initial weights (default 1);
// ?pauseAt=<step> pauses training whenever it reaches that step (0: start paused; the tests use it).

import { clipGradNorm, init, loadTorch, namedTensors, saveTorch, threadCount } from 'lucid-optim';
import uPlot from 'uplot';
import { mulberry32 } from '../../reference/rng.mjs'; // served at /reference/rng.mjs by serve.mjs
import { MLP, makeSpiral } from '../model.mjs'; // served at /model.mjs by serve.mjs
import { OPTIMIZERS as ALL_OPTIMIZERS, optionsOf } from '../optimizers.mjs'; // served at /optimizers.mjs
import { SCHEDULES, describeSchedule, makeScheduler, warmupProblem } from '../schedule.mjs'; // served at /schedule.mjs

const $ = (id) => document.getElementById(id);
const CLASS_RGB = [
  [37, 99, 235],
  [234, 88, 12],
  [22, 163, 74],
];
const GRID = 88; // decision regions are evaluated on GRID × GRID points, then smoothly scaled up
const EXTENT = 1.15; // the canvas shows [-EXTENT, EXTENT]²
const MAX_CHART_POINTS = 3000;
const CLIP_WINDOW = 100; // the clipped share shown is over this many latest steps
/** The menu's optimizers by torch's name: `{ name, Class, lr }` (lr: the demos' starting lr). */
const OPTIMIZERS = Object.fromEntries(Object.values(ALL_OPTIMIZERS).map((o) => [o.name, o]));
/** Each optimizer's options and torch's defaults (read once init() has run). */
const DEFAULTS = {};
/** Keys schedulers write into a param group (torch's initial_lr, OneCycleLR's max_lr, ...). */
const SCHEDULER_KEYS = ['initialLr', 'maxLr', 'minLr', 'maxMomentum', 'baseMomentum'];
const query = new URLSearchParams(location.search);
const pauseAt = positiveInteger(query.get('pauseAt'), 0) ?? Infinity;
// ?threads=2 (or 'auto'): the shared-memory .wasm and worker threads; serve.mjs makes the page
// cross-origin isolated, which they need. This model is small, so its steps stay on one thread.
const threads = query.get('threads') === 'auto' ? 'auto' : (positiveInteger(query.get('threads')) ?? 1);

let seed = positiveInteger(query.get('seed'), 0) ?? 1;
let data;
let model;
let optimizer;
let optimizerName = 'Adam';
/** The schedule running: its recipe, scheduler (null for a constant lr) and the step it started at. */
let schedule = { name: 'none', warmup: 0, length: 2000, scheduler: null, start: 0 };
let clip = Infinity; // the max gradient norm (Infinity: no clipping; the norm is still measured)
let step = 0;
let firstLoss;
let last; // { loss, accuracy } of the latest forward pass
let gradNorm; // the gradients' norm before clipping, at the latest step
let running = true;
let dirty = true;
const history = { steps: [], losses: [], lrs: [], stride: 1 };
const rate = { samples: [], value: undefined };
const adamTime = { total: 0, steps: 0 };
/** Which of the latest CLIP_WINDOW steps were clipped (a ring), how many of them were, and in all. */
const clipped = { window: new Uint8Array(CLIP_WINDOW), count: 0, steps: 0, total: 0 };

function positiveInteger(text, min = 1) {
  const n = Number(text);
  return text !== null && Number.isSafeInteger(n) && n >= min ? n : undefined;
}

// --- the optimizer's options <-> the controls ------------------------------------------------

const sig = (x, digits) => Number(x.toPrecision(digits));
const controls = {
  lr: { toValue: (v) => sig(10 ** v, 3), toSlider: (x) => Math.log10(x) },
  beta1: { toValue: (v) => sig(1 - 10 ** -v, 4), toSlider: (x) => -Math.log10(1 - x) },
  beta2: { toValue: (v) => sig(1 - 10 ** -v, 5), toSlider: (x) => -Math.log10(1 - x) },
  wd: { toValue: (v) => (v <= -6 ? 0 : sig(10 ** v, 2)), toSlider: (x) => (x > 0 ? Math.log10(x) : -6) },
  // The right end of the slider is "off" (an infinite max norm).
  clip: { toValue: (v) => (v >= 1 ? Infinity : sig(10 ** v, 2)), toSlider: (x) => (Number.isFinite(x) ? Math.log10(x) : 1) },
};

/**
 * The options of optimizer `name` as the controls set them: only the ones it has. The β₁ slider is
 * Adam's `betas[0]`, or the momentum of an optimizer that has one (SGD, RMSprop).
 */
function readOptions(name = optimizerName) {
  const value = (id) => controls[id].toValue(Number($(id).value));
  const has = DEFAULTS[name];
  const options = { lr: value('lr') };
  if ('betas' in has) options.betas = [value('beta1'), value('beta2')];
  if ('momentum' in has) options.momentum = value('beta1');
  if ('weightDecay' in has) options.weightDecay = value('wd');
  if ('amsgrad' in has) options.amsgrad = $('amsgrad').checked;
  return options;
}

/** A group's β₁, or its momentum. */
const beta1Of = (group) => (Array.isArray(group.betas) ? group.betas[0] : group.momentum);

/**
 * Shows a group's options in the controls (sliders snap; the readouts show the exact values), and
 * disables the controls of options the optimizer does not have.
 */
function showOptions(options, name = optimizerName) {
  const { lr, betas, momentum, weightDecay, amsgrad } = options;
  const set = (id, x, text) => {
    $(id).disabled = x === undefined;
    $(id).closest('label').classList.toggle('unused', x === undefined);
    if (x === undefined) {
      $(`${id}-value`).textContent = 'n/a';
      return;
    }
    $(id).value = String(controls[id].toSlider(x));
    $(`${id}-value`).textContent = text;
  };
  set('lr', lr, String(lr));
  const beta1 = betas?.[0] ?? momentum;
  set('beta1', beta1, String(beta1));
  set('beta2', betas?.[1], String(betas?.[1]));
  set('wd', weightDecay, weightDecay === 0 ? 'off' : String(weightDecay));
  $('beta1-name').textContent = momentum !== undefined ? 'momentum' : 'β₁';
  $('amsgrad').disabled = amsgrad === undefined;
  $('amsgrad').closest('label').classList.toggle('unused', amsgrad === undefined);
  $('amsgrad').checked = amsgrad === true;
  $('optimizer').value = name;
}

function showClip(maxNorm) {
  $('clip').value = String(controls.clip.toSlider(maxNorm));
  $('clip-value').textContent = Number.isFinite(maxNorm) ? `≤ ${maxNorm}` : 'off';
}

/** The schedule the controls ask for (warm-up 0 for one-cycle, which has its own). */
function readRecipe() {
  const name = $('schedule').value;
  return { name, warmup: name === 'onecycle' ? 0 : Number($('warmup').value), length: Number($('length').value) };
}

/** Shows a recipe in the controls, and enables the ones it uses. */
function showRecipe({ name, warmup, length }) {
  $('optimizer').value = optimizerName;
  $('schedule').value = name;
  if (name !== 'onecycle') $('warmup').value = String(warmup); // one-cycle's is 0; the field keeps yours for later
  $('length').value = String(length);
  $('warmup').disabled = name === 'onecycle';
  $('warmup').title = name === 'onecycle' ? 'OneCycleLR warms up on its own, over its first 30% of steps' : '';
  $('length').disabled = name === 'none';
  // OneCycleLR writes β₁ (or the momentum) at every step: the slider shows it, and is not yours to
  // move meanwhile.
  const beta1 = beta1Of(optimizer.paramGroups[0]);
  $('beta1').disabled = beta1 === undefined || isOneCycle();
  $('step-time-label').textContent = `${optimizerName} step`;
}

const isOneCycle = () => schedule.scheduler !== null && schedule.name === 'onecycle';

/** A recipe's problem ("field must be …, got …"), or undefined. */
function recipeProblem({ name, warmup, length }) {
  if (!SCHEDULES.includes(name)) return `schedule must be one of ${SCHEDULES.join(', ')}, got ${JSON.stringify(name)}`;
  if (!Number.isSafeInteger(warmup) || warmup < 0) return `warm-up must be an integer >= 0, got ${JSON.stringify(warmup)}`;
  if (!Number.isSafeInteger(length) || length < 1) return `the schedule's length must be an integer >= 1, got ${JSON.stringify(length)}`;
  const problem = warmupProblem({ schedule: name, warmup, steps: length });
  return problem === undefined ? undefined : `warm-up must be ${problem}, got ${warmup}`;
}

$('options').addEventListener('input', () => {
  const options = readOptions();
  showOptions(options);
  // Hyperparameters are read from paramGroups at every step, as in PyTorch. A scheduler owns lr
  // (the slider sets its peak: the schedule starts again when you let go), and OneCycleLR β₁.
  const group = optimizer.paramGroups[0];
  if (schedule.scheduler !== null) {
    delete options.lr;
    if (isOneCycle() && options.betas !== undefined) options.betas = [group.betas[0], options.betas[1]];
    if (isOneCycle() && options.momentum !== undefined) options.momentum = group.momentum;
  }
  Object.assign(group, options);
});

$('lr').addEventListener('change', () => {
  if (schedule.scheduler !== null) restartSchedule(`lr ${readOptions().lr}`);
});

$('clip').addEventListener('input', () => {
  clip = controls.clip.toValue(Number($('clip').value));
  showClip(clip);
});

$('optimizer').addEventListener('change', () => {
  const name = $('optimizer').value;
  if (name === optimizerName) return;
  // Torch's defaults differ (Adam's weight decay is 0, L2 when set; AdamW's 0.01, decoupled; Adadelta's
  // lr is 1): the controls take the new optimizer's defaults, at the demos' lr for it.
  const defaults = { ...DEFAULTS[name], lr: OPTIMIZERS[name].lr };
  if ('momentum' in defaults) defaults.momentum = 0.9;
  showOptions(defaults, name);
  // A new optimizer over the same weights, with the options of the controls. Adam's and AdamW's
  // moments and step counts carry over (their state dicts load into each other, as in torch); any
  // other switch starts with no state, as a new torch optimizer does.
  const next = new OPTIMIZERS[name].Class(model.params, readOptions(name));
  const family = (n) => (n === 'Adam' || n === 'AdamW' ? 'Adam' : n);
  if (family(name) === family(optimizerName)) {
    try {
      next.loadStateDict({ state: optimizer.stateDict().state, paramGroups: next.stateDict().paramGroups });
    } catch (error) {
      next.dispose();
      showOptions(optimizer.paramGroups[0]);
      showRecipe(schedule);
      status(`Could not switch to ${name}: ${error.message}`, true);
      return;
    }
  }
  optimizer.dispose();
  optimizer = next;
  optimizerName = name;
  dropSchedule();
  restartSchedule(`${name}`);
});

for (const id of ['schedule', 'warmup', 'length']) $(id).addEventListener('change', () => restartSchedule('Schedule'));

/**
 * Starts the schedule the controls ask for at the current step: the group's lr (and β₁) go back to
 * the sliders' values and lose what an earlier scheduler wrote, then a new scheduler starts from
 * them. A recipe that cannot be is refused, leaving the running schedule as it is.
 */
function restartSchedule(what) {
  const recipe = readRecipe();
  const problem = recipeProblem(recipe);
  if (problem !== undefined) {
    status(`Schedule not changed: ${problem}.`, true);
    showRecipe(schedule);
    return;
  }
  const group = optimizer.paramGroups[0];
  for (const key of SCHEDULER_KEYS) delete group[key];
  const options = readOptions();
  group.lr = options.lr;
  if (options.betas !== undefined) group.betas = options.betas;
  if (options.momentum !== undefined) group.momentum = options.momentum;
  showOptions(options); // β₁'s readout may still show what OneCycleLR had made of it
  schedule = { ...recipe, scheduler: makeScheduler(optimizer, { schedule: recipe.name, warmup: recipe.warmup, steps: recipe.length }), start: step };
  showRecipe(schedule);
  if (what !== undefined) {
    const described = schedule.scheduler === null ? 'constant lr' : describeSchedule({ schedule: recipe.name, warmup: recipe.warmup, steps: recipe.length });
    status(`${what}: ${described}, from step ${step}.${running ? '' : ' Paused.'}`);
  }
  dirty = true;
}

/**
 * Forgets the scheduler of an optimizer that is gone, so that a restart refused after a new
 * optimizer leaves a constant lr (what the controls then show), not a scheduler of the old one.
 */
function dropSchedule() {
  schedule = { name: 'none', warmup: 0, length: schedule.length, scheduler: null, start: step };
}

/** How far the schedule has gone, for the stats. */
function scheduleProgress() {
  if (schedule.scheduler === null) return 'off';
  const done = step - schedule.start;
  if (schedule.name === 'none') return done >= schedule.warmup ? 'warmed up' : `warm-up ${done} / ${schedule.warmup}`;
  return done >= schedule.length ? 'done' : `${done} / ${schedule.length}`;
}

const scheduleEnded = () => schedule.scheduler !== null && schedule.name !== 'none' && step - schedule.start >= schedule.length;

// --- training --------------------------------------------------------------------------------

function start() {
  optimizer?.dispose();
  model?.dispose();
  const random = mulberry32(seed);
  data = makeSpiral(random);
  model = new MLP({ hidden: 64, random });
  optimizerName = $('optimizer').value;
  optimizer = new OPTIMIZERS[optimizerName].Class(model.params, readOptions());
  step = 0;
  firstLoss = undefined;
  clearHistory();
  dropSchedule();
  restartSchedule();
  evaluate();
}

function clearHistory() {
  history.steps = [];
  history.losses = [];
  history.lrs = [];
  history.stride = 1;
  rate.samples = [];
  adamTime.total = 0;
  adamTime.steps = 0;
  clipped.window.fill(0);
  clipped.count = 0;
  clipped.steps = 0;
  clipped.total = 0;
  gradNorm = undefined;
}

/** Loss and accuracy of the current weights (also leaves their gradients in param.grad). */
function evaluate() {
  last = model.lossAndGrad(data);
  firstLoss ??= last.loss;
  record(step, last.loss, optimizer.paramGroups[0].lr);
  dirty = true;
}

function trainStep() {
  last = model.lossAndGrad(data); // writes every param.grad
  firstLoss ??= last.loss;
  const group = optimizer.paramGroups[0];
  record(step, last.loss, group.lr);
  // With clipping off, clipGradNorm(…, Infinity) only measures: the scale min(∞ / norm, 1) is 1.
  gradNorm = clipGradNorm(model.params, clip);
  const wasClipped = clip / (gradNorm + 1e-6) < 1 ? 1 : 0; // torch's test for scaling down
  const slot = clipped.steps % CLIP_WINDOW;
  clipped.count += wasClipped - clipped.window[slot];
  clipped.window[slot] = wasClipped;
  clipped.steps++;
  clipped.total += wasClipped;
  const t = performance.now();
  optimizer.step();
  adamTime.total += performance.now() - t;
  adamTime.steps++;
  // The scheduler steps after the optimizer, once per step, until its last step.
  if (schedule.scheduler !== null && !scheduleEnded()) schedule.scheduler.step();
  step++;
  dirty = true;
}

/**
 * Records the loss at a step and the lr of the step after it (a second record of the same step
 * replaces the first: the schedule may have started again in between). Keeps the chart's history
 * short: past MAX_CHART_POINTS, every other point goes.
 */
function record(atStep, loss, lr) {
  if (history.steps.at(-1) === atStep) {
    history.losses[history.losses.length - 1] = loss;
    history.lrs[history.lrs.length - 1] = lr;
    return;
  }
  if (atStep % history.stride !== 0) return;
  history.steps.push(atStep);
  history.losses.push(loss);
  history.lrs.push(lr);
  if (history.steps.length > MAX_CHART_POINTS) {
    history.stride *= 2;
    const keep = (_, i) => history.steps[i] % history.stride === 0;
    history.losses = history.losses.filter(keep);
    history.lrs = history.lrs.filter(keep);
    history.steps = history.steps.filter((s) => s % history.stride === 0);
  }
}

function setRunning(on) {
  running = on;
  $('run').textContent = on ? 'Pause' : 'Resume';
  document.body.dataset.state = on ? 'running' : 'paused';
  rate.samples = [];
  if (on) {
    status('Training…');
  } else {
    evaluate(); // while training, the loss shown is that of the weights one step back
    status(`Paused at step ${step}.`);
  }
}

function frame(now) {
  if (running) {
    const until = performance.now() + 12; // leave the rest of the frame to drawing
    do {
      const ended = scheduleEnded();
      trainStep();
      if (step === pauseAt) setRunning(false);
      if (!ended && scheduleEnded()) {
        setRunning(false);
        status(`Schedule done at step ${step}: lr is now ${sig(optimizer.paramGroups[0].lr, 4)}. Resume trains on at that lr; change the schedule to start another.`);
      }
    } while (running && performance.now() < until);
    rate.samples.push([now, step]);
    while (rate.samples.length > 2 && now - rate.samples[0][0] > 1000) rate.samples.shift();
    if (rate.samples.length > 1 && now - rate.samples[0][0] > 250) {
      const [t0, s0] = rate.samples[0];
      rate.value = ((step - s0) * 1000) / (now - t0);
    }
  }
  if (dirty && (!running || now - frame.lastDraw > 200)) {
    render();
    frame.lastDraw = now;
    dirty = false;
  }
  requestAnimationFrame(frame);
}
frame.lastDraw = 0;

// --- drawing ---------------------------------------------------------------------------------

const canvas = $('boundary');
const scale = window.devicePixelRatio || 1;
canvas.width = canvas.clientWidth * scale;
canvas.height = canvas.clientHeight * scale;
const context = canvas.getContext('2d');
const grid = document.createElement('canvas');
grid.width = grid.height = GRID;
const gridContext = grid.getContext('2d');
const gridImage = gridContext.createImageData(GRID, GRID);
const gridPoints = new Float64Array(GRID * GRID * 2);
for (let row = 0; row < GRID; row++) {
  for (let col = 0; col < GRID; col++) {
    const k = row * GRID + col;
    gridPoints[2 * k] = -EXTENT + ((col + 0.5) / GRID) * 2 * EXTENT;
    gridPoints[2 * k + 1] = EXTENT - ((row + 0.5) / GRID) * 2 * EXTENT;
  }
}
const gridProbabilities = new Float64Array(GRID * GRID * 3);

function drawBoundary() {
  model.predict(gridPoints, GRID * GRID, gridProbabilities);
  const pixels = gridImage.data;
  for (let k = 0; k < GRID * GRID; k++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let top = 0;
    for (let c = 0; c < 3; c++) {
      const p = gridProbabilities[3 * k + c];
      r += p * CLASS_RGB[c][0];
      g += p * CLASS_RGB[c][1];
      b += p * CLASS_RGB[c][2];
      top = Math.max(top, p);
    }
    // Pale where the model is unsure, deeper where it is confident.
    const strength = 0.12 + 0.28 * ((top - 1 / 3) * 1.5);
    pixels[4 * k] = 255 - (255 - r) * strength;
    pixels[4 * k + 1] = 255 - (255 - g) * strength;
    pixels[4 * k + 2] = 255 - (255 - b) * strength;
    pixels[4 * k + 3] = 255;
  }
  gridContext.putImageData(gridImage, 0, 0);
  const { width, height } = canvas;
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(grid, 0, 0, width, height);

  const toX = (x) => ((x + EXTENT) / (2 * EXTENT)) * width;
  const toY = (y) => ((EXTENT - y) / (2 * EXTENT)) * height;
  context.lineWidth = 1.25 * scale;
  context.strokeStyle = 'rgba(255, 255, 255, 0.95)';
  for (let n = 0; n < data.count; n++) {
    const [r, g, b] = CLASS_RGB[data.y[n]];
    context.fillStyle = `rgb(${r} ${g} ${b})`;
    context.beginPath();
    context.arc(toX(data.x[2 * n]), toY(data.x[2 * n + 1]), 3.6 * scale, 0, 2 * Math.PI);
    context.fill();
    context.stroke();
  }
}

/** 1, 2, 5 × 10^k values from below `min` to above `max`. */
function oneTwoFive(min, max) {
  if (!(min > 0 && max >= min && Number.isFinite(max))) return [0.01, 0.1, 1]; // no data yet
  const values = [];
  for (let k = Math.floor(Math.log10(min)) - 1; k <= Math.ceil(Math.log10(max)); k++) values.push(10 ** k, 2 * 10 ** k, 5 * 10 ** k);
  return values.map((v) => sig(v, 1));
}

const LOSS_CHART_HEIGHT = 210;
const LR_CHART_HEIGHT = 120;
const AXIS = { stroke: '#5b6675', grid: { stroke: '#eef1f5' }, ticks: { stroke: '#e3e8ef' } };
// The two charts share the step axis, and their cursors move together.
const cursor = { drag: { x: false, y: false }, sync: { key: 'training' } };

const chartBox = $('chart');
const chart = new uPlot(
  {
    width: chartBox.clientWidth,
    height: LOSS_CHART_HEIGHT,
    legend: { show: false },
    cursor,
    scales: {
      x: { time: false },
      y: {
        distr: 3,
        // From the 1-2-5 value below the lowest loss to the one above the highest.
        range: (_, min, max) => {
          const nice = oneTwoFive(min, max);
          return [nice.findLast((v) => v <= min) ?? min, nice.find((v) => v >= max) ?? max];
        },
      },
    },
    axes: [
      { ...AXIS, size: 12, values: (_, splits) => splits.map(() => '') }, // the lr chart under it labels the steps
      {
        stroke: '#5b6675',
        grid: { stroke: '#e9edf3' },
        ticks: { stroke: '#e3e8ef' },
        size: 56,
        splits: (_, __, min, max) => oneTwoFive(min, max).filter((v) => v >= min * 0.999 && v <= max * 1.001),
        filter: (_, splits) => splits, // label every 1-2-5 line (uPlot's log default labels only some)
        values: (_, splits) => splits.map(String),
      },
    ],
    series: [{ label: 'step' }, { label: 'loss', stroke: '#2563eb', width: 2, fill: 'rgba(37, 99, 235, 0.07)' }],
  },
  [[], []],
  chartBox,
);
new ResizeObserver(() => chart.setSize({ width: chartBox.clientWidth, height: LOSS_CHART_HEIGHT })).observe(chartBox);

const lrBox = $('lr-chart');
const lrChart = new uPlot(
  {
    width: lrBox.clientWidth,
    height: LR_CHART_HEIGHT,
    legend: { show: false },
    cursor,
    scales: {
      x: { time: false },
      // Linear, from 0 to a little above the highest lr drawn.
      y: { range: (_, __, max) => [0, max > 0 ? max * 1.12 : 1] },
    },
    axes: [
      { ...AXIS, size: 36 },
      {
        ...AXIS,
        grid: { stroke: '#e9edf3' },
        size: 56,
        // 0 and round values (1, 2, 2.5 or 5 × 10^k apart) up to the highest lr.
        splits: (_, __, min, max) => {
          if (!(max > 0)) return [0];
          const raw = max / 3;
          const magnitude = 10 ** Math.floor(Math.log10(raw));
          const gap = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((g) => g >= raw);
          const splits = [];
          for (let v = 0; v <= max * (1 + 1e-9); v += gap) splits.push(sig(v, 6));
          return splits;
        },
        values: (_, splits) => splits.map(String),
      },
    ],
    series: [{ label: 'step' }, { label: 'lr', stroke: '#ea580c', width: 2, fill: 'rgba(234, 88, 12, 0.07)' }],
  },
  [[], []],
  lrBox,
);
new ResizeObserver(() => lrChart.setSize({ width: lrBox.clientWidth, height: LR_CHART_HEIGHT })).observe(lrBox);

function render() {
  drawBoundary();
  const group = optimizer.paramGroups[0];
  const steps = [...history.steps];
  const losses = [...history.losses];
  const lrs = [...history.lrs];
  // The point at the current step shows the lr the next step will use (a schedule that just
  // started may have changed it since the point was recorded).
  if (steps.at(-1) === step) {
    lrs[lrs.length - 1] = group.lr;
  } else {
    steps.push(step);
    losses.push(last.loss);
    lrs.push(group.lr);
  }
  chart.setData([steps, losses]);
  lrChart.setData([steps, lrs]);
  // What the lr chart draws, in numbers (the tests read them).
  Object.assign(lrBox.dataset, { points: lrs.length, first: lrs[0], peak: Math.max(...lrs), last: lrs.at(-1) });
  $('step').textContent = step.toLocaleString('en-US');
  $('loss').textContent = last.loss.toFixed(4);
  $('loss').dataset.value = String(last.loss);
  $('first-loss').textContent = `from ${firstLoss.toFixed(3)}`;
  $('accuracy').textContent = `${(100 * last.accuracy).toFixed(1)}%`;
  $('lr-now').textContent = group.lr === 0 ? '0' : group.lr.toExponential(2);
  $('lr-now').dataset.value = String(group.lr);
  $('grad-norm').textContent = gradNorm === undefined ? '–' : gradNorm.toPrecision(3);
  const recent = Math.min(clipped.steps, CLIP_WINDOW);
  $('clipped').textContent = Number.isFinite(clip) && recent > 0 ? `clipped ${Math.round((100 * clipped.count) / recent)}%` : '';
  $('clipped').title = `of the last ${recent} steps; ${clipped.total} of ${clipped.steps} since the start or the last load`;
  $('clipped').dataset.total = String(clipped.total);
  $('schedule-progress').textContent = scheduleProgress();
  if (isOneCycle() && beta1Of(group) !== undefined) $('beta1-value').textContent = String(sig(beta1Of(group), 4));
  if (rate.value !== undefined) $('rate').textContent = Math.round(rate.value).toLocaleString('en-US');
  // Only cross-origin isolated pages (serve.mjs sends the headers) have a fine enough clock.
  if (crossOriginIsolated && adamTime.steps > 0) $('adam-time').textContent = `${((1000 * adamTime.total) / adamTime.steps).toFixed(1)} µs`;
  document.body.dataset.renderedStep = String(step);
}

function status(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

// --- saving and loading ----------------------------------------------------------------------

$('run').addEventListener('click', () => setRunning(!running));

$('reset').addEventListener('click', () => {
  start();
  status(`Weights reset (seed ${seed}).${running ? '' : ' Paused.'}`);
});

/** Offers `bytes` as a download named `name`. */
function download(bytes, type, name) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([bytes], { type }));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** How to rebuild the optimizer and the scheduler before loading their state dicts, as torch does. */
function currentRecipe() {
  return { optimizer: optimizerName, schedule: schedule.name, warmup: schedule.warmup, length: schedule.length, clip: Number.isFinite(clip) ? clip : null };
}

$('save').addEventListener('click', () => {
  const checkpoint = {
    format: 'lucid-optim demo checkpoint',
    seed,
    firstLoss,
    model: Object.fromEntries(model.params.map((p) => [p.name, p.data])),
    // { state: { [i]: { step, expAvg, expAvgSq } }, paramGroups } (the groups hold what the
    // scheduler wrote there: initialLr, and OneCycleLR's maxLr, minLr, momenta)
    optimizer: optimizer.stateDict(),
    // How to rebuild the optimizer and the scheduler before loading their state dicts, as torch does.
    recipe: currentRecipe(),
    scheduler: schedule.scheduler?.stateDict() ?? null,
  };
  // Float32Array → plain arrays; JSON keeps every float32 exactly (shortest round-trip digits).
  const json = JSON.stringify(checkpoint, (_, v) => (v instanceof Float32Array ? Array.from(v) : v));
  download(json, 'application/json', `lucid-optim-${optimizerName.toLowerCase()}-step${step}.json`);
  const what = schedule.scheduler === null ? 'the optimizer state' : `the optimizer and ${schedule.scheduler.constructor.name} state`;
  status(`Saved ${what} and weights at step ${step} (${(json.length / 1024).toFixed(0)} KiB).`);
});

// The same checkpoint as torch.save writes it, the way PyTorch users save one:
//   torch.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(), ...}, 'ckpt.pt')
// Python reads it with torch.load('ckpt.pt', weights_only=True); the optimizer's part loads into
// torch.optim.Adam/AdamW.load_state_dict.
$('save-pt').addEventListener('click', () => {
  const checkpoint = new Map([
    ['format', 'lucid-optim demo checkpoint'],
    ['seed', seed],
    ['firstLoss', firstLoss ?? null],
    ['model', namedTensors(model.params)],
    ['optimizer', optimizer.stateDict({ format: 'torch' })],
    ['recipe', currentRecipe()],
    ['scheduler', schedule.scheduler?.stateDict() ?? null],
  ]);
  const bytes = saveTorch(checkpoint);
  download(bytes, 'application/octet-stream', `lucid-optim-${optimizerName.toLowerCase()}-step${step}.pt`);
  status(`Saved a PyTorch checkpoint (.pt) at step ${step} (${(bytes.length / 1024).toFixed(0)} KiB).`);
});

/** A loaded dict as the JSON checkpoint has it: Maps (torch's dicts) become plain objects. */
function plain(value) {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/**
 * What loadTorch gave back, as the loader below reads a JSON checkpoint: a demo .pt (weights as
 * float32 tensors, the optimizer in torch's shape, which loadStateDict takes as it is), or a bare
 * optimizer.state_dict() (then the weights stay as they are).
 */
function fromTorch(value) {
  if (!(value instanceof Map)) throw new TypeError('a .pt file must hold a dict');
  if (value.has('state') && value.has('param_groups')) return value;
  const model = value.get('model');
  if (!(model instanceof Map)) throw new TypeError("the .pt file's 'model' must be a dict of tensors");
  const weights = {};
  for (const [name, t] of model) {
    if (t?.dtype !== 'float32') throw new TypeError(`model.${name} must be a float32 tensor`);
    weights[name] = t.data;
  }
  const checkpoint = plain(new Map([...value].filter(([k]) => k !== 'model' && k !== 'optimizer')));
  return { ...checkpoint, model: weights, optimizer: value.get('optimizer') };
}

/**
 * A checkpoint's recipe (a bare optimizer.stateDict(), or a checkpoint from before the recipe
 * existed, keeps the current optimizer and clipping, with a constant lr).
 */
function readCheckpointRecipe(checkpoint) {
  const recipe = checkpoint?.recipe;
  if (recipe === undefined) return { optimizer: optimizerName, name: 'none', warmup: 0, length: schedule.length, clip };
  if (recipe === null || typeof recipe !== 'object') throw new TypeError(`recipe must be an object, got ${JSON.stringify(recipe)}`);
  if (!Object.hasOwn(OPTIMIZERS, recipe.optimizer)) {
    throw new TypeError(`recipe.optimizer must be one of ${Object.keys(OPTIMIZERS).join(', ')}, got ${JSON.stringify(recipe.optimizer)}`);
  }
  const problem = recipeProblem({ name: recipe.schedule, warmup: recipe.warmup, length: recipe.length });
  if (problem !== undefined) throw new TypeError(`recipe: ${problem}`);
  if (recipe.clip !== null && !(typeof recipe.clip === 'number' && recipe.clip > 0)) {
    throw new TypeError(`recipe.clip must be a number > 0 or null, got ${JSON.stringify(recipe.clip)}`);
  }
  return { optimizer: recipe.optimizer, name: recipe.schedule, warmup: recipe.warmup, length: recipe.length, clip: recipe.clip ?? Infinity };
}

$('load').addEventListener('change', async (event) => {
  const input = event.target;
  const file = input.files?.[0];
  input.value = '';
  if (file === undefined) return;
  let next;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    // A zip (PK\3\4) is a torch.save file; anything else is read as JSON.
    const isTorch = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
    const checkpoint = isTorch ? fromTorch(loadTorch(bytes)) : JSON.parse(new TextDecoder().decode(bytes));
    // A demo checkpoint, or a bare optimizer.stateDict() (then the weights stay as they are).
    const state = checkpoint instanceof Map ? checkpoint : (checkpoint?.optimizer ?? checkpoint);
    const weights = checkpoint instanceof Map ? undefined : checkpoint?.model;
    if (weights !== undefined) {
      for (const p of model.params) {
        const w = weights[p.name];
        if (!(Array.isArray(w) || w instanceof Float32Array) || w.length !== p.length || !w.every((x) => typeof x === 'number')) {
          throw new TypeError(`model.${p.name} must be an array of ${p.length} numbers`);
        }
      }
    }
    // Torch's order: build the optimizer and the scheduler, then load the optimizer's state dict
    // (its groups carry lr, initialLr, ...), then the scheduler's. All into new objects, so that a
    // refused file changes nothing.
    const recipe = readCheckpointRecipe(checkpoint instanceof Map ? undefined : checkpoint);
    next = new OPTIMIZERS[recipe.optimizer].Class(model.params, readOptions(recipe.optimizer));
    const scheduler = makeScheduler(next, { schedule: recipe.name, warmup: recipe.warmup, steps: recipe.length });
    next.loadStateDict(state); // checks everything first; on error nothing changes
    if (scheduler !== null) {
      if (checkpoint.scheduler === null || typeof checkpoint.scheduler !== 'object') {
        throw new TypeError(`scheduler must be the state dict of the recipe's scheduler, got ${JSON.stringify(checkpoint.scheduler)}`);
      }
      scheduler.loadStateDict(checkpoint.scheduler);
    }
    optimizer.dispose();
    optimizer = next;
    next = undefined;
    optimizerName = recipe.optimizer;
    if (weights !== undefined) for (const p of model.params) p.data = weights[p.name];
    if (Number.isSafeInteger(checkpoint.seed) && checkpoint.seed !== seed) {
      seed = checkpoint.seed;
      data = makeSpiral(mulberry32(seed));
    }
    // The step of the saved state (SGD's state counts none: then the step starts again from 0).
    step = Math.max(0, ...Object.values(optimizer.stateDict().state).map((s) => s.step ?? 0));
    // The scheduler has stepped once per optimizer step since it started.
    schedule = { name: recipe.name, warmup: recipe.warmup, length: recipe.length, scheduler, start: step - (scheduler?.lastEpoch ?? 0) };
    clip = recipe.clip;
    showClip(clip);
    const group = optimizer.paramGroups[0];
    // The lr slider shows the schedule's peak (OneCycleLR's maxLr, the others' initialLr).
    showOptions({ ...group, lr: scheduler === null ? group.lr : (group.maxLr ?? group.initialLr) }, recipe.optimizer);
    showRecipe(schedule);
    clearHistory();
    firstLoss = typeof checkpoint?.firstLoss === 'number' ? checkpoint.firstLoss : undefined;
    evaluate();
    const scheduled = scheduler === null ? '' : ` (${scheduler.constructor.name}, ${scheduleProgress()})`;
    status(`Loaded ${file.name}: step ${step}, loss ${last.loss.toFixed(4)}, ${optimizerName}${scheduled}.${running ? '' : ' Paused.'}`);
  } catch (error) {
    next?.dispose();
    status(`Could not load ${file.name}: ${error.message}`, true);
  }
});

// --- go --------------------------------------------------------------------------------------

try {
  await init({ threads }); // fetches lucid_optim_bg.wasm (or lucid_optim_threads_bg.wasm) from beside /lucid-optim/browser.mjs
  document.body.dataset.threads = String(threadCount());
  for (const [name, { Class }] of Object.entries(OPTIMIZERS)) DEFAULTS[name] = optionsOf(Class);
  showOptions(readOptions());
  clip = controls.clip.toValue(Number($('clip').value));
  showClip(clip);
  start();
  setRunning(step < pauseAt);
  requestAnimationFrame(frame);
} catch (error) {
  status(`Could not start: ${error.message}`, true);
  throw error;
}
