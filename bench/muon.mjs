#!/usr/bin/env node
// Muon: its matrix product, and its step, against peers measured interleaved in the same run
// (bench/lib/measure.mjs). See docs/benchmarks.md.
//
// 1. Matrix products, n×n times n×n (2n³ floating-point operations), in GFLOP/s:
//    - lucid-optim: the blocked SIMD product in the Rust core (crates/optim-core/src/kernel/matmul.rs),
//      as Muon runs it, with no export of its own: the time of a Muon step with nsSteps 5 minus the
//      time of one with nsSteps 0 (the same step without the iteration) is 5 Newton–Schulz
//      iterations, each three n×n products (X·Xᵀ, A·A, B·X) and two transposes;
//    - plain JS: the i-k-j triple loop over Float32Arrays (rows streamed, written for speed);
//    - tfjs-wasm: tf.matMul on tfjs-backend-wasm (XNNPACK, SIMD, one thread).
// 2. A Muon step on a 256×512 matrix (torch's defaults): lucid-optim against the same algorithm in
//    plain JavaScript (the loops of 1., float64 scalars as torch's), which first agrees with it.
//
//   npm run bench                  (runs this with the other benchmarks)
//   node bench/muon.mjs            after `npm run build`
//   node bench/muon.mjs --quick    tiny sizes, one rep: checks that it runs (npm test)

import { parseArgs } from 'node:util';
import { Muon, Parameter, init } from '../dist/node.mjs';
import { mulberry32 } from '../reference/rng.mjs';
import { machine } from './lib/machine.mjs';
import { measure, median, stepping } from './lib/measure.mjs';
import { loadTfWasm, tfjsWasmVersion } from './lib/tfjs-wasm.mjs';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = args.quick;
const SIZES = quick ? [16, 40] : [512, 1024];
const STEP_SHAPE = quick ? [12, 20] : [256, 512];
const settings = { reps: quick ? 1 : 5, warmupMs: quick ? 0 : 300, minWarmupSteps: quick ? 1 : 2, minBatchMs: quick ? 0 : 200, maxStepsPerModel: 1_000 };

/** Seeded values in [-1, 1) (the repository's one generator). */
function values(seed, length) {
  const next = mulberry32(seed);
  return Float32Array.from({ length }, () => 2 * next() - 1);
}

/** c = a · b (m×k times k×n), the i-k-j loop: each row of b streamed into a row of c. */
function matmul(a, b, c, m, k, n) {
  c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
    }
  }
}

function transpose(from, to, rows, cols) {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) to[j * rows + i] = from[i * cols + j];
}

/** One Muon step in plain JavaScript (torch's _single_tensor_muon, float32 arrays, float64 scalars). */
function plainMuon(rows, cols, param, grad, buf, o) {
  const { lr, weightDecay: wd, momentum, nsCoefficients: [a, b, c], eps, nsSteps } = o;
  const tall = rows > cols;
  const [m, n] = tall ? [cols, rows] : [rows, cols];
  const len = rows * cols;
  const u = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    buf[i] += (1 - momentum) * (grad[i] - buf[i]);
    u[i] = grad[i] + momentum * (buf[i] - grad[i]);
  }
  let x = new Float32Array(len);
  if (tall) transpose(u, x, rows, cols);
  else x.set(u);
  let sum = 0;
  for (let i = 0; i < len; i++) sum += x[i] * x[i];
  const norm = Math.max(Math.sqrt(sum), eps);
  for (let i = 0; i < len; i++) x[i] /= norm;
  const t = new Float32Array(len);
  const gram = new Float32Array(m * m);
  const sq = new Float32Array(m * m);
  let bx = new Float32Array(len);
  for (let s = 0; s < nsSteps; s++) {
    transpose(x, t, m, n);
    matmul(x, t, gram, m, n, m);
    matmul(gram, gram, sq, m, m, m);
    for (let i = 0; i < m * m; i++) sq[i] = b * gram[i] + c * sq[i];
    matmul(sq, x, bx, m, m, n);
    for (let i = 0; i < len; i++) bx[i] = a * x[i] + bx[i];
    [x, bx] = [bx, x];
  }
  const update = tall ? new Float32Array(len) : x;
  if (tall) transpose(x, update, m, n);
  const adjusted = lr * Math.sqrt(Math.max(1, rows / cols));
  for (let i = 0; i < len; i++) param[i] = param[i] * (1 - lr * wd) - adjusted * update[i];
}

/** A contestant taking Muon steps on an n×n matrix with `nsSteps` iterations. */
const lucidMuon = (n, nsSteps) => () => {
  const p = new Parameter(values(1, n * n), { shape: [n, n] });
  p.grad = values(2, n * n);
  return stepping(new Muon([p], { nsSteps, lr: 1e-4 }), [p]);
};

