#!/usr/bin/env node
// One row per algorithm: a step over 1M float32 elements (one parameter) with lucid-optim, against
// a plain JavaScript loop over Float32Arrays (the same formula, in torch's operation order, written
// for speed: one loop per option set, constants hoisted, no allocation) and, where TensorFlow.js
// has the algorithm, tfjs-backend-wasm (XNNPACK, SIMD, one thread): tf.train.adam, tf.train.sgd,
// tf.train.momentum. All measured interleaved in the same run (bench/lib/measure.mjs), so their
// ratios hold on a busy machine; the absolute times do not, and nothing asserts them.
//
//   npm run bench                           (runs this after the Adam benchmark)
//   node bench/algorithms.mjs               after `npm run build`
//   node bench/algorithms.mjs --quick       1,003 elements, one rep: checks that every row runs (npm test)
//
// Before timing, every contestant takes 5 steps from the same values and gradients and must agree
// with lucid-optim within float32 rounding (the plain loops compute in float64; tfjs in float32).

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Adam, AdamW, Parameter, SGD, init } from '../dist/node.mjs';
import { makeData } from './lib/data.mjs';
import { machine } from './lib/machine.mjs';
import { measure, median } from './lib/measure.mjs';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, reps: { type: 'string' } } });
const quick = args.quick;
const elements = quick ? 1_003 : 1_000_000;
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

const require = createRequire(import.meta.url);
let tf;
async function loadTf() {
  if (tf) return tf;
  tf = require('@tensorflow/tfjs-core');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  tf.enableProdMode();
  await tf.setBackend('wasm');
  await tf.ready();
  return tf;
}

/** Each contestant of a row, as measure() takes them: a factory of a fresh model. */
function contestants(row, data) {
  const lucid = async () => {
    const [Class, options] = row.lucid();
    const p = new Parameter(data.params[0]);
    p.grad = data.grads[0];
    const opt = new Class([p], options);
    return {
      run(steps) {
        const start = performance.now();
        for (let i = 0; i < steps; i++) opt.step();
        return performance.now() - start;
      },
      params: () => p.data.slice(),
      dispose() {
        opt.dispose();
        p.dispose();
      },
    };
  };
  const plain = async () => {
    const p = data.params[0].slice();
    const g = data.grads[0];
    const buffers = Array.from({ length: row.plain.buffers }, () => new Float32Array(p.length));
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
  // The same 5 steps from the same values: every contestant agrees with lucid-optim within float32 rounding.
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
    if (!(worst <= 1e-4)) throw new Error(`${row.id}: ${peer.id} disagrees with lucid-optim after 5 steps (relative difference ${worst})`);
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
