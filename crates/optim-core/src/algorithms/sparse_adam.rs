//! `torch.optim.SparseAdam` (torch 2.15: `SparseAdam.step` and `sparse_adam` in
//! `torch/optim/_functional.py`): Adam on the rows of the first dimension that a sparse gradient
//! touches (`nn.Embedding(sparse=True)`'s gradients), each of them bit for bit; every other row,
//! and its moments, stays as it is.
//!
//! torch's step for one parameter, and what it is here:
//!
//! ```text
//! grad = -grad if maximize;  grad = grad.coalesce()          repeated rows summed, in order
//! old_m = exp_avg[rows];  upd_m = (g - old_m) * (1 - beta1);  exp_avg[rows] += upd_m
//! old_v = exp_avg_sq[rows]; upd_v = (g**2 - old_v) * (1 - beta2); exp_avg_sq[rows] += upd_v
//! numer = upd_m + old_m;  denom = (upd_v + old_v).sqrt() + eps
//! step_size = lr * sqrt(1 - beta2 ** step) / (1 - beta1 ** step)      Python floats
//! param[rows] += -step_size * (numer / denom)
//! ```
//!
//! `coalesce` sorts the rows and sums the values of a repeated row in the order they were
//! given (torch's sort keeps that order: the fixtures have rows repeated three times); here the
//! rows are sorted by `(row, position)` with an in-place sort of the workspace. The state's `step`
//! is a Python int in torch's state dict, and it counts a step whose gradient is empty, as torch's.

use super::{Algorithm, Target};
use crate::kernel::Kernel;
use crate::param::Dims;
use crate::schema::{slot_of, BufferSpec, FieldSpec, Rule, Spec};

/// `SparseAdam.__init__`'s `defaults`, in its order (no execution flags: it has none).
const FIELDS: &[FieldSpec] = &[
    // torch's constructor: "Invalid learning rate" unless 0 < lr, "Invalid epsilon value" unless
    // 0 < eps. It checks its own lr only, so a group's lr, or a scheduler's, may be 0 (cosine
    // annealing to 0): here lr >= 0 in every group, and the facade refuses 0 as the
    // constructor's lr (ts/optim/sparse-adam.ts).
    FieldSpec::number("lr", 1e-3, Rule::NonNegative),
    FieldSpec::pair("betas", [0.9, 0.999], Rule::UnitInterval),
    FieldSpec::number("eps", 1e-8, Rule::Positive),
    FieldSpec::flag("maximize", false),
];

const LR: usize = slot_of(FIELDS, "lr");
const BETAS: usize = slot_of(FIELDS, "betas");
const EPS: usize = slot_of(FIELDS, "eps");
const MAXIMIZE: usize = slot_of(FIELDS, "maximize");
const ROW_LEN: usize = SPARSE_ADAM.row_len();

/// `torch.optim.SparseAdam`.
pub static SPARSE_ADAM: Spec = Spec {
    name: "SparseAdam",
    fields: FIELDS,
    // torch: `state["step"] = 0`, then `exp_avg` and `exp_avg_sq`, zeros of the parameter's shape.
    buffers: &[BufferSpec::zeros("exp_avg"), BufferSpec::zeros("exp_avg_sq")],
    // torch: "SparseAdam does not support dense gradients, please consider Adam instead".
    sparse_grads: true,
    int_step: true,
    ..Spec::BASE
};

hyperparameters!(SPARSE_ADAM {
    /// Learning rate, `> 0`.
    lr: number = LR,
    /// The running averages' coefficients, each in `[0, 1)`.
    betas: pair = BETAS,
    /// Added to `sqrt(v)` before dividing, `> 0`.
    eps: number = EPS,
    /// Ascend the objective instead of descending it (the gradient is negated).
    maximize: flag = MAXIMIZE,
});

/// Sorts `items` in place by `less`, a strict total order: a heap sort, in O(n log n) with no
/// allocation and little code (the `.wasm` has a size budget; the standard library's sorts are
/// several kilobytes each).
fn heap_sort(items: &mut [u32], less: impl Fn(u32, u32) -> bool) {
    let sift_down = |items: &mut [u32], mut root: usize, end: usize| loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && less(items[child], items[child + 1]) {
            child += 1;
        }
        if !less(items[root], items[child]) {
            return;
        }
        items.swap(root, child);
        root = child;
    };
    let n = items.len();
    for root in (0..n / 2).rev() {
        sift_down(items, root, n);
    }
    for end in (1..n).rev() {
        items.swap(0, end);
        sift_down(items, 0, end);
    }
}

