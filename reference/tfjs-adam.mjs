// lucid-optim next to TensorFlow.js's tf.train.adam on the same gradients, with the float64 model
// (adam-reference.mjs) and a first-order float32 error bound for each side. Shared by
// test/e2e/fidelity/tfjs.test.ts and scripts/fidelity.mjs. Not shipped.
//
// tfjs computes the same formula as PyTorch (lr * m_hat / (sqrt(v_hat) + eps) equals
// lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)) in other float32 operations
// (tfjs-core/src/optimizers/adam_optimizer.ts):
//   - m = m * beta1 + g * (1 - beta1), not PyTorch's lerp; v = v * beta2 + square(g) * (1 - beta2);
//   - m and v divided by (1 - beta^t), then * -lr, as float32 tensor operations;
//   - beta^t from a float32 accumulator multiplied by beta each step, so the bias corrections start
//     from 1 - float32(0.999) = 0.00099998713 instead of 0.001: v_hat 1.3e-5 too large at step 1
//     (relative), the update 6.4e-6 too small; and one global step count for all variables.
// The CPU backend computes each operation in float64 and stores float32: one correct rounding.

import { ReferenceAdam } from './adam-reference.mjs';
import { rho } from './float32.mjs';
import { makeProblem, seedOf } from './trajectory.mjs';

export const TFJS_SIZES = Object.freeze([1, 7, 33, 257]);
export const TFJS_STEPS = 200;
export const TFJS_CHECKPOINTS = Object.freeze([1, 2, 10, 50, 100, 200]);

/** What tf.train.adam has: lr, betas, eps (no weight decay, AMSGrad or maximize). */
export const TFJS_CONFIGS = Object.freeze([
  { name: 'lr=1e-3 betas=(0.9,0.999) eps=1e-8 (defaults but eps)', h: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8 } },
  { name: 'lr=0.05 betas=(0.8,0.95) eps=1e-6', h: { lr: 0.05, betas: [0.8, 0.95], eps: 1e-6 } },
  // 1 - beta1 >= 0.5: lucid (as torch.lerp) takes lerp's other formula; tfjs has no lerp.
  { name: 'lr=1e-2 betas=(0.3,0.9) eps=1e-8', h: { lr: 1e-2, betas: [0.3, 0.9], eps: 1e-8 } },
  { name: 'lr=1e-4 betas=(0.95,0.9999) eps=1e-10', h: { lr: 1e-4, betas: [0.95, 0.9999], eps: 1e-10 } },
]);

/**
 * First-order error bounds of tfjs's Adam in float32 around the float64 model, element by element,
 * in tfjs's operations, built like ReferenceAdam's: every float32 rounding at most `rho(result)`,
 * every float32-rounded constant its rounding error, earlier errors through each recurrence.
 */
export class TfjsBounds {
  #h;
  #eAcc1;
  #eAcc2;

  constructor(sizes, h) {
    this.#h = h;
    this.param = sizes.map((n) => new Float64Array(n));
    this.expAvg = sizes.map((n) => new Float64Array(n));
    this.expAvgSq = sizes.map((n) => new Float64Array(n));
    // accBeta = scalar(beta): rounded once. Its error, as that of beta^t, follows below.
    this.#eAcc1 = rho(h.betas[0]);
    this.#eAcc2 = rho(h.betas[1]);
  }

  /** Step t (1-based, tfjs's global count); `before`/`after`: the float64 model around it. */
  step(t, grads, before, after) {
    const { lr, eps } = this.#h;
    const [b1, b2] = this.#h.betas;
    const c1 = 1 - b1;
    const c2 = 1 - b2;
    // oneMinusAccBeta = 1 - accBeta
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    const eBc1 = this.#eAcc1 + rho(bc1);
    const eBc2 = this.#eAcc2 + rho(bc2);
    grads.forEach((grad, i) => {
      for (let e = 0; e < grad.length; e++) {
        const g = grad[e];
        const m = before.m[i][e];
        const v = before.v[i][e];
        const m1 = after.m[i][e];
        const v1 = after.v[i][e];
        // m' = m * beta1 + g * (1 - beta1)
        const em = b1 * this.expAvg[i][e] + rho(b1) * Math.abs(m) + rho(b1 * m) + rho(c1) * Math.abs(g) + rho(c1 * g) + rho(m1);
        // v' = v * beta2 + square(g) * (1 - beta2)
        const ev = b2 * this.expAvgSq[i][e] + rho(b2) * v + rho(b2 * v) + c2 * rho(g * g) + rho(c2) * g * g + rho(c2 * g * g) + rho(v1);
        // m_hat = m' / (1 - accBeta1), v_hat = v' / (1 - accBeta2)
        const mHat = m1 / bc1;
        const vHat = v1 / bc2;
        const emHat = em / bc1 + (Math.abs(m1) * eBc1) / (bc1 * bc1) + rho(mHat);
        const evHat = ev / bc2 + (v1 * eBc2) / (bc2 * bc2) + rho(vHat);
        // value + (m_hat / (sqrt(v_hat) + eps)) * -lr
        const s = Math.sqrt(vHat);
        const es = (s > 0 ? Math.min(evHat / (2 * s), Math.sqrt(evHat)) : Math.sqrt(evHat)) + rho(s);
        const D = s + eps;
        const eD = es + rho(eps) + rho(D);
        const q = mHat / D;
        const eq = eD < D ? emHat / D + (Math.abs(mHat) * eD) / (D * D) + rho(q) : Infinity;
        const eUpdate = lr * eq + rho(lr) * Math.abs(q) + rho(lr * q);
        this.param[i][e] += eUpdate + rho(after.p[i][e]);
        this.expAvg[i][e] = em;
        this.expAvgSq[i][e] = ev;
      }
    });
    // accBeta = accBeta * beta, after the update
    this.#eAcc1 = b1 * this.#eAcc1 + b1 ** t * rho(b1) + rho(b1 ** (t + 1));
    this.#eAcc2 = b2 * this.#eAcc2 + b2 ** t * rho(b2) + rho(b2 ** (t + 1));
  }
}

