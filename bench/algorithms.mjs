#!/usr/bin/env node
// One row per algorithm: a step over 1M float32 elements (one parameter) with lucid-optim, against
// a plain JavaScript loop over Float32Arrays (the same formula, in torch's operation order, written
// for speed: one loop per option set, constants hoisted, no allocation) and, where TensorFlow.js
// has the algorithm, tfjs-backend-wasm (XNNPACK, SIMD, one thread): tf.train.adam, tf.train.sgd,
// tf.train.momentum, tf.train.rmsprop, tf.train.adagrad, tf.train.adadelta, tf.train.adamax (given
// torch's hyperparameters; their formulas differ from torch's only in where eps goes). All measured interleaved in the same run (bench/lib/measure.mjs), so their
// ratios hold on a busy machine; the absolute times do not, and nothing asserts them.
//
//   npm run bench                           (runs this after the Adam benchmark)
//   node bench/algorithms.mjs               after `npm run build`
//   node bench/algorithms.mjs --quick       1,003 elements, one rep: checks that every row runs (npm test)
//
// Before timing, every contestant takes 5 steps from the same values and gradients and must agree
// with lucid-optim within float32 rounding (the plain loops compute in float64; tfjs in float32).

import { parseArgs } from 'node:util';
import { ASGD, Adadelta, Adafactor, Adagrad, Adam, AdamW, Adamax, NAdam, Parameter, RAdam, RMSprop, Rprop, SGD, SparseAdam, init } from '../dist/node.mjs';
import { makeData } from './lib/data.mjs';
import { machine } from './lib/machine.mjs';
import { measure, median, stepping } from './lib/measure.mjs';
import { loadTfWasm } from './lib/tfjs-wasm.mjs';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, reps: { type: 'string' } } });
const quick = args.quick;
const elements = quick ? 1_003 : 1_000_000;
/** The elements as a matrix, for the algorithms that factor them (Adafactor) or take rows (SparseAdam). */
const MATRIX = quick ? [17, 59] : [1_000, 1_000];
/** SparseAdam's gradient rows: every row once, last first, so that coalescing sorts them at each step. */
const SPARSE_ROWS = Array.from({ length: MATRIX[0] }, (_, k) => MATRIX[0] - 1 - k);
const settings = {
  reps: Number(args.reps ?? (quick ? 1 : 7)),
  warmupMs: quick ? 0 : 500,
  minWarmupSteps: quick ? 2 : 3,
  minBatchMs: quick ? 0 : 100,
  maxStepsPerModel: 5_000,
};

/**
 * The rows: each algorithm's lucid-optim class and options, its plain-JavaScript loop (state
 * buffers it needs, and the loop for step t), and tfjs's optimizer if tfjs has it.
 */
