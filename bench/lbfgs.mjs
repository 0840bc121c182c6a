#!/usr/bin/env node
// LBFGS: one `step(closure)` of 5 iterations over a separable quadratic of 1M float32 elements,
// lucid-optim against the same algorithm in plain JavaScript (torch's loop without a line search:
// the two-loop recursion over Float32Arrays, dot products in float64), with the same closure,
// measured interleaved in one run (bench/lib/measure.mjs). A third row times the closure alone (5
// calls and the gradient's copy into the Parameter): what is left is the optimizer's own work.
// The tolerances are negative so that every step runs all 5 iterations (5 closure calls).
//
//   npm run bench                   (runs this with the other benchmarks)
//   node bench/lbfgs.mjs            after `npm run build`
//   node bench/lbfgs.mjs --quick    1,003 elements, one rep: checks that it runs (npm test)
//
// Before timing, both contestants take 2 steps from the same values and must agree: their
// parameters' distance ||p_lucid - p_plain||_2 / ||p_plain - p_0||_2 at most 1e-4 (plain JS keeps
// its recursion's coefficients and t in float64, lucid-optim in float32 as torch).

import { parseArgs } from 'node:util';
import { LBFGS, Parameter, init } from '../dist/node.mjs';
import { relativeDistance } from '../reference/float32.mjs';
import { mulberry32 } from '../reference/rng.mjs';
import { machine } from './lib/machine.mjs';
import { measure, median } from './lib/measure.mjs';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = args.quick;
const N = quick ? 1_003 : 1_000_000;
const ITERATIONS = 5;
const HISTORY = 10;
const OPTIONS = { maxIter: ITERATIONS, historySize: HISTORY, toleranceGrad: -1, toleranceChange: -1 };
const settings = { reps: quick ? 1 : 7, warmupMs: quick ? 0 : 300, minWarmupSteps: quick ? 1 : 2, minBatchMs: quick ? 0 : 200, maxStepsPerModel: 200 };

const next = mulberry32(2150);
const initial = Float32Array.from({ length: N }, () => 4 * next() - 2);
const m = Float32Array.from({ length: N }, () => 2 * next() - 1);
const c = Float32Array.from({ length: N }, () => 0.5 + 3.5 * next());

/** f(x) = Σ c (x - m)², its gradient into `grad`. */
function objective(x, grad) {
  let loss = 0;
  for (let k = 0; k < N; k++) {
    const u = x[k] - m[k];
    grad[k] = 2 * c[k] * u;
    loss += c[k] * u * u;
  }
  return loss;
}

const dot = (a, b) => {
  let s = 0;
  for (let k = 0; k < N; k++) s += a[k] * b[k];
  return s;
};

/** torch's LBFGS loop without a line search, in plain JavaScript (one step(closure) call). */
function plainLbfgs() {
  const x = initial.slice();
  const g = new Float32Array(N);
  const prev = new Float32Array(N);
  const d = new Float32Array(N);
  const y = new Float32Array(N);
  const s = new Float32Array(N);
  const dirs = [];
  const stps = [];
  const ro = [];
  const al = new Float64Array(HISTORY);
  let hDiag = 1;
  let t = 0;
  let nIter = 0;
  const step = () => {
    objective(x, g);
    for (let it = 0; it < ITERATIONS; it++) {
      nIter++;
      if (nIter === 1) {
        for (let k = 0; k < N; k++) d[k] = -g[k];
      } else {
        for (let k = 0; k < N; k++) {
          y[k] = g[k] - prev[k];
          s[k] = d[k] * t;
        }
        const ys = dot(y, s);
        if (ys > 1e-10) {
          // Kept: into the oldest pair's arrays once the history is full, as lucid-optim does.
          const full = dirs.length === HISTORY;
          const [keptY, keptS] = full ? [dirs.shift(), stps.shift()] : [new Float32Array(N), new Float32Array(N)];
          if (full) ro.shift();
          keptY.set(y);
          keptS.set(s);
          dirs.push(keptY);
          stps.push(keptS);
          ro.push(1 / ys);
          hDiag = ys / dot(y, y);
        }
        for (let k = 0; k < N; k++) d[k] = -g[k];
        for (let i = dirs.length - 1; i >= 0; i--) {
          al[i] = dot(stps[i], d) * ro[i];
          const a = al[i];
          const yi = dirs[i];
          for (let k = 0; k < N; k++) d[k] -= a * yi[k];
        }
        for (let k = 0; k < N; k++) d[k] *= hDiag;
        for (let i = 0; i < dirs.length; i++) {
          const coef = al[i] - dot(dirs[i], d) * ro[i];
          const si = stps[i];
          for (let k = 0; k < N; k++) d[k] += coef * si[k];
        }
      }
      prev.set(g);
      if (nIter === 1) {
        let sum = 0;
        for (let k = 0; k < N; k++) sum += Math.abs(g[k]);
        t = Math.min(1, 1 / sum);
      } else {
        t = 1;
      }
      for (let k = 0; k < N; k++) x[k] += t * d[k];
      if (it !== ITERATIONS - 1) objective(x, g);
    }
  };
  return { x, step };
}