/// The SparseAdam step.
pub struct SparseAdam;

impl Algorithm for SparseAdam {
    type Hyperparameters = Hyperparameters;
    type Memo = ();
    const NEEDS_WORKSPACE: bool = true;

    /// The order of the gradient's rows (one `u32` per row, in an `f32`'s place) and one row's
    /// sum: at most twice the gradient's values.
    fn workspace_len(_hyper: &Hyperparameters, _dims: Dims, grad_len: usize) -> usize {
        2 * grad_len
    }

    fn step(h: &Hyperparameters, _memo: &mut (), target: Target<'_>, _kernel: Kernel) {
        let Target { param, grad: values, indices, dims, step, buffers: [exp_avg, exp_avg_sq, ..], workspace, .. } = target;
        let indices = indices.expect("SparseAdam steps sparse gradients only (the engine checks)");
        let exp_avg = exp_avg.expect("exp_avg is always in use");
        let exp_avg_sq = exp_avg_sq.expect("exp_avg_sq is always in use");
        let (width, rows) = (dims.row_width(param.len()), indices.len());
        if rows == 0 || width == 0 {
            return; // torch: "Skip update for empty grad" (its step was counted)
        }
        let (order, rest) = workspace.split_at_mut(rows);
        // SAFETY: f32 and u32 have the same size and alignment, and every bit pattern is a u32.
        let order: &mut [u32] = unsafe { core::slice::from_raw_parts_mut(order.as_mut_ptr().cast::<u32>(), rows) };
        for (k, slot) in order.iter_mut().enumerate() {
            *slot = k as u32;
        }
        // By row, then by position: a stable order without a stable sort's allocation.
        heap_sort(order, |a, b| (indices[a as usize], a) < (indices[b as usize], b));
        let sum = &mut rest[..width];

        // Python floats, each rounded to f32 where torch's kernels take it.
        let step = step as f64;
        let step_size = h.lr * (1.0 - h.betas.1.powf(step)).sqrt() / (1.0 - h.betas.0.powf(step));
        let (one_minus_beta1, one_minus_beta2) = ((1.0 - h.betas.0) as f32, (1.0 - h.betas.1) as f32);
        let (eps, neg_step_size) = (h.eps as f32, (-step_size) as f32);

        let mut j = 0;
        while j < rows {
            // coalesce(): the first value of a row, then each repeat added in order.
            let row = indices[order[j] as usize];
            let at = |k: u32| k as usize * width;
            sum.copy_from_slice(&values[at(order[j])..at(order[j]) + width]);
            j += 1;
            while j < rows && indices[order[j] as usize] == row {
                for (s, &x) in sum.iter_mut().zip(&values[at(order[j])..at(order[j]) + width]) {
                    *s += x;
                }
                j += 1;
            }
            let base = row as usize * width;
            for (e, &g) in sum.iter().enumerate() {
                let g = if h.maximize { -g } else { g };
                let i = base + e;
                let (old_m, old_v) = (exp_avg[i], exp_avg_sq[i]);
                let update_m = (g - old_m) * one_minus_beta1;
                let update_v = (g * g - old_v) * one_minus_beta2;
                exp_avg[i] = old_m + update_m;
                exp_avg_sq[i] = old_v + update_v;
                let denom = (update_v + old_v).sqrt() + eps;
                param[i] += (update_m + old_m) / denom * neg_step_size;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::param::ParamBuffers;
    use crate::schema::InvalidHyperparameter;
    use crate::{AlgorithmId, Optimizer, StepError, Stepped, Unbounded};
    use std::{cell::RefCell, rc::Rc};
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_heap_sort_sorts() {
        let keys = [5u32, 3, 9, 3, 0, 7, 7, 1, 12, 5];
        for n in 0..=keys.len() {
            let mut order: Vec<u32> = (0..n as u32).collect();
            heap_sort(&mut order, |a, b| (keys[a as usize], a) < (keys[b as usize], b));
            let mut want: Vec<u32> = (0..n as u32).collect();
            want.sort_by_key(|&k| (keys[k as usize], k));
            assert_eq!(order, want, "n = {n}");
        }
    }

    #[test]
    fn defaults_and_checks_are_torchs() {
        // torch 2.15: SparseAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False)
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.betas, h.eps, h.maximize), (1e-3, (0.9, 0.999), 1e-8, false));
        let check = |h: Hyperparameters| SPARSE_ADAM.check_row(&h.to_row());
        let field = |slot, value, rule| Err(InvalidHyperparameter::Field { slot, value, rule });
        assert_eq!(check(Hyperparameters { lr: -1e-3, ..h }), field(LR, -1e-3, Rule::NonNegative));
        assert_eq!(check(Hyperparameters { lr: 0.0, ..h }), Ok(()), "a scheduler may anneal lr to 0, as in torch");
        assert_eq!(check(Hyperparameters { eps: 0.0, ..h }), field(EPS, 0.0, Rule::Positive));
        assert_eq!(check(Hyperparameters { betas: (0.9, 1.0), ..h }), field(BETAS + 1, 1.0, Rule::UnitInterval));
    }

    fn embedding(rows: usize, width: usize) -> Rc<RefCell<ParamBuffers>> {
        let mut p = ParamBuffers::from_values((0..rows * width).map(|i| i as f32 / 10.0).collect());
        assert!(p.set_shape([rows, width]));
        Rc::new(RefCell::new(p))
    }

    #[test]
    fn only_the_rows_given_change_and_a_repeated_row_is_the_sum_of_its_values() {
        let (once, twice) = (embedding(4, 3), embedding(4, 3));
        let mut opts = [&once, &twice].map(|p| {
            let mut opt = Optimizer::new(AlgorithmId::SparseAdam, Unbounded);
            opt.add_group(1).unwrap();
            opt.set_row(0, &Hyperparameters { lr: 0.1, ..Default::default() }.to_row());
            opt.add_param(p).unwrap();
            opt
        });
        // Row 2 given once with its summed values, or twice (and row 0 once) in pieces.
        once.borrow_mut().set_sparse_grad(&[2], &[1.5, -0.5, 0.25], &Unbounded).unwrap();
        twice.borrow_mut().set_sparse_grad(&[2, 2], &[1.0, -1.0, 0.25, 0.5, 0.5, 0.0], &Unbounded).unwrap();
        for opt in &mut opts {
            assert_eq!(opt.step(false), Ok(Stepped::All));
        }
        let (a, b) = (once.borrow().data().to_vec(), twice.borrow().data().to_vec());
        assert_eq!(a, b);
        let untouched: Vec<f32> = (0..12).map(|i| i as f32 / 10.0).collect();
        assert_eq!((&a[..6], &a[9..]), (&untouched[..6], &untouched[9..]), "rows 0, 1 and 3 unchanged");
        assert!(a[6..9].iter().zip(&untouched[6..9]).all(|(x, y)| x != y), "row 2 moved");
    }

    #[test]
    fn a_dense_gradient_is_refused_and_changes_nothing() {
        let p = embedding(2, 2);
        let mut opt = Optimizer::new(AlgorithmId::SparseAdam, Unbounded);
        opt.add_group(1).unwrap();
        opt.set_row(0, &Hyperparameters::default().to_row());
        opt.add_param(&p).unwrap();
        p.borrow_mut().grad_buffer(&Unbounded).unwrap().fill(1.0);
        p.borrow_mut().set_has_grad(true);
        assert_eq!(opt.step(false), Err(StepError::GradLayout { param: 0, sparse: false }));
        assert!(opt.state(0).is_none());
        // And Adam refuses a sparse one.
        let mut adam = Optimizer::new(AlgorithmId::Adam, Unbounded);
        adam.add_group(1).unwrap();
        adam.set_row(0, &crate::algorithms::adam::Hyperparameters::default().to_row());
        adam.add_param(&p).unwrap();
        p.borrow_mut().set_sparse_grad(&[1], &[1.0, 2.0], &Unbounded).unwrap();
        assert_eq!(adam.step(false), Err(StepError::GradLayout { param: 0, sparse: true }));
    }
}