const ROWS = [
  {
    id: 'adam',
    label: 'Adam (lr 1e-3, defaults)',
    lucid: () => [Adam, { lr: 1e-3 }],
    plain: { buffers: 2, step: adamLoop({ lr: 1e-3, wd: 0, decoupled: false }) },
    tfjs: (tf) => tf.train.adam(1e-3, 0.9, 0.999, 1e-8),
  },
  {
    id: 'adamw',
    label: 'AdamW (lr 1e-3, weight decay 1e-2)',
    lucid: () => [AdamW, { lr: 1e-3 }],
    plain: { buffers: 2, step: adamLoop({ lr: 1e-3, wd: 1e-2, decoupled: true }) },
    tfjs: null, // tf.train has no AdamW
  },
  {
    id: 'sgd',
    label: 'SGD (lr 1e-2)',
    lucid: () => [SGD, { lr: 1e-2 }],
    plain: { buffers: 0, step: sgdLoop({ lr: 1e-2, momentum: 0, nesterov: false }) },
    tfjs: (tf) => tf.train.sgd(1e-2),
  },
  {
    id: 'sgd-momentum',
    label: 'SGD, momentum 0.9',
    lucid: () => [SGD, { lr: 1e-2, momentum: 0.9 }],
    plain: { buffers: 1, step: sgdLoop({ lr: 1e-2, momentum: 0.9, nesterov: false }) },
    tfjs: (tf) => tf.train.momentum(1e-2, 0.9),
  },
  {
    id: 'sgd-nesterov',
    label: 'SGD, Nesterov momentum 0.9',
    lucid: () => [SGD, { lr: 1e-2, momentum: 0.9, nesterov: true }],
    plain: { buffers: 1, step: sgdLoop({ lr: 1e-2, momentum: 0.9, nesterov: true }) },
    tfjs: (tf) => tf.train.momentum(1e-2, 0.9, true),
  },
  {
    id: 'rmsprop',
    label: 'RMSprop (lr 1e-2, defaults)',
    lucid: () => [RMSprop, { lr: 1e-2 }],
    plain: { buffers: 1, step: rmspropLoop({ lr: 1e-2, alpha: 0.99, eps: 1e-8 }) },
    tfjs: (tf) => tf.train.rmsprop(1e-2, 0.99, 0, 1e-8),
    // tf.train.rmsprop divides by sqrt(v + eps), torch by sqrt(v) + eps: where v is below eps (tiny
    // gradients), the two step sizes differ by orders of magnitude, so no agreement is asked of it.
    tfjsTolerance: Infinity,
  },
  {
    id: 'adagrad',
    label: 'Adagrad (lr 1e-2, initial 0.1)',
    lucid: () => [Adagrad, { lr: 1e-2, initialAccumulatorValue: 0.1 }],
    plain: { buffers: 1, fill: 0.1, step: adagradLoop({ lr: 1e-2, eps: 1e-10 }) },
    tfjs: (tf) => tf.train.adagrad(1e-2, 0.1),
  },
  {
    id: 'adadelta',
    label: 'Adadelta (defaults)',
    lucid: () => [Adadelta, {}],
    plain: { buffers: 2, step: adadeltaLoop({ lr: 1, rho: 0.9, eps: 1e-6 }) },
    tfjs: (tf) => tf.train.adadelta(1, 0.9, 1e-6),
    // tf.train.adadelta divides by the previous step's average of g² (tfjs-core adadelta_optimizer.js),
    // torch by this step's: the same work, other numbers (its first step is g itself).
    tfjsTolerance: Infinity,
  },
  {
    id: 'adamax',
    label: 'Adamax (defaults)',
    lucid: () => [Adamax, {}],
    plain: { buffers: 2, step: adamaxLoop({ lr: 2e-3, eps: 1e-8 }) },
    tfjs: (tf) => tf.train.adamax(2e-3, 0.9, 0.999, 1e-8),
  },
  {
    id: 'nadam',
    label: 'NAdam (defaults)',
    lucid: () => [NAdam, {}],
    plain: { buffers: 2, step: nadamLoop({ lr: 2e-3, eps: 1e-8, momentumDecay: 4e-3 }) },
    tfjs: null, // tf.train has no NAdam
  },
  {
    id: 'radam',
    label: 'RAdam (defaults)',
    lucid: () => [RAdam, {}],
    plain: { buffers: 2, step: radamLoop({ lr: 1e-3, eps: 1e-8 }) },
    tfjs: null, // nor RAdam
  },
  {
    id: 'asgd',
    label: 'ASGD (defaults)',
    lucid: () => [ASGD, {}],
    plain: { buffers: 1, step: asgdLoop({ lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6 }) },
    tfjs: null, // nor ASGD
  },
  {
    id: 'rprop',
    label: 'Rprop (defaults)',
    lucid: () => [Rprop, {}],
    plain: { buffers: 2, fill: [0, 1e-2], step: rpropLoop({ etaminus: 0.5, etaplus: 1.2, min: 1e-6, max: 50 }) },
    tfjs: null, // nor Rprop
  },
  {
    id: 'adafactor',
    // A matrix, so that its moments are factored (1,003 = 17 × 59 with --quick).
    label: `Adafactor (defaults, ${MATRIX.join('×')})`,
    shape: MATRIX,
    lucid: () => [Adafactor, {}],
    plain: { buffers: 2, step: adafactorLoop({ lr: 1e-2, beta2Decay: -0.8, eps2: 1e-3, d: 1, rows: MATRIX[0], cols: MATRIX[1] }) },
    tfjs: null, // nor Adafactor
  },
  {
    id: 'sparse-adam',
    // An embedding's sparse gradient touching every row (so that it updates as many elements as
    // the other rows), given last row first: each step sorts and coalesces it, as torch's does.
    label: `SparseAdam (defaults, ${MATRIX.join('×')})`,
    shape: MATRIX,
    sparseRows: SPARSE_ROWS,
    lucid: () => [SparseAdam, {}],
    plain: { buffers: 2, step: sparseAdamLoop({ lr: 1e-3, indices: SPARSE_ROWS, cols: MATRIX[1] }) },
    tfjs: null, // nor SparseAdam
  },
];