/** A contestant: `k` calls of `step`, timed. */
const timed = (step) => (k) => {
  const start = performance.now();
  for (let i = 0; i < k; i++) step();
  return performance.now() - start;
};

function lucidModel() {
  const x = new Parameter(initial);
  const opt = new LBFGS([x], OPTIONS);
  const g = new Float32Array(N);
  const closure = () => {
    const loss = objective(x.data, g);
    x.grad = g;
    return loss;
  };
  return { x, run: timed(() => opt.step(closure)), params: () => x.data.slice(), dispose: () => (opt.dispose(), x.dispose()) };
}

function plainModel() {
  const model = plainLbfgs();
  return { run: timed(model.step), params: () => model.x.slice(), dispose() {} };
}

function closureModel() {
  const x = new Parameter(initial);
  const g = new Float32Array(N);
  const run = timed(() => {
    for (let i = 0; i < ITERATIONS; i++) {
      objective(x.data, g);
      x.grad = g;
    }
  });
  return { run, dispose: () => x.dispose() };
}

await init();
// The same 2 steps from the same values: plain JS agrees with lucid-optim.
const [a, b] = [lucidModel(), plainModel()];
a.run(2);
b.run(2);
const distance = relativeDistance(a.params(), Array.from(b.params()), Array.from(initial));
a.dispose();
if (!(distance <= 1e-4)) throw new Error(`plain-JS LBFGS disagrees with lucid-optim after 2 steps (distance ${distance})`);

const meta = machine();
console.log(`LBFGS, one step(closure) of ${ITERATIONS} iterations (history ${HISTORY}) over ${N.toLocaleString('en-US')} elements: ${meta.cpu}, ${meta.cores} cores, node ${meta.node}`);
const measured = await measure([async () => lucidModel(), async () => plainModel(), async () => closureModel()], settings);
const [lucid, plain, closure] = measured.map((r) => median(r.samples));
console.log(`${'contestant'.padEnd(34)} ${'ms per step'.padStart(12)} ${'without the closure'.padStart(20)}`);
console.log(`${'lucid-optim'.padEnd(34)} ${lucid.toFixed(2).padStart(12)} ${(lucid - closure).toFixed(2).padStart(20)}`);
console.log(`${'plain JS'.padEnd(34)} ${plain.toFixed(2).padStart(12)} ${(plain - closure).toFixed(2).padStart(20)}`);
console.log(`${'the closure alone (5 calls)'.padEnd(34)} ${closure.toFixed(2).padStart(12)}`);
console.log(`lucid-optim vs plain JS: ${(plain / lucid).toFixed(2)}x per step, ${((plain - closure) / (lucid - closure)).toFixed(2)}x without the closure`);