function modelValues(ref) {
  const zeros = (i) => new Float64Array(ref.params[i].length);
  return {
    p: ref.params.map((p) => p.slice()),
    m: ref.params.map((_, i) => ref.state[i]?.expAvg.slice() ?? zeros(i)),
    v: ref.params.map((_, i) => ref.state[i]?.expAvgSq.slice() ?? zeros(i)),
  };
}

/**
 * Runs lucid-optim (`lucid`, initialised), tf.train.adam (`tf`, a ready tfjs-core with the CPU
 * backend; with eps `tfjsEps`, or tfjs's default when null) and the float64 model for TFJS_STEPS
 * steps on a seeded problem; returns snapshots at TFJS_CHECKPOINTS and the tfjs optimizer.
 */
export async function runTfjs(lucid, tf, name, h, { tfjsEps = h.eps, referenceKernel = false } = {}) {
  const problem = makeProblem(seedOf(`tfjs ${name}`), TFJS_SIZES);
  const params = problem.initial.map((x) => new lucid.Parameter(x));
  const opt = new lucid.Adam(params, { lr: h.lr, betas: h.betas, eps: h.eps });
  if (referenceKernel) opt._useReferenceKernel(true);
  const vars = problem.initial.map((x) => tf.variable(tf.tensor1d(x)));
  const tfOpt = tfjsEps === null ? tf.train.adam(h.lr, h.betas[0], h.betas[1]) : tf.train.adam(h.lr, h.betas[0], h.betas[1], tfjsEps);
  const ref = new ReferenceAdam(problem.initial, [{ params: TFJS_SIZES.map((_, i) => i), lr: h.lr, betas: h.betas, eps: h.eps }]);
  const tfBounds = new TfjsBounds(TFJS_SIZES, h);
  const snaps = [];
  try {
    for (let step = 1; step <= TFJS_STEPS; step++) {
      const grads = problem.nextGrads();
      grads.forEach((g, i) => {
        params[i].grad = g;
      });
      opt.step();
      tf.tidy(() => tfOpt.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor1d(grads[i])]))));
      const before = modelValues(ref);
      ref.step(grads);
      const after = modelValues(ref);
      tfBounds.step(step, grads, before, after);
      if (!TFJS_CHECKPOINTS.includes(step)) continue;
      const weights = await tfOpt.getWeights(); // [iterations, m of each variable, v of each variable]
      const moments = weights.slice(1).map((w) => w.tensor.dataSync());
      const { state } = opt.stateDict();
      snaps.push({
        step,
        lucid: { p: params.map((p) => p.data.slice()), m: params.map((_, i) => state[i].expAvg), v: params.map((_, i) => state[i].expAvgSq) },
        tfjs: { p: vars.map((v) => v.dataSync().slice()), m: moments.slice(0, vars.length), v: moments.slice(vars.length) },
        reference: after,
        boundLucid: {
          p: ref.bounds.map((b) => b.param.slice()),
          m: ref.bounds.map((b) => b.expAvg.slice()),
          v: ref.bounds.map((b) => b.expAvgSq.slice()),
        },
        boundTfjs: { p: tfBounds.param.map((b) => b.slice()), m: tfBounds.expAvg.map((b) => b.slice()), v: tfBounds.expAvgSq.map((b) => b.slice()) },
      });
    }
  } finally {
    opt.dispose();
    params.forEach((p) => p.dispose());
    vars.forEach((v) => v.dispose());
  }
  return { snaps, tfjsOptimizer: tfOpt };
}
