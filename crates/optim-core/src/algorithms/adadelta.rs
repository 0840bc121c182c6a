//! `torch.optim.Adadelta` (torch 2.15, single-tensor path: `_single_tensor_adadelta` in
//! `torch/optim/adadelta.py`), with weight decay and `maximize`.
//!
//! torch's step for one parameter, and the element-wise operations it is here:
//!
//! ```text
//! grad = grad if not maximize else -grad
//! if weight_decay != 0:  grad = grad.add(param, alpha=weight_decay)     g + wd * p
//! square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)              sa * rho + ((1 - rho) * g) * g
//! std = square_avg.add(eps).sqrt_()
//! delta = acc_delta.add(eps).sqrt_()
//! delta.div_(std).mul_(grad)                                            (sqrt(ad + eps) / std) * g
//! acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)             ad * rho + ((1 - rho) * d) * d
//! param.add_(delta, alpha=-lr)                                          p + -lr * d
//! ```
//!
//! `1 - rho` is computed in `f64`, then rounded once to `f32`, as every `alpha=` and `value=`.

use super::{Algorithm, Target};
use crate::kernel::elementwise::{self, Update};
use crate::kernel::torch_ops::{add, addcmul, div, mul, GradIn};
use crate::kernel::{Kernel, Lanes};
use crate::schema::{slot_of, BufferSpec, FieldSpec, Rule, Spec};

/// `Adadelta.__init__`'s `defaults`, in its order.
const FIELDS: &[FieldSpec] = &[
    FieldSpec::number("lr", 1.0, Rule::NonNegative),
    FieldSpec::number("rho", 0.9, Rule::ClosedUnitInterval),
    FieldSpec::number("eps", 1e-6, Rule::NonNegative),
    FieldSpec::number("weight_decay", 0.0, Rule::NonNegative),
    FieldSpec::flag("maximize", false),
    FieldSpec::torch_only("capturable", Some(false)),
    FieldSpec::torch_only("foreach", None),
    FieldSpec::torch_only("differentiable", Some(false)),
];

const LR: usize = slot_of(FIELDS, "lr");
const RHO: usize = slot_of(FIELDS, "rho");
const EPS: usize = slot_of(FIELDS, "eps");
const WEIGHT_DECAY: usize = slot_of(FIELDS, "weight_decay");
const MAXIMIZE: usize = slot_of(FIELDS, "maximize");
const ROW_LEN: usize = ADADELTA.row_len();

/// torch's `state[p]`: `step`, `square_avg` and `acc_delta`.
const BUFFERS: &[BufferSpec] = &[BufferSpec::zeros("square_avg"), BufferSpec::zeros("acc_delta")];

/// `torch.optim.Adadelta`.
pub static ADADELTA: Spec = Spec { name: "Adadelta", fields: FIELDS, buffers: BUFFERS, ..Spec::BASE };

hyperparameters!(ADADELTA {
    /// Scales the delta before it is applied, `>= 0`.
    lr: number = LR,
    /// Decay of the running averages, in `[0, 1]`.
    rho: number = RHO,
    /// Added inside both roots, `>= 0`.
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
    rho: f32,
    one_minus_rho: f32,
    eps: f32,
    neg_lr: f32,
}

impl Step {
    fn new(h: &Hyperparameters) -> Self {
        Self {
            grad_in: GradIn::new(h.maximize, h.weight_decay),
            rho: h.rho as f32,
            one_minus_rho: (1.0 - h.rho) as f32,
            eps: h.eps as f32,
            neg_lr: (-h.lr) as f32,
        }
    }
}

impl Update<2> for Step {
    #[inline(always)]
    fn apply<L: Lanes>(&self, p: L, grad: L, [square_avg, acc_delta]: [L; 2]) -> (L, [L; 2]) {
        let g = self.grad_in.apply(grad, p);
        let (rho, one_minus_rho, eps) = (L::splat(self.rho), L::splat(self.one_minus_rho), L::splat(self.eps));
        let square_avg = addcmul(mul(square_avg, rho), g, g, one_minus_rho);
        let std = (square_avg + eps).sqrt();
        let delta = mul(div((acc_delta + eps).sqrt(), std), g);
        let acc_delta = addcmul(mul(acc_delta, rho), delta, delta, one_minus_rho);
        (add(p, delta, L::splat(self.neg_lr)), [square_avg, acc_delta])
    }
}

/// The Adadelta step.
pub struct Adadelta;

impl Algorithm for Adadelta {
    type Hyperparameters = Hyperparameters;
    const SPLITS_BY_ELEMENT: bool = true;
    type Memo = ();

    fn step(hyper: &Hyperparameters, _memo: &mut (), target: Target<'_>, kernel: Kernel) {
        let Target { param, grad, buffers: [square_avg, acc_delta, ..], .. } = target;
        let buffers = [square_avg.expect("square_avg is always in use"), acc_delta.expect("acc_delta is always in use")];
        elementwise::step(kernel, &Step::new(hyper), param, grad, buffers);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::InvalidHyperparameter;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn defaults_and_checks_are_torchs() {
        // torch 2.15: Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.rho, h.eps, h.weight_decay, h.maximize), (1.0, 0.9, 1e-6, 0.0, false));
        let check = |h: Hyperparameters| ADADELTA.check_row(&h.to_row());
        // torch: `0.0 <= rho <= 1.0`, both ends included.
        assert_eq!((check(Hyperparameters { rho: 0.0, ..h }), check(Hyperparameters { rho: 1.0, ..h })), (Ok(()), Ok(())));
        let rule = Rule::ClosedUnitInterval;
        assert_eq!(check(Hyperparameters { rho: 1.5, ..h }), Err(InvalidHyperparameter::Field { slot: RHO, value: 1.5, rule }));
    }
}
