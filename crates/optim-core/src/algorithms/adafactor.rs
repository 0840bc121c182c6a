//! `torch.optim.Adafactor` (torch 2.15, single-tensor path: `_single_tensor_adafactor` in
//! `torch/optim/_adafactor.py`): second moments factored into row and column means for parameters
//! of 2 or more dimensions (`row_var`, `col_var`: the shape with its last, or second-to-last,
//! dimension 1), a full `variance` otherwise; a relative step size and update clipping.
//!
//! torch's step for one parameter, and what it is here:
//!
//! ```text
//! grad = -grad if maximize
//! step += 1;  one_minus_beta2_t = step ** beta2_decay;  rho_t = min(lr, 1 / step ** 0.5)
//! alpha = max(eps2, param.norm(2).item() / numel ** 0.5) * rho_t            a reduction
//! param.mul_(1 - lr * weight_decay)                                          if weight_decay != 0
//! factored:  row_var.lerp_(vector_norm(grad, dim=-1) ** 2 / cols, one_minus_beta2_t)   reductions
//!            col_var.lerp_(vector_norm(grad, dim=-2) ** 2 / rows, one_minus_beta2_t)
//!            var_estimate = (row_var @ col_var) / row_var.mean(dim=-2).clamp(min=eps1)
//! otherwise: variance.lerp_(grad * grad, one_minus_beta2_t);  var_estimate = variance
//! update = var_estimate.clamp(min=eps1 * eps1).rsqrt() * grad
//! denom = max(1, update.norm(2).item() / (numel ** 0.5 * d))                a reduction
//! param.add_(update, alpha=-alpha / denom)
//! ```
//!
//! Every element-wise operation is torch's, rounded where torch rounds it. The reductions (the
//! norms and the mean) are summed here in `f64` and rounded once to `f32`, where torch sums in
//! float32 in its own order: a few float32 ulps apart, so the parameters are within a measured
//! bound of torch's, not its bits (`scripts/golden/adafactor.py`, docs/fidelity.md). `eps1` is
//! `eps[0]`, or float32's machine epsilon for torch's None (a row holds None as NaN).

use super::{Algorithm, Target};
use crate::kernel::elementwise;
use crate::kernel::norm::sum_squares;
use crate::kernel::torch_ops::{add, Lerp};
use crate::kernel::{F32x4, Kernel, Lanes};
use crate::schema::{slot_of, BufferSpec, BufferUse, Extent, FieldSpec, Rule, Spec};

/// `Adafactor.__init__`'s `defaults`, in its order. `eps[0]`'s default is torch's None.
const FIELDS: &[FieldSpec] = &[
    FieldSpec::number("lr", 1e-2, Rule::NonNegative),
    FieldSpec::number("beta2_decay", -0.8, Rule::NonPositive),
    FieldSpec::pair_with("eps", [f64::NAN, 1e-3], [Rule::NonNegativeOrNone, Rule::NonNegative]),
    FieldSpec::number("d", 1.0, Rule::AtLeastOne),
    FieldSpec::number("weight_decay", 0.0, Rule::NonNegative),
    FieldSpec::torch_only("foreach", None),
    FieldSpec::flag("maximize", false),
];

const LR: usize = slot_of(FIELDS, "lr");
const BETA2_DECAY: usize = slot_of(FIELDS, "beta2_decay");
const EPS: usize = slot_of(FIELDS, "eps");
const D: usize = slot_of(FIELDS, "d");
const WEIGHT_DECAY: usize = slot_of(FIELDS, "weight_decay");
const MAXIMIZE: usize = slot_of(FIELDS, "maximize");
const ROW_LEN: usize = ADAFACTOR.row_len();

/// torch's `_init_group`: `row_var` and `col_var` for a gradient of 2 or more dimensions,
/// `variance` otherwise (each zeros, created with `step` 0).
const BUFFERS: &[BufferSpec] = &[
    BufferSpec::zeros("row_var").when(BufferUse::WhenFactored).of(Extent::Rows),
    BufferSpec::zeros("col_var").when(BufferUse::WhenFactored).of(Extent::Cols),
    BufferSpec::zeros("variance").when(BufferUse::WhenNotFactored),
];

/// `torch.optim.Adafactor`.
pub static ADAFACTOR: Spec = Spec { name: "Adafactor", fields: FIELDS, buffers: BUFFERS, ..Spec::BASE };

