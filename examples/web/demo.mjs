// The demo page: trains the MLP of examples/model.mjs with lucid-optim's Adam, live, drawing the
// decision regions and the loss curve as it learns. Change Adam's options while it runs; save the
// optimizer state (with the weights) to a JSON file and load it back.
//
// Query parameters: ?seed=<n> picks the spiral and the initial weights (default 1);
// ?pauseAt=<step> pauses training when it reaches that step (the screenshot test uses it).

import { Adam, init } from 'lucid-optim';
import uPlot from 'uplot';
import { mulberry32 } from '../../reference/rng.mjs'; // served at /reference/rng.mjs by serve.mjs
import { MLP, makeSpiral } from '../model.mjs'; // served at /model.mjs by serve.mjs

const $ = (id) => document.getElementById(id);
const CLASS_RGB = [
  [37, 99, 235],
  [234, 88, 12],
  [22, 163, 74],
];
const GRID = 88; // decision regions are evaluated on GRID × GRID points, then smoothly scaled up
const EXTENT = 1.15; // the canvas shows [-EXTENT, EXTENT]²
const MAX_CHART_POINTS = 3000;
const query = new URLSearchParams(location.search);
const pauseAt = positiveInteger(query.get('pauseAt')) ?? Infinity;

let seed = positiveInteger(query.get('seed'), 0) ?? 1;
let data;
let model;
let optimizer;
let step = 0;
let firstLoss;
let last; // { loss, accuracy } of the latest forward pass
let running = true;
let dirty = true;
const history = { steps: [], losses: [], stride: 1 };
const rate = { samples: [], value: undefined };
const adamTime = { total: 0, steps: 0 };

function positiveInteger(text, min = 1) {
  const n = Number(text);
  return text !== null && Number.isSafeInteger(n) && n >= min ? n : undefined;
}

// --- Adam's options <-> the controls ---------------------------------------------------------

const sig = (x, digits) => Number(x.toPrecision(digits));
const controls = {
  lr: { toValue: (v) => sig(10 ** v, 3), toSlider: (x) => Math.log10(x) },
  beta1: { toValue: (v) => sig(1 - 10 ** -v, 4), toSlider: (x) => -Math.log10(1 - x) },
  beta2: { toValue: (v) => sig(1 - 10 ** -v, 5), toSlider: (x) => -Math.log10(1 - x) },
  wd: { toValue: (v) => (v <= -6 ? 0 : sig(10 ** v, 2)), toSlider: (x) => (x > 0 ? Math.log10(x) : -6) },
};

/** Adam's options as the controls set them. */
function readOptions() {
  const value = (id) => controls[id].toValue(Number($(id).value));
  return {
    lr: value('lr'),
    betas: [value('beta1'), value('beta2')],
    weightDecay: value('wd'),
    amsgrad: $('amsgrad').checked,
  };
}

/** Shows a group's options in the controls (sliders snap; the readouts show the exact values). */
function showOptions({ lr, betas, weightDecay, amsgrad }) {
  const set = (id, x, text) => {
    $(id).value = String(controls[id].toSlider(x));
    $(`${id}-value`).textContent = text;
  };
  set('lr', lr, String(lr));
  set('beta1', betas[0], String(betas[0]));
  set('beta2', betas[1], String(betas[1]));
  set('wd', weightDecay, weightDecay === 0 ? 'off' : String(weightDecay));
  $('amsgrad').checked = amsgrad;
}

$('options').addEventListener('input', () => {
  const options = readOptions();
  // Hyperparameters are read from paramGroups at every step, as in PyTorch.
  Object.assign(optimizer.paramGroups[0], options);
  showOptions(options);
});

// --- training --------------------------------------------------------------------------------

function start() {
  optimizer?.dispose();
  model?.dispose();
  const random = mulberry32(seed);
  data = makeSpiral(random);
  model = new MLP({ hidden: 64, random });
  optimizer = new Adam(model.params, readOptions());
  step = 0;
  firstLoss = undefined;
  clearHistory();
  evaluate();
}

function clearHistory() {
  history.steps = [];
  history.losses = [];
  history.stride = 1;
  rate.samples = [];
  adamTime.total = 0;
  adamTime.steps = 0;
}

/** Loss and accuracy of the current weights (also leaves their gradients in param.grad). */
function evaluate() {
  last = model.lossAndGrad(data);
  firstLoss ??= last.loss;
  record(step, last.loss);
  dirty = true;
}

