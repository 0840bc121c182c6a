// A float64 model of torch.optim.Adam's single-tensor path (torch/optim/adam.py, `_single_tensor_adam`),
// for the fidelity and fuzz suites (test/) and the ulp report (scripts/fidelity.mjs). Never shipped
// with the package. Plain JavaScript so that Node runs it as is; types in adam-reference.d.mts.
//
// Next to the float64 values it keeps, per element, a first-order bound on how far a float32 run of
// the same steps (lucid-optim's kernel, PyTorch's op order, crates/adam-core/src/kernel/mod.rs) can
// be from them: the tolerance of the trajectory suite. See `ReferenceAdam.bounds`.

import { rho } from './float32.mjs';

/** torch.optim.Adam's defaults. */
export const DEFAULTS = Object.freeze({
  lr: 1e-3,
  betas: Object.freeze([0.9, 0.999]),
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
});

/** PyTorch's semantics; the other values name formulas other libraries or papers use. */
export const PYTORCH = Object.freeze({
  /** 'raw-v': max of the raw second moment, then / sqrt(bias_correction2) (PyTorch).
   *  'bias-corrected-v': max of v_hat = v / bias_correction2, then sqrt (a common description). */
  amsgrad: 'raw-v',
  /** 'after-bias-correction': sqrt(v) / sqrt(bc2) + eps (PyTorch, TensorFlow.js, paper's Algorithm 1).
   *  'hat': sqrt(v) + eps with lr * sqrt(bc2) / bc1 (Keras; the paper's "epsilon hat"). */
  eps: 'after-bias-correction',
  /** 'l2': grad + weight_decay * p (torch Adam).  'decoupled': p *= 1 - lr * weight_decay (AdamW). */
  weightDecay: 'l2',
});

function isPyTorch(semantics) {
  return Object.keys(PYTORCH).every((key) => semantics[key] === PYTORCH[key]);
}

/** |fround(x) - x| bound, for a float64 scalar the kernel rounds to float32 once per step. */
const scalarError = rho;

/**
 * Adam in float64 over parameter groups, as PyTorch steps it: parameters without a gradient
 * (`null`) are skipped entirely; state is created at a parameter's first step; each parameter
 * counts its own steps; hyperparameters are read from `paramGroups` at every step.
 */
export class ReferenceAdam {
  /**
   * @param initial initial values of every parameter (float32 values, held as float64)
   * @param groups `{ params: indices into initial, ...options }`, options defaulting to PyTorch's
   * @param options `semantics` overrides PyTorch's formulas (to show a test can tell them apart)
   */
  constructor(initial, groups, options = {}) {
    this.semantics = Object.freeze({ ...PYTORCH, ...(options.semantics ?? {}) });
    this.params = initial.map((values) => Float64Array.from(values));
    this.paramGroups = groups.map((g) => ({
      ...DEFAULTS,
      ...g,
      betas: [...(g.betas ?? DEFAULTS.betas)],
      params: [...g.params],
    }));
    this.state = this.params.map(() => undefined);
    // Bounds exist only for PyTorch's semantics: they describe a float32 run of PyTorch's op order.
    this.bounds = isPyTorch(this.semantics)
      ? this.params.map((p) => ({ param: new Float64Array(p.length), expAvg: undefined, expAvgSq: undefined, maxExpAvgSq: undefined }))
      : undefined;
  }

  /**
   * One step; `grads[i]` is parameter i's gradient (float32 values) or null (skip it).
   *
   * `weightDecayAt[i]`, if given, holds the parameter values the L2 term `weight_decay * p` is
   * evaluated at (e.g. lucid-optim's float32 parameters before the same step), instead of this
   * model's own. With weight decay, a parameter feeds back into its own gradient; where gradients
   * are tiny, `weight_decay * p` dominates and the parameter circles around 0 on a limit cycle along
   * which errors never decay, so no element-wise bound can follow an independent run. Evaluating
   * the term at the other run's values cuts that loop (it becomes an input, like the gradient),
   * and the comparison measures each step's arithmetic, all along the trajectory.
   */
  step(grads, weightDecayAt = undefined) {
    for (const group of this.paramGroups) {
      for (const i of group.params) {
        const grad = grads[i];
        if (grad === null || grad === undefined) continue;
        this.#stepParam(i, grad, group, weightDecayAt?.[i]);
      }
    }
  }