// Each loop copies what it reads into locals first: a closure's variable read inside the loop costs
// V8 about 1.8x (bench/lib/peers/plain-js.mjs measured it), and these loops are written for speed.

/** Adam in torch's order (lerp, addcmul, sqrt(v) / sqrt(bc2) + eps, addcdiv), float64 per element. */
function adamLoop(options) {
  return (p, g, [m, v], t) => {
    const { lr, wd, decoupled } = options;
    const b1 = 0.9, b2 = 0.999, eps = 1e-8, w = 1 - b1, c = 1 - b2;
    const stepSize = lr / (1 - b1 ** t);
    const bc2 = Math.sqrt(1 - b2 ** t);
    const factor = 1 - lr * wd;
    const n = p.length;
    if (decoupled) {
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        const mi = m[i] + w * (gi - m[i]);
        const vi = v[i] * b2 + c * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * factor - (stepSize * mi) / (Math.sqrt(vi) / bc2 + eps);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        const mi = m[i] + w * (gi - m[i]);
        const vi = v[i] * b2 + c * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= (stepSize * mi) / (Math.sqrt(vi) / bc2 + eps);
      }
    }
  };
}

/** SGD in torch's order: buf = g at the first step, else buf * momentum + g; p += -lr * (g + momentum * buf or buf). */
function sgdLoop(options) {
  return (p, g, [buf], t) => {
    const { lr, momentum, nesterov } = options;
    const n = p.length;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) p[i] -= lr * g[i];
    } else if (t === 1) {
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        buf[i] = gi;
        p[i] -= lr * (nesterov ? gi + momentum * gi : gi);
      }
    } else if (nesterov) {
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        const b = buf[i] * momentum + gi;
        buf[i] = b;
        p[i] -= lr * (gi + momentum * b);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const b = buf[i] * momentum + g[i];
        buf[i] = b;
        p[i] -= lr * b;
      }
    }
  };
}

/** RMSprop in torch's order: v = v * alpha + (1 - alpha) * g * g; p += -lr * g / (sqrt(v) + eps). */
function rmspropLoop(options) {
  return (p, g, [v]) => {
    const { lr, alpha, eps } = options;
    const c = 1 - alpha;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const vi = v[i] * alpha + c * gi * gi;
      v[i] = vi;
      p[i] -= (lr * gi) / (Math.sqrt(vi) + eps);
    }
  };
}

/** Adagrad in torch's order (no lr decay): sum += g * g; p += -lr * g / (sqrt(sum) + eps). */
function adagradLoop(options) {
  return (p, g, [sum]) => {
    const { lr, eps } = options;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const s = sum[i] + gi * gi;
      sum[i] = s;
      p[i] -= (lr * gi) / (Math.sqrt(s) + eps);
    }
  };
}

