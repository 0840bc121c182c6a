// What every contestant steps: the shapes, the option sets, and the data. The generator and the
// value formulas are those of crates/optim-core/benches/common/mod.rs, so the native contestants
// regenerate exactly the same numbers instead of receiving them.

import { mulberry32Uint32 } from '../../reference/rng.mjs';

/** The full benchmark's shapes (`id` is also the criterion id). */
export const CASES = [
  { id: '1K', label: '1K', shape: [1_000] },
  { id: '100K', label: '100K', shape: [100_000] },
  { id: '1M', label: '1M', shape: [1_000_000] },
  { id: '10M', label: '10M', shape: [10_000_000] },
  { id: '1000x1K', label: '1,000 × 1K', shape: Array(1_000).fill(1_000) },
  // 784 -> 256 -> 10: weights and biases of both layers.
  { id: 'MLP', label: 'MLP 784-256-10', shape: [784 * 256, 256, 256 * 10, 10] },
];

/** `--quick`: tiny shapes (with a SIMD tail and several parameters) to check that everything runs. */
export const QUICK_CASES = [
  { id: '1003', label: '1003', shape: [1_003] },
  { id: '10x101', label: '10 × 101', shape: Array(10).fill(101) },
];

/** The option sets, by the names the native server knows. PyTorch's defaults otherwise. */
export const VARIANTS = [
  { id: 'adam', label: 'Adam (defaults)', amsgrad: false, weightDecay: 0 },
  { id: 'amsgrad', label: 'AMSGrad', amsgrad: true, weightDecay: 0 },
  { id: 'wd', label: 'weight decay 1e-2', amsgrad: false, weightDecay: 1e-2 },
  { id: 'amsgrad+wd', label: 'AMSGrad + weight decay 1e-2', amsgrad: true, weightDecay: 1e-2 },
  // torch.optim.AdamW's defaults: weight decay 1e-2, decoupled (the parameter decays; the gradient does not see it).
  { id: 'adamw', label: 'AdamW (weight decay 1e-2)', amsgrad: false, weightDecay: 1e-2, decoupledWeightDecay: true },
];

/**
 * The variant's options for lucid-optim's `Adam`. `decoupledWeightDecay` only when on, so that
 * bench/ab.mjs can still compare the other variants with builds from before AdamW.
 */
export function lucidOptions(variant) {
  return {
    lr: HYPER.lr,
    betas: [HYPER.beta1, HYPER.beta2],
    eps: HYPER.eps,
    weightDecay: variant.weightDecay,
    amsgrad: variant.amsgrad,
    ...(variant.decoupledWeightDecay ? { decoupledWeightDecay: true } : {}),
  };
}

/** Hyperparameters shared by every variant. */
export const HYPER = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** The seed of `common::Rng::new()`: with the same mulberry32, JavaScript and Rust make the same data. */
const SEED = 0x9e3779b9;

const TWO_23 = 2 ** 23;

/**
 * Initial values and gradients for `shape`: for each parameter, its values (multiples of 2^-23 in
 * [-1, 1)) then its gradient (magnitude in [1/64, 1 + 1/64), random sign: never zero, so no moment
 * decays into subnormals). Every value is exact in f32.
 */
export function makeData(shape) {
  const next = mulberry32Uint32(SEED);
  const params = [];
  const grads = [];
  for (const n of shape) {
    const p = new Float32Array(n);
    for (let i = 0; i < n; i++) p[i] = ((next() >>> 8) - TWO_23) / TWO_23;
    const g = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const bits = next() >>> 8;
      const magnitude = ((bits & 0x7fffff) + 0x20000) / TWO_23;
      g[i] = bits & 0x800000 ? -magnitude : magnitude;
    }
    params.push(p);
    grads.push(g);
  }
  return { shape, params, grads, elements: shape.reduce((a, b) => a + b, 0) };
}