hyperparameters!(ADAFACTOR {
    /// Learning rate, `>= 0`: the cap of the relative step size `rho_t`.
    lr: number = LR,
    /// The exponent of the second moment's decay, `<= 0`: `1 - beta2_t = step ** beta2_decay`.
    beta2_decay: number = BETA2_DECAY,
    /// `(eps1, eps2)`: the smallest variance estimate (its square), NaN for torch's None
    /// (float32's machine epsilon); the smallest parameter scale.
    eps: pair = EPS,
    /// The update clipping threshold, `>= 1`.
    d: number = D,
    /// Decoupled weight decay, `>= 0`.
    weight_decay: number = WEIGHT_DECAY,
    /// Ascend the objective instead of descending it (the gradient is negated).
    maximize: flag = MAXIMIZE,
});

/// `torch.finfo(torch.float32).eps`, torch's `eps1` for None.
const FLOAT32_EPS: f64 = f32::EPSILON as f64;

/// The updates are computed in chunks of this many elements on the stack, once to sum their
/// squares (the clipping needs the update's norm first) and once to apply them.
const CHUNK: usize = 1024;

/// `||values||_2` as torch's `norm(2)` gives it, a float32: summed in `f64`, rounded once.
fn norm(values: &[f32], kernel: Kernel) -> f32 {
    sum_squares(values, kernel).sqrt() as f32
}

/// `vector_norm(...).square_().div_(n)`: the norm as a float32, squared and divided in float32.
fn mean_square(norm: f32, n: usize) -> f32 {
    norm * norm / n as f32
}

/// `clamp_(min=min)` of a float32: NaN stays NaN, as torch's clamp keeps it.
fn clamp_min(x: f32, min: f32) -> f32 {
    if x < min {
        min
    } else {
        x
    }
}

/// The scalars of one parameter's update, as torch computes them.
#[derive(Clone, Copy)]
struct Update {
    /// `eps1 * eps1`, rounded to `f32` (the clamp's minimum).
    eps1_squared: f32,
    /// `-0.0` with `maximize` (XOR-ing the sign bit negates), else `+0.0`.
    sign: f32,
}

impl Update {
    /// `var_estimate.clamp(min=eps1 * eps1).rsqrt() * grad`, with torch's roundings: `rsqrt` is
    /// `1 / sqrt(x)` (two roundings, ATen's); the clamp keeps NaN.
    #[inline(always)]
    fn of<L: Lanes>(&self, estimate: L, grad: L) -> L {
        let floor = L::splat(self.eps1_squared);
        let clamped = estimate.lt(floor).select(floor, estimate);
        (L::splat(1.0) / clamped.sqrt()) * grad.sign_xor(L::splat(self.sign))
    }

    /// `out[i]` = the update of element `i`, whose estimate is `rv * cv[i] / mean` (factored:
    /// `row_var @ col_var / mean`, in that order) or, without `cv`, `variance[i]`.
    #[inline(always)]
    fn fill<L: Lanes>(&self, out: &mut [f32], grad: &[f32], estimate: Estimate<'_>) {
        let n = out.len();
        assert!(grad.len() == n && estimate.len() == n, "buffer lengths differ");
        let body = n - n % L::WIDTH;
        let (mut i, o, g) = (0, out.as_mut_ptr(), grad.as_ptr());
        // SAFETY: every slice holds n floats (checked above); the body reads and writes L::WIDTH
        // floats at i + L::WIDTH <= body <= n, the tail one at i < n.
        unsafe {
            while i < body {
                self.of(estimate.load::<L>(i), L::load(g.add(i))).store(o.add(i));
                i += L::WIDTH;
            }
            while i < n {
                *o.add(i) = self.of(estimate.load::<f32>(i), *g.add(i));
                i += 1;
            }
        }
    }

    /// [`Self::fill`] with the kernel asked for.
    fn fill_with(&self, out: &mut [f32], grad: &[f32], estimate: Estimate<'_>, kernel: Kernel) {
        match kernel {
            Kernel::Simd => self.fill::<F32x4>(out, grad, estimate),
            #[cfg(feature = "reference-kernel")]
            Kernel::Reference => self.fill::<f32>(out, grad, estimate),
        }
    }
}