/** Adadelta in torch's order: v = rho v + (1 - rho) g²; d = sqrt(u + eps) / sqrt(v + eps) * g; u = rho u + (1 - rho) d²; p += -lr * d. */
function adadeltaLoop(options) {
  return (p, g, [v, u]) => {
    const { lr, rho, eps } = options;
    const c = 1 - rho;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const vi = v[i] * rho + c * gi * gi;
      v[i] = vi;
      const d = (Math.sqrt(u[i] + eps) / Math.sqrt(vi + eps)) * gi;
      u[i] = u[i] * rho + c * d * d;
      p[i] -= lr * d;
    }
  };
}

/** Adamax in torch's order: m = lerp(m, g, 0.1); u = max(0.999 u, |g| + eps); p += -lr / (1 - 0.9^t) * m / u. */
function adamaxLoop(options) {
  return (p, g, [m, u], t) => {
    const { lr, eps } = options;
    const clr = lr / (1 - 0.9 ** t);
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = m[i] + 0.1 * (gi - m[i]);
      const ui = Math.max(u[i] * 0.999, Math.abs(gi) + eps);
      m[i] = mi;
      u[i] = ui;
      p[i] -= (clr * mi) / ui;
    }
  };
}

/** NAdam in torch's order, its per-step scalars (mu, mu_next, mu_product) hoisted out of the loop. */
function nadamLoop(options) {
  let muProduct = 1;
  return (p, g, [m, v], t) => {
    const { lr, eps, momentumDecay } = options;
    if (t === 1) muProduct = 1;
    const bc2 = 1 - 0.999 ** t;
    const mu = 0.9 * (1 - 0.5 * 0.96 ** (t * momentumDecay));
    const muNext = 0.9 * (1 - 0.5 * 0.96 ** ((t + 1) * momentumDecay));
    muProduct *= mu;
    const a = (lr * (1 - mu)) / (1 - muProduct);
    const b = (lr * muNext) / (1 - muProduct * muNext);
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = m[i] + 0.1 * (gi - m[i]);
      const vi = v[i] * 0.999 + 0.001 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      const denom = Math.sqrt(vi / bc2) + eps;
      p[i] -= (a * gi) / denom + (b * mi) / denom;
    }
  };
}

/** RAdam in torch's order: unrectified (p -= lr * m / bc1) while rho_t <= 5, then rectified. */
function radamLoop(options) {
  return (p, g, [m, v], t) => {
    const { lr, eps } = options;
    const bc1 = 1 - 0.9 ** t;
    const bc2 = 1 - 0.999 ** t;
    const rhoInf = 2 / (1 - 0.999) - 1;
    const rhoT = rhoInf - (2 * t * 0.999 ** t) / bc2;
    const rect = rhoT > 5 ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
    const scale = rhoT > 5 ? (lr / bc1) * Math.sqrt(bc2) * rect : lr / bc1;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = m[i] + 0.1 * (gi - m[i]);
      const vi = v[i] * 0.999 + 0.001 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] -= rhoT > 5 ? (scale * mi) / (Math.sqrt(vi) + eps) : scale * mi;
    }
  };
}

/** ASGD in torch's order: p = p * (1 - lambd eta) - eta g; ax = p (mu is 1 before t0); then the next eta. */
function asgdLoop(options) {
  let eta = options.lr;
  return (p, g, [ax], t) => {
    const { lr, lambd, alpha, t0 } = options;
    if (t === 1) eta = lr;
    const decay = 1 - lambd * eta;
    const mu = 1 / Math.max(1, t - 1 - t0);
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const pi = p[i] * decay - eta * g[i];
      p[i] = pi;
      ax[i] = mu === 1 ? pi : ax[i] + (pi - ax[i]) * mu;
    }
    eta = lr / (1 + lambd * lr * t) ** alpha;
  };
}

/**
 * Adafactor on a rows × cols matrix in torch's order: factored moments (lerp of the row and column
 * means of g²), var = rowVar ⊗ colVar / max(mean(rowVar), eps1), u = g / sqrt(max(var, eps1²)),
 * clipped to rms d, times max(eps2, rms(p)) * min(lr, 1 / sqrt(t)). Float64 per element and sum.
 */
