// Adam as a JavaScript programmer would write it by hand, for speed: one fused loop per parameter
// over Float32Arrays, per-step constants computed once, no allocation per step. Two V8 pitfalls,
// measured at 1M elements, are avoided: a loop-invariant `weightDecay === 0 ? ... : ...` inside the
// loop (~1.7x slower: hence one loop per combination of options), and reading module-level
// constants inside the loop (~1.8x slower: hence local copies). JavaScript numbers are f64, so
// every element is computed in f64 and rounded to f32 when stored.
//
// Two forms. "textbook" is the paper's algorithm with the bias corrections folded into constants:
// one division and one square root per element, the fastest natural loop. "PyTorch op order" does
// what lucid-optim does, operation for operation (lerp, sqrt(v) / sqrt(bc2) + eps, then the
// division of -step_size * m by it): two divisions and a square root.

import { HYPER } from '../data.mjs';

const { beta1, beta2, eps } = HYPER;

// Textbook: p -= stepSize * m / (sqrt(v * c2) + eps), stepSize = lr / (1 - beta1^t), c2 = 1 / (1 - beta2^t).
const textbook = {
  constants(t) {
    return { a: HYPER.lr / (1 - beta1 ** t), b: 1 / (1 - beta2 ** t) };
  },
  adam(p, grad, m, v, stepSize, c2) {
    const b1 = beta1, b2 = beta2, e = eps, a1 = 1 - b1, a2 = 1 - b2;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i];
      const mi = b1 * m[i] + a1 * g;
      const vi = b2 * v[i] + a2 * g * g;
      m[i] = mi;
      v[i] = vi;
      p[i] -= (stepSize * mi) / (Math.sqrt(vi * c2) + e);
    }
  },
  wd(p, grad, m, v, stepSize, c2, wd) {
    const b1 = beta1, b2 = beta2, e = eps, a1 = 1 - b1, a2 = 1 - b2;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i] + wd * p[i];
      const mi = b1 * m[i] + a1 * g;
      const vi = b2 * v[i] + a2 * g * g;
      m[i] = mi;
      v[i] = vi;
      p[i] -= (stepSize * mi) / (Math.sqrt(vi * c2) + e);
    }
  },
  amsgrad(p, grad, m, v, stepSize, c2, wd, vmax) {
    const b1 = beta1, b2 = beta2, e = eps, a1 = 1 - b1, a2 = 1 - b2;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i];
      const mi = b1 * m[i] + a1 * g;
      const vi = b2 * v[i] + a2 * g * g;
      const vh = vmax[i] > vi ? vmax[i] : vi;
      m[i] = mi;
      v[i] = vi;
      vmax[i] = vh;
      p[i] -= (stepSize * mi) / (Math.sqrt(vh * c2) + e);
    }
  },
  'amsgrad+wd'(p, grad, m, v, stepSize, c2, wd, vmax) {
    const b1 = beta1, b2 = beta2, e = eps, a1 = 1 - b1, a2 = 1 - b2;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i] + wd * p[i];
      const mi = b1 * m[i] + a1 * g;
      const vi = b2 * v[i] + a2 * g * g;
      const vh = vmax[i] > vi ? vmax[i] : vi;
      m[i] = mi;
      v[i] = vi;
      vmax[i] = vh;
      p[i] -= (stepSize * mi) / (Math.sqrt(vh * c2) + e);
    }
  },
  // AdamW: the parameter decays by (1 - lr * wd) first; the gradient does not see the decay.
  adamw(p, grad, m, v, stepSize, c2, wd) {
    const b1 = beta1, b2 = beta2, e = eps, a1 = 1 - b1, a2 = 1 - b2, decay = 1 - HYPER.lr * wd;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i];
      const mi = b1 * m[i] + a1 * g;
      const vi = b2 * v[i] + a2 * g * g;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * decay - (stepSize * mi) / (Math.sqrt(vi * c2) + e);
    }
  },
};