  #stepParam(i, grad, group, decayAt) {
    const p = this.params[i];
    const n = p.length;
    if (grad.length !== n) throw new RangeError(`grad ${i} has length ${grad.length}, parameter has ${n}`);
    let st = this.state[i];
    const b = this.bounds?.[i];
    if (st === undefined) {
      st = this.state[i] = { step: 0, expAvg: new Float64Array(n), expAvgSq: new Float64Array(n), maxExpAvgSq: undefined };
      if (b) {
        b.expAvg = new Float64Array(n);
        b.expAvgSq = new Float64Array(n);
      }
    }
    if (group.amsgrad && st.maxExpAvgSq === undefined) {
      // PyTorch creates it with the state; lucid-optim also when AMSGrad is switched on later.
      st.maxExpAvgSq = new Float64Array(n);
      if (b) b.maxExpAvgSq = new Float64Array(n);
    }
    st.step += 1;
    const t = st.step;
    const { lr, eps, weightDecay: wd, amsgrad, maximize } = group;
    const [beta1, beta2] = group.betas;
    // Python floats: `1 - beta1 ** step` etc., in float64.
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    const stepSize = lr / bc1;
    const bc2Sqrt = Math.sqrt(bc2);
    const sem = this.semantics;
    const m = st.expAvg;
    const v = st.expAvgSq;
    const vmax = st.maxExpAvgSq;

    for (let e = 0; e < n; e++) {
      const g0 = maximize ? -grad[e] : grad[e];
      if (sem.weightDecay === 'decoupled' && wd !== 0) p[e] *= 1 - lr * wd;
      // The value weight decay multiplies: this model's parameter, or the one given (see step()).
      const pDecay = decayAt === undefined ? p[e] : decayAt[e];
      const g = sem.weightDecay === 'l2' && wd !== 0 ? g0 + wd * pDecay : g0;
      // exp_avg.lerp_(grad, 1 - beta1)
      const mNew = m[e] + (1 - beta1) * (g - m[e]);
      // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
      const vNew = v[e] * beta2 + (1 - beta2) * g * g;
      let vUsed = vNew;
      if (amsgrad) {
        if (sem.amsgrad === 'raw-v') {
          vmax[e] = maxNaN(vmax[e], vNew);
          vUsed = vmax[e];
        } else {
          vmax[e] = maxNaN(vmax[e], vNew / bc2);
          vUsed = vmax[e] * bc2; // so that the lines below divide it back out
        }
      }
      let denom;
      let update;
      if (sem.eps === 'after-bias-correction') {
        // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        denom = Math.sqrt(vUsed) / bc2Sqrt + eps;
        // param.addcdiv_(exp_avg, denom, value=-step_size)
        update = (-stepSize * mNew) / denom;
      } else {
        denom = Math.sqrt(vUsed) + eps;
        update = (-(stepSize * bc2Sqrt) * mNew) / denom;
      }
      const pNew = p[e] + update;
      if (b) {
        const x = { g, pDecay, mOld: m[e], mNew, vOld: v[e], vNew, vUsed, pNew, denom, stepSize, bc2Sqrt, update };
        propagateBounds(b, e, x, group, decayAt !== undefined);
      }
      m[e] = mNew;
      v[e] = vNew;
      p[e] = pNew;
    }
  }
}