function adafactorLoop(options) {
  return (p, g, [rowVar, colVar], t) => {
    const { lr, beta2Decay, eps2, d, rows, cols } = options;
    const eps1 = 1.1920928955078125e-7; // float32's machine epsilon, torch's eps1 for None
    const n = p.length;
    const w = t ** beta2Decay;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += p[i] * p[i];
    const alpha = Math.max(eps2, Math.sqrt(squares / n)) * Math.min(lr, 1 / Math.sqrt(t));
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += g[r * cols + c] * g[r * cols + c];
      rowVar[r] += w * (s / cols - rowVar[r]);
    }
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += g[r * cols + c] * g[r * cols + c];
      colVar[c] += w * (s / rows - colVar[c]);
    }
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += rowVar[r];
    mean = Math.max(mean / rows, eps1);
    const floor = eps1 * eps1;
    let updates = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const u = g[r * cols + c] / Math.sqrt(Math.max((rowVar[r] * colVar[c]) / mean, floor));
        updates += u * u;
      }
    }
    const scale = alpha / Math.max(1, Math.sqrt(updates / n) / d);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        p[i] -= (scale * g[i]) / Math.sqrt(Math.max((rowVar[r] * colVar[c]) / mean, floor));
      }
    }
  };
}

/** SparseAdam in torch's order: coalesce (sort the rows), then per touched element m += (g - m)(1 - b1), v += (g² - v)(1 - b2), p -= step_size * m / (sqrt(v) + eps). */
function sparseAdamLoop(options) {
  return (p, g, [m, v], t) => {
    const { lr, indices, cols } = options;
    const b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const stepSize = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    const order = Array.from(indices.keys()).sort((a, b) => indices[a] - indices[b] || a - b);
    for (const k of order) {
      const base = indices[k] * cols;
      const at = k * cols;
      for (let c = 0; c < cols; c++) {
        const i = base + c;
        const gi = g[at + c];
        const mi = m[i] + (gi - m[i]) * (1 - b1);
        const vi = v[i] + (gi * gi - v[i]) * (1 - b2);
        m[i] = mi;
        v[i] = vi;
        p[i] -= (stepSize * mi) / (Math.sqrt(vi) + eps);
      }
    }
  };
}

/** Rprop in torch's order: the step size grows or shrinks by the sign of g * prev, clamped; a flipped sign skips the element. */
function rpropLoop(options) {
  return (p, g, [prev, size]) => {
    const { etaminus, etaplus, min, max } = options;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const s = gi * prev[i];
      const factor = s > 0 ? etaplus : s < 0 ? etaminus : 1;
      const si = Math.min(Math.max(size[i] * factor, min), max);
      size[i] = si;
      const gk = s < 0 ? 0 : gi;
      p[i] -= Math.sign(gk) * si;
      prev[i] = gk;
    }
  };
}

let tf;
async function loadTf() {
  tf ??= await loadTfWasm();
  return tf;
}