/// Where a chunk's variance estimates come from.
#[derive(Clone, Copy)]
enum Estimate<'a> {
    /// `row * col[i] / mean` (a row of a factored matrix).
    Factored { row: f32, col: &'a [f32], mean: f32 },
    /// `variance[i]`.
    Full(&'a [f32]),
}

impl Estimate<'_> {
    fn len(&self) -> usize {
        match self {
            Estimate::Factored { col, .. } => col.len(),
            Estimate::Full(variance) => variance.len(),
        }
    }

    /// The estimates of elements `i .. i + L::WIDTH`.
    ///
    /// # Safety
    /// `i + L::WIDTH <= self.len()`.
    #[inline(always)]
    unsafe fn load<L: Lanes>(&self, i: usize) -> L {
        // SAFETY: as the caller guarantees.
        unsafe {
            match *self {
                Estimate::Factored { row, col, mean } => L::splat(row) * L::load(col.as_ptr().add(i)) / L::splat(mean),
                Estimate::Full(variance) => L::load(variance.as_ptr().add(i)),
            }
        }
    }
}

/// `param.add_(update, alpha=neg_lr)`, the update in the gradient's place.
#[derive(Clone, Copy)]
struct Apply(f32);

impl elementwise::Update<0> for Apply {
    #[inline(always)]
    fn apply<L: Lanes>(&self, param: L, update: L, []: [L; 0]) -> (L, [L; 0]) {
        (add(param, update, L::splat(self.0)), [])
    }
}

/// The Adafactor step.
pub struct Adafactor;

impl Algorithm for Adafactor {
    type Hyperparameters = Hyperparameters;
    type Memo = ();

    fn step(h: &Hyperparameters, _memo: &mut (), target: Target<'_>, kernel: Kernel) {
        let Target { param, grad, dims, step, buffers: [row_var, col_var, variance], .. } = target;
        let len = param.len();
        if len == 0 {
            return; // torch divides by numel ** 0.5: an empty parameter has no step
        }
        // Python floats: `step_t.item()` is the float32 count, exact.
        let step = step as f64;
        let one_minus_beta2_t = step.powf(h.beta2_decay);
        let rho_t = h.lr.min(1.0 / step.powf(0.5));
        let numel_sqrt = (len as f64).powf(0.5);
        let eps1 = if h.eps.0.is_nan() { FLOAT32_EPS } else { h.eps.0 };
        // `max(eps2, x)` in Python returns eps2 unless x > eps2 (NaN included), as f64::max does.
        let alpha = h.eps.1.max(f64::from(norm(param, kernel)) / numel_sqrt) * rho_t;
        if h.weight_decay != 0.0 {
            elementwise::step(kernel, &Decay((1.0 - h.lr * h.weight_decay) as f32), param, grad, []);
        }
        let lerp = Lerp::new(one_minus_beta2_t);
        let update = Update { eps1_squared: (eps1 * eps1) as f32, sign: if h.maximize { -0.0 } else { 0.0 } };
        let mut chunk = [0.0_f32; CHUNK];

        // Each run of the update: a row of a matrix (factored) or a chunk of a vector, with its
        // estimates and the parameter's and gradient's elements it covers.
        let factored = dims.ndim >= 2;
        let (rows, cols) = (dims.rows, dims.cols);
        if factored {
            let row_var = row_var.expect("row_var is in use for 2 or more dimensions");
            let col_var = col_var.expect("col_var is in use for 2 or more dimensions");
            for b in 0..len / (rows * cols) {
                let (g0, r0, c0) = (b * rows * cols, b * rows, b * cols);
                for r in 0..rows {
                    let row = &grad[g0 + r * cols..g0 + (r + 1) * cols];
                    row_var[r0 + r] = lerp.apply(row_var[r0 + r], mean_square(norm(row, kernel), cols));
                }
                // Columns in chunks, each summed over every row in f64 (a sign does not change a square).
                for start in (0..cols).step_by(CHUNK) {
                    let width = CHUNK.min(cols - start);
                    let mut sums = [0.0_f64; CHUNK];
                    for r in 0..rows {
                        let row = &grad[g0 + r * cols + start..g0 + r * cols + start + width];
                        for (sum, &x) in sums.iter_mut().zip(row) {
                            *sum += f64::from(x) * f64::from(x);
                        }
                    }
                    for (k, &sum) in sums[..width].iter().enumerate() {
                        col_var[c0 + start + k] = lerp.apply(col_var[c0 + start + k], mean_square(sum.sqrt() as f32, rows));
                    }
                }
            }
            // var_estimate = row_var[r] * col_var[c] / clamp(mean(row_var), eps1), per matrix.
            let means = |b: usize| clamp_min(sum_in_order(&row_var[b * rows..(b + 1) * rows]) as f32 / rows as f32, eps1 as f32);
            let mut each_run = |run: &mut Run<'_>| {
                for b in 0..len / (rows * cols) {
                    let mean = means(b);
                    for r in 0..rows {
                        for start in (0..cols).step_by(CHUNK) {
                            let width = CHUNK.min(cols - start);
                            let at = (b * rows + r) * cols + start;
                            let col = &col_var[b * cols + start..b * cols + start + width];
                            run(
                                &mut chunk[..width],
                                at..at + width,
                                Estimate::Factored { row: row_var[b * rows + r], col, mean },
                            );
                        }
                    }
                }
            };
            let mut squares = 0.0;
            each_run(&mut |out, at, estimate| {
                update.fill_with(out, &grad[at], estimate, kernel);
                squares += sum_squares(out, kernel);
            });
            let neg_lr = Apply(neg_lr(alpha, squares, numel_sqrt, h.d));
            each_run(&mut |out, at, estimate| {
                update.fill_with(out, &grad[at.clone()], estimate, kernel);
                elementwise::step(kernel, &neg_lr, &mut param[at], out, []);
            });
        } else {
            let variance = variance.expect("variance is in use for fewer than 2 dimensions");
            elementwise::step(kernel, &Moment(lerp), variance, grad, []);
            let mut squares = 0.0;
            for start in (0..len).step_by(CHUNK) {
                let at = start..(start + CHUNK).min(len);
                let out = &mut chunk[..at.len()];
                update.fill_with(out, &grad[at.clone()], Estimate::Full(&variance[at]), kernel);
                squares += sum_squares(out, kernel);
            }
            let neg_lr = Apply(neg_lr(alpha, squares, numel_sqrt, h.d));
            for start in (0..len).step_by(CHUNK) {
                let at = start..(start + CHUNK).min(len);
                let out = &mut chunk[..at.len()];
                update.fill_with(out, &grad[at.clone()], Estimate::Full(&variance[at.clone()]), kernel);
                elementwise::step(kernel, &neg_lr, &mut param[at], out, []);
            }
        }
    }
}