await init();
const tf = await loadTfWasm();
const meta = machine();
console.log(`Muon's matrix product and step: ${meta.cpu}, ${meta.cores} cores, node ${meta.node}, tfjs-backend-wasm ${tfjsWasmVersion()}`);
console.log(`${settings.reps} rep(s), batches of >= ${settings.minBatchMs} ms, medians\n`);
console.log(`${'n×n · n×n'.padEnd(12)} ${'lucid-optim'.padStart(12)} ${'plain JS'.padStart(10)} ${'tfjs-wasm'.padStart(10)} ${'vs JS'.padStart(7)} ${'vs tfjs'.padStart(8)}   (GFLOP/s)`);
for (const n of SIZES) {
  const a = values(3, n * n);
  const b = values(4, n * n);
  const plain = () => {
    const c = new Float32Array(n * n);
    return {
      run(steps) {
        const start = performance.now();
        for (let i = 0; i < steps; i++) matmul(a, b, c, n, n, n);
        return performance.now() - start;
      },
      dispose() {},
    };
  };
  const tfjs = () => {
    const [ta, tb] = [tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])];
    return {
      run(steps) {
        const start = performance.now();
        for (let i = 0; i < steps; i++) tf.matMul(ta, tb).dispose();
        return performance.now() - start;
      },
      dispose: () => tf.dispose([ta, tb]),
    };
  };
  // The two agree (a check that the peers compute the product asked for).
  const want = new Float32Array(n * n);
  matmul(a, b, want, n, n, n);
  const got = tf.tidy(() => tf.matMul(tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])).dataSync());
  const worst = want.reduce((w, v, i) => Math.max(w, Math.abs(v - got[i])), 0);
  if (!(worst <= 1e-3 * Math.sqrt(n))) throw new Error(`tfjs's matMul and the plain loop disagree at n = ${n}: ${worst}`);
  const [with5, with0, js, wasm] = (await measure([lucidMuon(n, 5), lucidMuon(n, 0), plain, tfjs], settings)).map((m) => median(m.samples));
  const flops = 2 * n ** 3;
  const gflops = (ms) => flops / ms / 1e6;
  const lucid = gflops((with5 - with0) / 15);
  console.log(
    `${`${n}`.padEnd(12)} ${lucid.toFixed(2).padStart(12)} ${gflops(js).toFixed(2).padStart(10)} ${gflops(wasm).toFixed(2).padStart(10)} ${`${(lucid / gflops(js)).toFixed(1)}x`.padStart(7)} ${`${(lucid / gflops(wasm)).toFixed(2)}x`.padStart(8)}`,
  );
}

const [rows, cols] = STEP_SHAPE;
const len = rows * cols;
const DEFAULTS = { lr: 1e-3, weightDecay: 0.1, momentum: 0.95, nsCoefficients: [3.4445, -4.775, 2.0315], eps: 1e-7, nsSteps: 5 };
const lucidStep = (lr = DEFAULTS.lr) => () => {
  const p = new Parameter(values(5, len), { shape: [rows, cols] });
  p.grad = values(6, len);
  return { ...stepping(new Muon([p], { lr }), [p]), data: () => p.data.slice() };
};
const plainStep = (lr = DEFAULTS.lr) => () => {
  const options = { ...DEFAULTS, lr };
  const param = values(5, len);
  const grad = values(6, len);
  const buf = new Float32Array(len);
  return {
    run(steps) {
      const start = performance.now();
      for (let i = 0; i < steps; i++) plainMuon(rows, cols, param, grad, buf, options);
      return performance.now() - start;
    },
    data: () => param.slice(),
    dispose() {},
  };
};
// Two steps of each from the same values, at lr 0.05 (so that the parameters move well beyond their
// float32 rounding): the same parameters within the rounding of the products.
{
  const [x, y] = [lucidStep(0.05)(), plainStep(0.05)()];
  x.run(2);
  y.run(2);
  const [p, q, p0] = [x.data(), y.data(), values(5, len)];
  x.dispose();
  let diff = 0;
  let moved = 0;
  for (let i = 0; i < len; i++) {
    diff += (p[i] - q[i]) ** 2;
    moved += (q[i] - p0[i]) ** 2;
  }
  if (!(Math.sqrt(diff / moved) <= 1e-4)) throw new Error(`the plain Muon disagrees with lucid-optim's after 2 steps: relative ${Math.sqrt(diff / moved)}`);
}
const [lucidMs, plainMs] = (await measure([lucidStep(), plainStep()], settings)).map((m) => median(m.samples));
console.log(`\n${'Muon step'.padEnd(22)} ${'lucid-optim'.padStart(12)} ${'plain JS'.padStart(10)} ${'vs plain'.padStart(9)}   (ms per step)`);
console.log(`${`${rows}×${cols}, defaults`.padEnd(22)} ${lucidMs.toFixed(2).padStart(12)} ${plainMs.toFixed(2).padStart(10)} ${`${(plainMs / lucidMs).toFixed(1)}x`.padStart(9)}`);