/** Each contestant of a row, as measure() takes them: a factory of a fresh model. */
function contestants(row, data) {
  const lucid = async () => {
    const [Class, options] = row.lucid();
    const p = new Parameter(data.params[0], row.shape === undefined ? {} : { shape: row.shape });
    p.grad = row.sparseRows === undefined ? data.grads[0] : { indices: row.sparseRows, values: data.grads[0] };
    return { ...stepping(new Class([p], options), [p]), params: () => p.data.slice() };
  };
  const plain = async () => {
    const p = data.params[0].slice();
    const g = data.grads[0];
    // State as torch creates it: zeros, or filled (Adagrad's sum, Rprop's step sizes).
    const fill = (b) => (Array.isArray(row.plain.fill) ? row.plain.fill[b] : (row.plain.fill ?? 0));
    const buffers = Array.from({ length: row.plain.buffers }, (_, b) => new Float32Array(p.length).fill(fill(b)));
    let t = 0;
    return {
      run(steps) {
        const start = performance.now();
        for (let i = 0; i < steps; i++) row.plain.step(p, g, buffers, ++t);
        return performance.now() - start;
      },
      params: () => p.slice(),
      dispose() {},
    };
  };
  const tfjs = async () => {
    await loadTf();
    const v = tf.variable(tf.tensor1d(data.params[0]));
    const g = tf.tensor1d(data.grads[0]);
    const opt = row.tfjs(tf);
    const named = [{ name: v.name, tensor: g }];
    return {
      activate: () => tf.setBackend('wasm'),
      run(steps) {
        const start = performance.now();
        for (let i = 0; i < steps; i++) opt.applyGradients(named);
        return performance.now() - start;
      },
      params: () => v.dataSync().slice(),
      dispose() {
        opt.dispose();
        tf.dispose([v, g]);
      },
    };
  };
  return [
    { id: 'lucid', create: lucid },
    { id: 'plain-js', create: plain },
    ...(row.tfjs === null ? [] : [{ id: 'tfjs-wasm', create: tfjs }]),
  ];
}

await init();
const data = makeData([elements]);
const meta = machine();
console.log(`lucid-optim, one step per algorithm over ${elements.toLocaleString('en-US')} elements: ${meta.cpu}, ${meta.cores} cores, node ${meta.node}`);
console.log(`${settings.reps} rep(s), batches of >= ${settings.minBatchMs} ms; Melem/s (elements updated per second), and how many times faster lucid-optim is\n`);
const header = `${'algorithm'.padEnd(36)} ${'lucid-optim'.padStart(12)} ${'plain JS'.padStart(12)} ${'tfjs-wasm'.padStart(12)} ${'vs plain'.padStart(9)} ${'vs tfjs'.padStart(8)}`;
console.log(header);
const results = [];
for (const row of ROWS) {
  const peers = contestants(row, data);
  // The same 5 steps from the same values: every contestant agrees with lucid-optim within float32
  // rounding, except tfjs where its formula differs (the row's tfjsTolerance says why).
  let reference;
  for (const peer of peers) {
    const instance = await peer.create();
    await instance.activate?.();
    await instance.run(5);
    const params = instance.params();
    await instance.dispose();
    reference ??= params;
    let worst = 0;
    for (let i = 0; i < params.length; i++) worst = Math.max(worst, Math.abs(params[i] - reference[i]) / Math.max(Math.abs(reference[i]), 1e-3));
    const tolerance = peer.id === 'tfjs-wasm' ? (row.tfjsTolerance ?? 1e-4) : 1e-4;
    if (!(worst <= tolerance)) throw new Error(`${row.id}: ${peer.id} disagrees with lucid-optim after 5 steps (relative difference ${worst})`);
  }
  const measured = await measure(
    peers.map((peer) => peer.create),
    settings,
  );
  const melem = measured.map((m) => elements / median(m.samples) / 1000);
  const byId = Object.fromEntries(peers.map((peer, i) => [peer.id, melem[i]]));
  const ratio = (id) => (byId[id] === undefined ? '' : `${(byId.lucid / byId[id]).toFixed(2)}x`);
  const cell = (id) => (byId[id] === undefined ? 'n/a' : byId[id].toFixed(0));
  console.log(
    `${row.label.padEnd(36)} ${cell('lucid').padStart(12)} ${cell('plain-js').padStart(12)} ${cell('tfjs-wasm').padStart(12)} ${ratio('plain-js').padStart(9)} ${ratio('tfjs-wasm').padStart(8)}`,
  );
  results.push({ id: row.id, melemPerSecond: byId });
}
if (tf !== undefined) tf.disposeVariables();
console.log('\nplain JS: the formula in torch\'s order over Float32Arrays, in float64 per element; tfjs-wasm: tfjs-backend-wasm (SIMD, one thread). n/a: tf.train has no such optimizer.');