/// What is done with each run of updates: `(updates, the elements they cover, their estimates)`.
/// A `dyn`, so that the two passes share one loop in the `.wasm`.
type Run<'r> = dyn FnMut(&mut [f32], core::ops::Range<usize>, Estimate<'_>) + 'r;

/// The sum of `values` in `f64`, in order (`row_var.mean`'s sum).
fn sum_in_order(values: &[f32]) -> f64 {
    values.iter().map(|&x| f64::from(x)).sum()
}

/// The update's `alpha=-alpha / denom`, rounded once to `f32`: `denom = max(1, ||update|| /
/// (numel ** 0.5 * d))`, the update's norm a float32 (torch's `.norm(2).item()`).
fn neg_lr(alpha: f64, squares: f64, numel_sqrt: f64, d: f64) -> f32 {
    let norm = f64::from(squares.sqrt() as f32);
    (-alpha / 1.0_f64.max(norm / (numel_sqrt * d))) as f32
}

/// `param.mul_(1 - lr * weight_decay)`.
#[derive(Clone, Copy)]
struct Decay(f32);

impl elementwise::Update<0> for Decay {
    #[inline(always)]
    fn apply<L: Lanes>(&self, param: L, _: L, []: [L; 0]) -> (L, [L; 0]) {
        (param * L::splat(self.0), [])
    }
}

/// `variance.lerp_(grad * grad, one_minus_beta2_t)` (the square is the same for a negated gradient).
#[derive(Clone, Copy)]
struct Moment(Lerp);

