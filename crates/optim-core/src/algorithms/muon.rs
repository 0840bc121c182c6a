//! `torch.optim.Muon` (torch 2.15, `_single_tensor_muon` and `_zeropower_via_newtonschulz` in
//! `torch/optim/_muon.py`): momentum, then the update orthogonalized by a quintic Newton–Schulz
//! iteration, for matrices (2-D parameters) only.
//!
//! torch's step for one parameter, and what it is here:
//!
//! ```text
//! buf.lerp_(grad, 1 - momentum)                                  element-wise, bit for bit
//! update = grad.lerp(buf, momentum) if nesterov else buf         element-wise, bit for bit
//! X = update.to(bfloat16), transposed if rows > cols             float32 here (see below)
//! X.div_(X.norm().clamp(min=eps))
//! ns_steps times:  A = X @ X.T
//!                  B = addmm(A, A, A, beta=b, alpha=c)           b * A + c * (A @ A)
//!                  X = addmm(X, B, X, beta=a)                    a * X + B @ X
//! X = X.T if it was transposed
//! param.mul_(1 - lr * weight_decay)                              element-wise, bit for bit
//! param.add_(X, alpha=-adjusted_lr)                              adjusted_lr: torch's _adjust_lr
//! ```
//!
//! torch runs the iteration in bfloat16 (8 significant bits). This module runs it in float32 on
//! [`Gemm`], so its update is closer to the exact iteration than torch's, and not torch's
//! bits: the golden fixtures (`scripts/golden/muon.py`) measure the distance both from torch's
//! own (bfloat16) update and from torch's iteration run in float32, and the TypeScript suite
//! bounds both. The state is torch's: `momentum_buffer` only, no step count.

use super::{Algorithm, Target};
use crate::kernel::elementwise::{self, Update};
use crate::kernel::matmul::{transpose, Gemm};
use crate::kernel::norm::{grad_norm, NormType};
use crate::kernel::torch_ops::{add, mul, Lerp};
use crate::kernel::{Kernel, Lanes};
use crate::param::Dims;
use crate::schema::{slot_of, BufferSpec, FieldSpec, Rule, Spec};

/// What `adjust_lr_fn` may be, in the order of its slot's index: torch's None, then its names.
pub const ADJUST_LR_FNS: &[Option<&str>] = &[None, Some("original"), Some("match_rms_adamw"), Some("spectral_unclamped")];

/// `Muon.__init__`'s `defaults`, in its order (torch's constants: Keller Jordan's coefficients).
const FIELDS: &[FieldSpec] = &[
    FieldSpec::number("lr", 1e-3, Rule::NonNegative),
    FieldSpec::number("weight_decay", 0.1, Rule::NonNegative),
    FieldSpec::number("momentum", 0.95, Rule::NonNegative),
    FieldSpec::flag("nesterov", true),
    // torch checks neither these nor eps; lucid refuses NaN and infinities, as for every number.
    FieldSpec::triple("ns_coefficients", [3.4445, -4.775, 2.0315], Rule::Finite),
    FieldSpec::number("eps", 1e-7, Rule::Finite),
    FieldSpec::number("ns_steps", 5.0, Rule::IterationCount),
    FieldSpec::choice("adjust_lr_fn", 0, ADJUST_LR_FNS),
];

const LR: usize = slot_of(FIELDS, "lr");
const WEIGHT_DECAY: usize = slot_of(FIELDS, "weight_decay");
const MOMENTUM: usize = slot_of(FIELDS, "momentum");
const NESTEROV: usize = slot_of(FIELDS, "nesterov");
const NS_COEFFICIENTS: usize = slot_of(FIELDS, "ns_coefficients");
const EPS: usize = slot_of(FIELDS, "eps");
const NS_STEPS: usize = slot_of(FIELDS, "ns_steps");
const ADJUST_LR_FN: usize = slot_of(FIELDS, "adjust_lr_fn");
const ROW_LEN: usize = MUON.row_len();

/// `torch.optim.Muon`.
pub static MUON: Spec = Spec {
    name: "Muon",
    fields: FIELDS,
    // torch's `_init_group`: `state["momentum_buffer"] = torch.zeros_like(p.grad)`.
    buffers: &[BufferSpec::zeros("momentum_buffer")],
    counts_steps: false,
    // torch's constructor: "Muon only supports 2D parameters".
    matrices_only: true,
    ..Spec::BASE
};