function trainStep() {
  last = model.lossAndGrad(data); // writes every param.grad
  firstLoss ??= last.loss;
  record(step, last.loss);
  const t = performance.now();
  optimizer.step();
  adamTime.total += performance.now() - t;
  adamTime.steps++;
  step++;
  dirty = true;
}

/** Keeps the chart's history short: past MAX_CHART_POINTS, every other point goes. */
function record(atStep, loss) {
  if (atStep % history.stride !== 0 || history.steps.at(-1) === atStep) return;
  history.steps.push(atStep);
  history.losses.push(loss);
  if (history.steps.length > MAX_CHART_POINTS) {
    history.stride *= 2;
    const keep = (_, i) => history.steps[i] % history.stride === 0;
    history.losses = history.losses.filter(keep);
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
      trainStep();
      if (step >= pauseAt && step - 1 < pauseAt) setRunning(false);
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

const chartBox = $('chart');
const chart = new uPlot(
  {
    width: chartBox.clientWidth,
    height: 250,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
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
      { stroke: '#5b6675', grid: { stroke: '#eef1f5' }, ticks: { stroke: '#e3e8ef' } },
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
new ResizeObserver(() => chart.setSize({ width: chartBox.clientWidth, height: 250 })).observe(chartBox);

function render() {
  drawBoundary();
  const steps = [...history.steps];
  const losses = [...history.losses];
  if (steps.at(-1) !== step) {
    steps.push(step);
    losses.push(last.loss);
  }
  chart.setData([steps, losses]);
  $('step').textContent = step.toLocaleString('en-US');
  $('loss').textContent = last.loss.toFixed(4);
  $('loss').dataset.value = String(last.loss);
  $('first-loss').textContent = `from ${firstLoss.toFixed(3)}`;
  $('accuracy').textContent = `${(100 * last.accuracy).toFixed(1)}%`;
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

$('save').addEventListener('click', () => {
  const checkpoint = {
    format: 'lucid-optim demo checkpoint',
    seed,
    firstLoss,
    model: Object.fromEntries(model.params.map((p) => [p.name, p.data])),
    optimizer: optimizer.stateDict(), // { state: { [i]: { step, expAvg, expAvgSq } }, paramGroups }
  };
  // Float32Array → plain arrays; JSON keeps every float32 exactly (shortest round-trip digits).
  const json = JSON.stringify(checkpoint, (_, v) => (v instanceof Float32Array ? Array.from(v) : v));
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
  link.download = `lucid-optim-adam-step${step}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  status(`Saved the optimizer state and weights at step ${step} (${(json.length / 1024).toFixed(0)} KiB).`);
});

$('load').addEventListener('change', async (event) => {
  const input = event.target;
  const file = input.files?.[0];
  input.value = '';
  if (file === undefined) return;
  try {
    const checkpoint = JSON.parse(await file.text());
    // A demo checkpoint, or a bare optimizer.stateDict() (then the weights stay as they are).
    const state = checkpoint?.optimizer ?? checkpoint;
    const weights = checkpoint?.model;
    if (weights !== undefined) {
      for (const p of model.params) {
        const w = weights[p.name];
        if (!Array.isArray(w) || w.length !== p.length || !w.every((x) => typeof x === 'number')) {
          throw new TypeError(`model.${p.name} must be an array of ${p.length} numbers`);
        }
      }
    }
    optimizer.loadStateDict(state); // checks everything first; on error nothing changes
    if (weights !== undefined) for (const p of model.params) p.data = weights[p.name];
    if (Number.isSafeInteger(checkpoint.seed) && checkpoint.seed !== seed) {
      seed = checkpoint.seed;
      data = makeSpiral(mulberry32(seed));
    }
    step = Math.max(0, ...Object.values(optimizer.stateDict().state).map((s) => s.step));
    showOptions(optimizer.paramGroups[0]);
    clearHistory();
    firstLoss = typeof checkpoint.firstLoss === 'number' ? checkpoint.firstLoss : undefined;
    evaluate();
    status(`Loaded ${file.name}: step ${step}, loss ${last.loss.toFixed(4)}.${running ? '' : ' Paused.'}`);
  } catch (error) {
    status(`Could not load ${file.name}: ${error.message}`, true);
  }
});

// --- go --------------------------------------------------------------------------------------

try {
  await init(); // fetches lucid_optim_bg.wasm from beside /lucid-optim/browser.mjs
  showOptions(readOptions());
  start();
  setRunning(step < pauseAt);
  requestAnimationFrame(frame);
} catch (error) {
  status(`Could not start: ${error.message}`, true);
  throw error;
}