/**
 * First-order running error analysis of one element's float32 step in the kernel's op order (the
 * tolerance of the trajectory suite): from the bounds before the step, the bounds after it.
 *
 * Each float32 operation adds at most `rho(result)` (half an ulp, or 2^-150 among subnormals); each
 * hyperparameter the kernel rounds to float32 (beta2 = 0.999 becomes 0.99900001287...) adds its
 * rounding error times its operand; earlier errors pass through every path with the absolute value
 * of its coefficient (beta1 for exp_avg, beta2 for exp_avg_sq, 1 for the parameter, the actual
 * derivative of sqrt, max and the division for the update). sqrt and max are bounded without
 * linearising (sqrt(v + e) - sqrt(v) <= min(e / (2 sqrt v), sqrt e); max is 1-Lipschitz), the
 * division is linearised: terms with a product of two errors are left out, which is sound while
 * the relative error of the denominator is small (it is checked: below 1 or the bound is Infinity).
 *
 * `wdExact`: the weight-decay term used given, exact values (see ReferenceAdam.step), so a
 * parameter's own error does not reach its gradient.
 */
function propagateBounds(b, e, x, group, wdExact) {
  const { eps, weightDecay: wd, amsgrad } = group;
  const [beta1, beta2] = group.betas;
  const w = 1 - beta1;
  const c = 1 - beta2;
  const ep = b.param[e];
  // g = grad + weight_decay * p (grad is the float32 input, exact)
  const eg = wd === 0 ? 0 : (wdExact ? 0 : wd * ep) + scalarError(wd) * Math.abs(x.pDecay) + rho(wd * x.pDecay) + rho(x.g);
  // exp_avg, either branch of lerp: e' = beta1 e + w eg + |w~ - w| |g - exp_avg| + three roundings
  const d = x.g - x.mOld;
  const lerpRoundings = Math.fround(w) < 0.5
    ? w * rho(d) + rho(w * d) // exp_avg + w * (g - exp_avg)
    : beta1 * rho(d) + rho(beta1 * d); // g - (g - exp_avg) * (1 - w)
  const em = beta1 * b.expAvg[e] + w * eg + scalarError(w) * Math.abs(d) + lerpRoundings + rho(x.mNew);
  // exp_avg_sq * beta2 + ((1 - beta2) * g) * g
  const ea = beta2 * b.expAvgSq[e] + scalarError(beta2) * x.vOld + rho(x.vOld * beta2);
  const h = c * x.g;
  const eh = c * eg + scalarError(c) * Math.abs(x.g) + rho(h);
  const ek = Math.abs(h) * eg + Math.abs(x.g) * eh + rho(h * x.g);
  const ev = ea + ek + rho(x.vNew);
  // AMSGrad: max is exact and |max(a~, b~) - max(a, b)| <= max(|a~ - a|, |b~ - b|).
  let eV = ev;
  if (amsgrad) eV = b.maxExpAvgSq[e] = Math.max(b.maxExpAvgSq[e], ev);
  // denom = sqrt(v) / sqrt(bc2) + eps
  const s = Math.sqrt(x.vUsed);
  const es = (s > 0 ? Math.min(eV / (2 * s), Math.sqrt(eV)) : Math.sqrt(eV)) + rho(s);
  const r = s / x.bc2Sqrt;
  const er = es / x.bc2Sqrt + (r / x.bc2Sqrt) * scalarError(x.bc2Sqrt) + rho(r);
  const eD = er + scalarError(eps) + rho(x.denom);
  // p + (-step_size * exp_avg) / denom
  const nss = -x.stepSize;
  const A = nss * x.mNew;
  const eA = Math.abs(nss) * em + Math.abs(x.mNew) * scalarError(nss) + rho(A);
  const eUpdate = eD < x.denom ? eA / x.denom + (Math.abs(A) * eD) / (x.denom * x.denom) + rho(x.update) : Infinity;
  b.param[e] = ep + eUpdate + rho(x.pNew);
  b.expAvg[e] = em;
  b.expAvgSq[e] = ev;
}

/** torch.maximum: NaN if either is NaN. */
function maxNaN(a, b) {
  return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
}
