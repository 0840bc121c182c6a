//! `torch.optim.Adamax` (torch 2.15, single-tensor path: `_single_tensor_adamax` in
//! `torch/optim/adamax.py`): Adam with the infinity norm, with weight decay and `maximize`.
//!
//! torch's step for one parameter, and the element-wise operations it is here:
//!
//! ```text
//! grad = grad if not maximize else -grad
//! step_t += 1
//! if weight_decay != 0:  grad = grad.add(param, alpha=weight_decay)        g + wd * p
//! exp_avg.lerp_(grad, 1 - beta1)
//! torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps), out=exp_inf)    NaN if either is NaN
//! clr = lr / (1 - beta1 ** step)                                           Python floats
//! param.addcdiv_(exp_avg, exp_inf, value=-clr)                             p + (-clr * m) / u
//! ```

use super::{Algorithm, Target};
use crate::kernel::elementwise::{self, Update};
use crate::kernel::torch_ops::{addcdiv, maximum, mul, GradIn, Lerp};
use crate::kernel::{Kernel, Lanes};
use crate::schema::{slot_of, BufferSpec, FieldSpec, Rule, Spec};

/// `Adamax.__init__`'s `defaults`, in its order.
const FIELDS: &[FieldSpec] = &[
    FieldSpec::number("lr", 2e-3, Rule::NonNegative),
    FieldSpec::pair("betas", [0.9, 0.999], Rule::UnitInterval),
    FieldSpec::number("eps", 1e-8, Rule::NonNegative),
    FieldSpec::number("weight_decay", 0.0, Rule::NonNegative),
    FieldSpec::torch_only("foreach", None),
    FieldSpec::flag("maximize", false),
    FieldSpec::torch_only("differentiable", Some(false)),
    FieldSpec::torch_only("capturable", Some(false)),
];

const LR: usize = slot_of(FIELDS, "lr");
const BETAS: usize = slot_of(FIELDS, "betas");
const EPS: usize = slot_of(FIELDS, "eps");
const WEIGHT_DECAY: usize = slot_of(FIELDS, "weight_decay");
const MAXIMIZE: usize = slot_of(FIELDS, "maximize");
const ROW_LEN: usize = ADAMAX.row_len();

/// torch's `state[p]`: `step`, `exp_avg` and `exp_inf`.
const BUFFERS: &[BufferSpec] = &[BufferSpec::zeros("exp_avg"), BufferSpec::zeros("exp_inf")];

/// `torch.optim.Adamax`.
pub static ADAMAX: Spec = Spec { name: "Adamax", fields: FIELDS, buffers: BUFFERS, ..Spec::BASE };

hyperparameters!(ADAMAX {
    /// Learning rate, `>= 0`.
    lr: number = LR,
    /// Decay of the first moment and of the infinity norm, each in `[0, 1)`.
    betas: pair = BETAS,
    /// Added to `|g|` before the maximum, `>= 0`.
    eps: number = EPS,
    /// L2 penalty added to the gradient, `>= 0`.
    weight_decay: number = WEIGHT_DECAY,
    /// Ascend the objective instead of descending it.
    maximize: flag = MAXIMIZE,
});

/// The step's scalars, as the `f32`s torch's kernels use.
#[derive(Clone, Copy)]
struct Step {
    grad_in: GradIn,
    exp_avg_lerp: Lerp,
    beta2: f32,
    eps: f32,
    /// `-clr`: `-(lr / (1 - beta1 ** step))` in `f64`, rounded once.
    neg_clr: f32,
}

impl Step {
    fn new(h: &Hyperparameters, step: u64) -> Self {
        let clr = h.lr / (1.0 - h.betas.0.powf(step as f64));
        Self {
            grad_in: GradIn::new(h.maximize, h.weight_decay),
            exp_avg_lerp: Lerp::new(1.0 - h.betas.0),
            beta2: h.betas.1 as f32,
            eps: h.eps as f32,
            neg_clr: (-clr) as f32,
        }
    }
}

impl Update<2> for Step {
    #[inline(always)]
    fn apply<L: Lanes>(&self, p: L, grad: L, [exp_avg, exp_inf]: [L; 2]) -> (L, [L; 2]) {
        let g = self.grad_in.apply(grad, p);
        let exp_avg = self.exp_avg_lerp.apply(exp_avg, g);
        let exp_inf = maximum(mul(exp_inf, L::splat(self.beta2)), g.abs() + L::splat(self.eps));
        (addcdiv(p, exp_avg, exp_inf, L::splat(self.neg_clr)), [exp_avg, exp_inf])
    }
}

/// The Adamax step.
pub struct Adamax;

impl Algorithm for Adamax {
    type Hyperparameters = Hyperparameters;
    const SPLITS_BY_ELEMENT: bool = true;
    type Memo = ();

    fn step(hyper: &Hyperparameters, _memo: &mut (), target: Target<'_>, kernel: Kernel) {
        let Target { param, grad, step, buffers: [exp_avg, exp_inf, ..], .. } = target;
        let buffers = [exp_avg.expect("exp_avg is always in use"), exp_inf.expect("exp_inf is always in use")];
        let s = Step::new(hyper, step);
        elementwise::step(kernel, &s, param, grad, buffers);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn defaults_are_torchs() {
        // torch 2.15: Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False)
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.betas, h.eps, h.weight_decay, h.maximize), (2e-3, (0.9, 0.999), 1e-8, 0.0, false));
        assert_eq!(ADAMAX.check_row(&h.to_row()), Ok(()));
    }
}