// PyTorch order: m += (1 - beta1) * (g - m); v = v * beta2 + (1 - beta2) * g * g;
// p += (-stepSize * m) / (sqrt(v) / sqrt(1 - beta2^t) + eps).
const torchOrder = {
  constants(t) {
    return { a: -(HYPER.lr / (1 - beta1 ** t)), b: Math.sqrt(1 - beta2 ** t) };
  },
  adam(p, grad, m, v, negStepSize, bc2Sqrt) {
    const b2 = beta2, e = eps, w = 1 - beta1, a2 = 1 - b2;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i];
      const mi = m[i] + w * (g - m[i]);
      const vi = v[i] * b2 + a2 * g * g;
      m[i] = mi;
      v[i] = vi;
      p[i] += (negStepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + e);
    }
  },
  wd(p, grad, m, v, negStepSize, bc2Sqrt, wd) {
    const b2 = beta2, e = eps, w = 1 - beta1, a2 = 1 - b2;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i] + wd * p[i];
      const mi = m[i] + w * (g - m[i]);
      const vi = v[i] * b2 + a2 * g * g;
      m[i] = mi;
      v[i] = vi;
      p[i] += (negStepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + e);
    }
  },
  amsgrad(p, grad, m, v, negStepSize, bc2Sqrt, wd, vmax) {
    const b2 = beta2, e = eps, w = 1 - beta1, a2 = 1 - b2;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i];
      const mi = m[i] + w * (g - m[i]);
      const vi = v[i] * b2 + a2 * g * g;
      const vh = vmax[i] > vi ? vmax[i] : vi;
      m[i] = mi;
      v[i] = vi;
      vmax[i] = vh;
      p[i] += (negStepSize * mi) / (Math.sqrt(vh) / bc2Sqrt + e);
    }
  },
  'amsgrad+wd'(p, grad, m, v, negStepSize, bc2Sqrt, wd, vmax) {
    const b2 = beta2, e = eps, w = 1 - beta1, a2 = 1 - b2;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i] + wd * p[i];
      const mi = m[i] + w * (g - m[i]);
      const vi = v[i] * b2 + a2 * g * g;
      const vh = vmax[i] > vi ? vmax[i] : vi;
      m[i] = mi;
      v[i] = vi;
      vmax[i] = vh;
      p[i] += (negStepSize * mi) / (Math.sqrt(vh) / bc2Sqrt + e);
    }
  },
  // p.mul_(1 - lr * wd), then Adam on the raw gradient.
  adamw(p, grad, m, v, negStepSize, bc2Sqrt, wd) {
    const b2 = beta2, e = eps, w = 1 - beta1, a2 = 1 - b2, decay = 1 - HYPER.lr * wd;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i];
      const mi = m[i] + w * (g - m[i]);
      const vi = v[i] * b2 + a2 * g * g;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * decay + (negStepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + e);
    }
  },
};

function plainPeer(id, label, form) {
  return {
    id,
    label,
    group: 'js',
    describe: () => ({}),
    supports: () => true,
    create(data, variant) {
      const loop = form[variant.id];
      const zeros = () => data.params.map((p) => new Float32Array(p.length));
      const ps = data.params.map((p) => p.slice());
      const gs = data.grads.map((g) => g.slice());
      const ms = zeros();
      const vs = zeros();
      const maxes = variant.amsgrad ? zeros() : ps;
      const { weightDecay } = variant;
      let t = 0;
      return {
        run(steps) {
          const start = performance.now();
          for (let s = 0; s < steps; s++) {
            const { a, b } = form.constants(++t);
            for (let k = 0; k < ps.length; k++) loop(ps[k], gs[k], ms[k], vs[k], a, b, weightDecay, maxes[k]);
          }
          return performance.now() - start;
        },
        params: () => ps.map((p) => p.slice()),
        dispose() {},
      };
    },
  };
}

export const plainTextbook = plainPeer('js-textbook', 'plain JS loop (textbook)', textbook);
export const plainTorchOrder = plainPeer('js-torch-order', 'plain JS loop (PyTorch op order)', torchOrder);