hyperparameters!(MUON {
    /// Learning rate, `>= 0`.
    lr: number = LR,
    /// Decoupled weight decay, `>= 0`: the parameter is multiplied by `1 - lr * weight_decay`.
    weight_decay: number = WEIGHT_DECAY,
    /// Momentum factor, `>= 0`.
    momentum: number = MOMENTUM,
    /// Nesterov momentum: orthogonalize `grad.lerp(buf, momentum)` instead of `buf`.
    nesterov: flag = NESTEROV,
    /// The quintic's coefficients `(a, b, c)`.
    ns_coefficients: triple = NS_COEFFICIENTS,
    /// The smallest norm the update is divided by.
    eps: number = EPS,
    /// Newton–Schulz iterations, an integer in `[0, 99]`.
    ns_steps: number = NS_STEPS,
    /// The index in [`ADJUST_LR_FNS`].
    adjust_lr_fn: choice = ADJUST_LR_FN,
});

/// torch's `_adjust_lr(lr, adjust_lr_fn, param.shape)`, for a `rows`×`cols` parameter, in `f64`
/// as Python computes it.
pub fn adjusted_lr(lr: f64, adjust_lr_fn: usize, rows: usize, cols: usize) -> f64 {
    let (a, b) = (rows as f64, cols as f64);
    let ratio = match ADJUST_LR_FNS.get(adjust_lr_fn).copied().flatten() {
        // None and "original": `math.sqrt(max(1, A / B))`.
        None | Some("original") => (a / b).max(1.0).sqrt(),
        Some("match_rms_adamw") => 0.2 * a.max(b).sqrt(),
        Some("spectral_unclamped") => (a / b).sqrt(),
        Some(_) => 1.0,
    };
    lr * ratio
}

/// The momentum buffer's update and the iteration's input: `buf.lerp_(grad, 1 - momentum)`, then
/// `grad.lerp(buf, momentum)` with Nesterov momentum, else `buf`. Run with the input's place as
/// the "parameter" (its old contents unused).
#[derive(Clone, Copy)]
struct Momentum {
    into_buf: Lerp,
    nesterov: Option<Lerp>,
}

impl Update<1> for Momentum {
    #[inline(always)]
    fn apply<L: Lanes>(&self, _input: L, grad: L, [buf]: [L; 1]) -> (L, [L; 1]) {
        let buf = self.into_buf.apply(buf, grad);
        let input = match &self.nesterov {
            Some(lerp) => lerp.apply(grad, buf),
            None => buf,
        };
        (input, [buf])
    }
}

/// `param.mul_(1 - lr * weight_decay)` then `param.add_(update, alpha=-adjusted_lr)`, the update
/// in the gradient's place.
#[derive(Clone, Copy)]
struct Apply {
    decay: f32,
    neg_lr: f32,
}

impl Update<0> for Apply {
    #[inline(always)]
    fn apply<L: Lanes>(&self, param: L, update: L, []: [L; 0]) -> (L, [L; 0]) {
        (add(mul(param, L::splat(self.decay)), update, L::splat(self.neg_lr)), [])
    }
}

/// `x.div_(norm.clamp(min=eps))`, one IEEE division per element.
#[derive(Clone, Copy)]
struct DivideBy(f32);

impl Update<0> for DivideBy {
    #[inline(always)]
    fn apply<L: Lanes>(&self, x: L, _: L, []: [L; 0]) -> (L, [L; 0]) {
        (x / L::splat(self.0), [])
    }
}

/// The workspace of a `rows`×`cols` step: the iterate, its transpose and the next iterate
/// (`rows * cols` each), the Gram matrix and its polynomial (`m * m` each, `m` the smaller side),
/// and the products' packed panels (for `k` up to the larger side).
fn workspace_len(dims: Dims) -> usize {
    let (m, n) = (dims.rows.min(dims.cols), dims.rows.max(dims.cols));
    3 * dims.rows * dims.cols + 2 * m * m + Gemm { m, k: n, n: m, alpha: 1.0, beta: 0.0 }.pack_len()
}

/// The Muon step.
pub struct Muon;

impl Algorithm for Muon {
    type Hyperparameters = Hyperparameters;
    type Memo = ();
    const NEEDS_WORKSPACE: bool = true;

    fn workspace_len(_hyper: &Hyperparameters, dims: Dims, _grad_len: usize) -> usize {
        workspace_len(dims)
    }