impl elementwise::Update<0> for Moment {
    #[inline(always)]
    fn apply<L: Lanes>(&self, variance: L, grad: L, []: [L; 0]) -> (L, [L; 0]) {
        (self.0.apply(variance, grad * grad), [])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::step_shaped;
    use crate::param::Dims;
    use crate::schema::InvalidHyperparameter;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn defaults_and_checks_are_torchs() {
        // torch 2.15: Adafactor(params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
        // weight_decay=0.0, *, foreach=None, maximize=False)
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.beta2_decay, h.eps.1, h.d, h.weight_decay, h.maximize), (1e-2, -0.8, 1e-3, 1.0, 0.0, false));
        assert!(h.eps.0.is_nan(), "eps[0] is None");
        let check = |h: Hyperparameters| ADAFACTOR.check_row(&h.to_row());
        let field = |slot, value, rule| Err(InvalidHyperparameter::Field { slot, value, rule });
        // torch: "beta2_decay should be <= 0", "epsilon1 should be >= 0", "Clipping threshold d should be >= 1".
        assert_eq!(check(Hyperparameters { beta2_decay: 0.1, ..h }), field(BETA2_DECAY, 0.1, Rule::NonPositive));
        assert_eq!(check(Hyperparameters { eps: (-1.0, 1e-3), ..h }), field(EPS, -1.0, Rule::NonNegativeOrNone));
        assert_eq!(check(Hyperparameters { eps: (1e-30, 1e-3), ..h }), Ok(()));
        assert_eq!(check(Hyperparameters { d: 0.5, ..h }), field(D, 0.5, Rule::AtLeastOne));
        assert_eq!(check(Hyperparameters { beta2_decay: 0.0, d: 1.0, ..h }), Ok(()));
    }

    #[test]
    fn buffers_follow_the_dimensions() {
        let row = Hyperparameters::default().to_row();
        assert_eq!((ADAFACTOR.buffers_in_use(&row, 2), ADAFACTOR.buffers_in_use(&row, 3)), (0b011, 0b011));
        assert_eq!((ADAFACTOR.buffers_in_use(&row, 1), ADAFACTOR.buffers_in_use(&row, 0)), (0b100, 0b100));
        // A 2×3×4 parameter: row_var is 2×3×1, col_var 2×1×4.
        let dims = Dims { ndim: 3, rows: 3, cols: 4, first: 2 };
        assert_eq!((0..3).map(|b| ADAFACTOR.buffer_len(b, 24, dims)).collect::<Vec<_>>(), [6, 8, 24]);
    }

    /// torch's step in f64 (every operation exact but the reductions' f32 results), for one matrix.
    fn reference(h: &Hyperparameters, p: &[f64], g: &[f64], rows: usize, cols: usize) -> Vec<f64> {
        let n = p.len() as f64;
        let rho = h.lr.min(1.0);
        let alpha = h.eps.1.max((p.iter().map(|x| x * x).sum::<f64>() / n).sqrt()) * rho;
        // step 1: one_minus_beta2_t = 1, so the moments are the means themselves.
        let row: Vec<f64> = (0..rows).map(|r| (0..cols).map(|c| g[r * cols + c].powi(2)).sum::<f64>() / cols as f64).collect();
        let col: Vec<f64> = (0..cols).map(|c| (0..rows).map(|r| g[r * cols + c].powi(2)).sum::<f64>() / rows as f64).collect();
        let mean = (row.iter().sum::<f64>() / rows as f64).max(f64::from(f32::EPSILON));
        let u: Vec<f64> = (0..rows * cols).map(|i| g[i] / (row[i / cols] * col[i % cols] / mean).sqrt()).collect();
        let denom = 1.0_f64.max((u.iter().map(|x| x * x).sum::<f64>() / n).sqrt() / h.d);
        p.iter().zip(&u).map(|(p, u)| p - alpha / denom * u).collect()
    }

    #[test]
    fn a_first_step_of_a_matrix_is_torchs_formula_within_float32_rounding() {
        let (rows, cols) = (5, 70); // more columns than one chunk of column sums
        let p: Vec<f32> = (0..rows * cols).map(|i| ((i * 37 % 23) as f32 - 11.0) / 9.0).collect();
        let g: Vec<f32> = (0..rows * cols).map(|i| ((i * 13 % 17) as f32 - 8.0) / 5.0).collect();
        let h = Hyperparameters { lr: 0.05, ..Default::default() };
        let want = reference(
            &h,
            &p.iter().map(|&x| f64::from(x)).collect::<Vec<_>>(),
            &g.iter().map(|&x| f64::from(x)).collect::<Vec<_>>(),
            rows,
            cols,
        );
        let (mut param, mut state) = (p.clone(), None);
        step_shaped::<Adafactor>(
            &ADAFACTOR,
            &h.to_row(),
            &mut state,
            &mut param,
            Dims { ndim: 2, rows, cols, first: rows },
            &g,
            Kernel::Simd,
        );
        for (i, (&got, &want)) in param.iter().zip(&want).enumerate() {
            assert!((f64::from(got) - want).abs() <= 1e-6 * want.abs().max(1.0), "[{i}]: {got} vs {want}");
        }
        let state = state.unwrap();
        assert_eq!((state.step_count(), state.buffer(0).unwrap().len(), state.buffer(1).unwrap().len()), (1, rows, cols));
        assert!(state.buffer(2).is_none(), "no variance for a matrix");
    }
}