    fn step(hyper: &Hyperparameters, _memo: &mut (), target: Target<'_>, kernel: Kernel) {
        let Target { param, grad, dims, buffers: [buf, ..], workspace, .. } = target;
        let buf = buf.expect("momentum_buffer is always in use");
        let (rows, cols) = (dims.rows, dims.cols);
        let len = rows * cols;
        // The smaller side first: X is m×n with m <= n, as torch transposes a tall update.
        let tall = rows > cols;
        let (m, n) = if tall { (cols, rows) } else { (rows, cols) };
        let (x, rest) = workspace[..workspace_len(dims)].split_at_mut(len);
        let (t, rest) = rest.split_at_mut(len);
        let (next, rest) = rest.split_at_mut(len);
        let (gram, rest) = rest.split_at_mut(m * m);
        let (poly, pack) = rest.split_at_mut(m * m);

        let momentum =
            Momentum { into_buf: Lerp::new(1.0 - hyper.momentum), nesterov: hyper.nesterov.then(|| Lerp::new(hyper.momentum)) };
        if tall {
            elementwise::step(kernel, &momentum, next, grad, [buf]);
            transpose(rows, cols, next, x);
        } else {
            elementwise::step(kernel, &momentum, x, grad, [buf]);
        }

        // `X.div_(X.norm().clamp(min=eps))`: NaN stays NaN, as torch's clamp keeps it.
        let norm = grad_norm(x, NormType::Two, kernel);
        let eps = hyper.eps as f32;
        let norm = if norm < eps { eps } else { norm };
        elementwise::step(kernel, &DivideBy(norm), x, t, []);

        let (a, b, c) = hyper.ns_coefficients;
        let (a, b, c) = (a as f32, b as f32, c as f32);
        // `ns_steps` is an integer in [0, 99] (the row's rule).
        let (mut x, mut next) = (x, next);
        for _ in 0..hyper.ns_steps as usize {
            transpose(m, n, x, t);
            // A = X @ X.T
            Gemm { m, k: n, n: m, alpha: 1.0, beta: 0.0 }.run(x, t, gram, pack, kernel);
            // B = b * A + c * (A @ A)
            poly.copy_from_slice(gram);
            Gemm { m, k: m, n: m, alpha: c, beta: b }.run(gram, gram, poly, pack, kernel);
            // X = a * X + B @ X
            next.copy_from_slice(x);
            Gemm { m, k: m, n, alpha: 1.0, beta: a }.run(poly, x, next, pack, kernel);
            core::mem::swap(&mut x, &mut next);
        }
        let update = if tall {
            transpose(m, n, x, t);
            &*t
        } else {
            &*x
        };

        let apply = Apply {
            // Python: `1 - lr * weight_decay` and `-adjusted_lr` in float64, each rounded once.
            decay: (1.0 - hyper.lr * hyper.weight_decay) as f32,
            neg_lr: (-adjusted_lr(hyper.lr, hyper.adjust_lr_fn, rows, cols)) as f32,
        };
        elementwise::step(kernel, &apply, param, update, []);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::step_shaped;
    use crate::schema::InvalidHyperparameter;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn defaults_and_checks_are_torchs() {
        // torch 2.15: Muon(params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
        // ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None)
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.weight_decay, h.momentum, h.nesterov), (1e-3, 0.1, 0.95, true));
        assert_eq!((h.ns_coefficients, h.eps, h.ns_steps, h.adjust_lr_fn), ((3.4445, -4.775, 2.0315), 1e-7, 5.0, 0));
        let check = |h: Hyperparameters| MUON.check_row(&h.to_row());
        let field = |slot, value, rule| Err(InvalidHyperparameter::Field { slot, value, rule });
        // torch: "Number of steps must be less than 100".
        assert_eq!(check(Hyperparameters { ns_steps: 99.0, ..h }), Ok(()));
        assert_eq!(check(Hyperparameters { ns_steps: 100.0, ..h }), field(NS_STEPS, 100.0, Rule::IterationCount));
        assert_eq!(check(Hyperparameters { ns_steps: 2.5, ..h }), field(NS_STEPS, 2.5, Rule::IterationCount));
        assert_eq!(check(Hyperparameters { adjust_lr_fn: 3, ..h }), Ok(()));
        let mut row = h.to_row();
        row[ADJUST_LR_FN] = 4.0;
        assert_eq!(MUON.check_row(&row), field(ADJUST_LR_FN, 4.0, Rule::Choice));
        assert_eq!(check(Hyperparameters { momentum: -0.1, ..h }), field(MOMENTUM, -0.1, Rule::NonNegative));
    }

    #[test]
    fn the_learning_rate_is_adjusted_as_torch_does() {
        // torch's _adjust_lr for a 6x2 and a 2x6 parameter, lr 0.1.
        assert_eq!(adjusted_lr(0.1, 0, 6, 2), 0.1 * 3.0_f64.sqrt());
        assert_eq!(adjusted_lr(0.1, 1, 2, 6), 0.1);
        assert_eq!(adjusted_lr(0.1, 2, 2, 6), 0.1 * (0.2 * 6.0_f64.sqrt()));
        assert_eq!(adjusted_lr(0.1, 3, 2, 6), 0.1 * (2.0_f64 / 6.0).sqrt());
    }

    /// Newton–Schulz in f64, as the exact iteration (tests compare the f32 one against it).
    fn newton_schulz_f64(g: &[f64], rows: usize, cols: usize, (a, b, c): (f64, f64, f64), steps: usize) -> Vec<f64> {
        let tall = rows > cols;
        let (m, n) = if tall { (cols, rows) } else { (rows, cols) };
        let mut x: Vec<f64> = if tall { (0..m * n).map(|idx| g[(idx % n) * cols + idx / n]).collect() } else { g.to_vec() };
        let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        x.iter_mut().for_each(|v| *v /= norm);
        for _ in 0..steps {
            let gram: Vec<f64> = (0..m * m).map(|ij| (0..n).map(|p| x[(ij / m) * n + p] * x[(ij % m) * n + p]).sum()).collect();
            let poly: Vec<f64> = (0..m * m)
                .map(|ij| b * gram[ij] + c * (0..m).map(|p| gram[(ij / m) * m + p] * gram[p * m + ij % m]).sum::<f64>())
                .collect();
            x = (0..m * n)
                .map(|ij| a * x[ij] + (0..m).map(|p| poly[(ij / n) * m + p] * x[p * n + ij % n]).sum::<f64>())
                .collect();
        }
        if tall {
            (0..rows * cols).map(|idx| x[(idx % cols) * n + idx / cols]).collect()
        } else {
            x
        }
    }

    #[test]
    fn a_step_is_the_exact_iteration_within_float32_rounding_for_wide_and_tall_matrices() {
        for (rows, cols) in [(3, 7), (7, 3), (5, 5), (1, 6), (9, 2)] {
            let grad: Vec<f32> = (0..rows * cols).map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0).collect();
            let param0: Vec<f32> = (0..rows * cols).map(|i| (i as f32 * 0.25).sin()).collect();
            let h = Hyperparameters { lr: 0.02, momentum: 0.0, nesterov: false, weight_decay: 0.0, ..Default::default() };
            let dims = Dims { ndim: 2, rows, cols, first: rows };
            let want = {
                let g: Vec<f64> = grad.iter().map(|&v| f64::from(v)).collect();
                let o = newton_schulz_f64(&g, rows, cols, h.ns_coefficients, 5);
                let lr = adjusted_lr(h.lr, 0, rows, cols);
                param0.iter().zip(o).map(|(&p, o)| f64::from(p) - lr * o).collect::<Vec<_>>()
            };
            for kernel in [Kernel::Simd, Kernel::Reference] {
                let mut param = param0.clone();
                let mut state = None;
                step_shaped::<Muon>(&MUON, &h.to_row(), &mut state, &mut param, dims, &grad, kernel);
                // momentum 0: the buffer holds the gradient (lerp with weight 1).
                assert_eq!(state.as_ref().unwrap().buffer(0).unwrap(), &grad[..]);
                for (i, (&got, &want)) in param.iter().zip(&want).enumerate() {
                    assert!((f64::from(got) - want).abs() <= 1e-6, "{rows}x{cols} {kernel:?} [{i}]: {got} vs {want}");
                }
            }
        }
    }

    #[test]
    fn both_kernels_give_the_same_bits() {
        let (rows, cols) = (6, 11);
        let grad: Vec<f32> = (0..rows * cols).map(|i| ((i * 13 % 17) as f32 - 8.0) / 3.0).collect();
        let dims = Dims { ndim: 2, rows, cols, first: rows };
        let row = Hyperparameters::default().to_row();
        let run = |kernel| {
            let (mut param, mut state) = (vec![0.5_f32; rows * cols], None);
            for _ in 0..3 {
                step_shaped::<Muon>(&MUON, &row, &mut state, &mut param, dims, &grad, kernel);
            }
            (param.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), state.unwrap().buffer(0).unwrap().to_vec())
        };
        assert_eq!(run(Kernel::Simd), run(Kernel::Reference));
    }
}
