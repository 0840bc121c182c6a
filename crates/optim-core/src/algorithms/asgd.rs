//! `torch.optim.ASGD` (torch 2.15, single-tensor path: `_single_tensor_asgd` in
//! `torch/optim/asgd.py`): averaged SGD, with weight decay and `maximize`.
//!
//! torch's step for one parameter, and the element-wise operations it is here:
//!
//! ```text
//! grad = grad if not maximize else -grad
//! step_t += 1
//! if weight_decay != 0:  grad = grad.add(param, alpha=weight_decay)     g + wd * p
//! eta_value = eta.item()
//! param.mul_(1 - lambd * eta_value)                                     decay term
//! param.add_(grad, alpha=-eta_value)                                    p + -eta * g
//! if mu.item() != 1:  ax.add_(param.sub(ax).mul_(mu))                    ax + (p - ax) * mu
//! else:               ax.copy_(param)
//! step = step_t.item()
//! eta.copy_(torch.as_tensor(lr / ((1 + lambd * lr * step) ** alpha)))  Python floats, then float32
//! mu.copy_(torch.as_tensor(1 / max(1, step - t0)))
//! ```
//!
//! `eta` and `mu` live in the state as torch keeps them, float32 0-d tensors: `eta` starts at the
//! group's `lr` when the state is created, `mu` at 1; each step sets both for the next one.

use super::{Algorithm, Target};
use crate::kernel::elementwise::{self, Update};
use crate::kernel::torch_ops::{add, mul, GradIn};
use crate::kernel::{Kernel, Lanes};
use crate::schema::{slot_of, BufferSpec, FieldSpec, Rule, ScalarInit, ScalarSpec, Spec};

/// `ASGD.__init__`'s `defaults`, in its order.
const FIELDS: &[FieldSpec] = &[
    FieldSpec::number("lr", 1e-2, Rule::NonNegative),
    FieldSpec::number("lambd", 1e-4, Rule::NonNegative),
    FieldSpec::number("alpha", 0.75, Rule::NonNegative),
    // torch checks nothing here; lucid refuses NaN and infinities, as for every number.
    FieldSpec::number("t0", 1e6, Rule::Finite),
    FieldSpec::number("weight_decay", 0.0, Rule::NonNegative),
    FieldSpec::torch_only("foreach", None),
    FieldSpec::flag("maximize", false),
    FieldSpec::torch_only("differentiable", Some(false)),
    FieldSpec::torch_only("capturable", Some(false)),
];

const LR: usize = slot_of(FIELDS, "lr");
const LAMBD: usize = slot_of(FIELDS, "lambd");
const ALPHA: usize = slot_of(FIELDS, "alpha");
const T0: usize = slot_of(FIELDS, "t0");
const WEIGHT_DECAY: usize = slot_of(FIELDS, "weight_decay");
const MAXIMIZE: usize = slot_of(FIELDS, "maximize");
const ROW_LEN: usize = ASGD.row_len();

/// torch's `state[p]`: `step`, `eta` (the group's `lr` at first), `mu` (1 at first), `ax`.
const SCALARS: &[ScalarSpec] =
    &[ScalarSpec { name: "eta", init: ScalarInit::Group(LR) }, ScalarSpec { name: "mu", init: ScalarInit::One }];
const BUFFERS: &[BufferSpec] = &[BufferSpec::zeros("ax")];

/// `torch.optim.ASGD`.
pub static ASGD: Spec = Spec { name: "ASGD", fields: FIELDS, scalars: SCALARS, buffers: BUFFERS, ..Spec::BASE };

hyperparameters!(ASGD {
    /// Learning rate, `>= 0`.
    lr: number = LR,
    /// Decay term, `>= 0`.
    lambd: number = LAMBD,
    /// Power of the learning rate's decay, `>= 0`.
    alpha: number = ALPHA,
    /// The step averaging starts after.
    t0: number = T0,
    /// L2 penalty added to the gradient, `>= 0`.
    weight_decay: number = WEIGHT_DECAY,
    /// Ascend the objective instead of descending it.
    maximize: flag = MAXIMIZE,
});

/// The step's scalars, as the `f32`s torch's kernels use.
#[derive(Clone, Copy)]
struct Step {
    grad_in: GradIn,
    /// `1 - lambd * eta` in `f64` (from `eta`'s `f32` value), rounded once.
    decay_factor: f32,
    /// `-eta`: exact, `eta` is an `f32`.
    neg_eta: f32,
    /// `mu != 1`: average; otherwise `ax` is a copy of the parameter.
    average: bool,
    mu: f32,
}

impl Update<1> for Step {
    #[inline(always)]
    fn apply<L: Lanes>(&self, p: L, grad: L, [ax]: [L; 1]) -> (L, [L; 1]) {
        let g = self.grad_in.apply(grad, p);
        let p = add(mul(p, L::splat(self.decay_factor)), g, L::splat(self.neg_eta));
        let ax = if self.average { ax + mul(p - ax, L::splat(self.mu)) } else { p };
        (p, [ax])
    }
}

/// The ASGD step.
pub struct Asgd;

impl Algorithm for Asgd {
    type Hyperparameters = Hyperparameters;
    const SPLITS_BY_ELEMENT: bool = true;
    type Memo = ();

    fn step(hyper: &Hyperparameters, _memo: &mut (), target: Target<'_>, kernel: Kernel) {
        let Target { param, grad, step, scalars: [eta, mu], buffers: [ax, ..], .. } = target;
        let ax = ax.expect("ax is always in use");
        let eta_value = f64::from(*eta);
        let s = Step {
            grad_in: GradIn::new(hyper.maximize, hyper.weight_decay),
            decay_factor: (1.0 - hyper.lambd * eta_value) as f32,
            neg_eta: -*eta,
            average: *mu != 1.0,
            mu: *mu,
        };
        elementwise::step(kernel, &s, param, grad, [ax]);
        // The next step's eta and mu, as Python floats rounded to the float32 state.
        let (lr, step) = (hyper.lr, step as f64);
        *eta = (lr / (1.0 + hyper.lambd * lr * step).powf(hyper.alpha)) as f32;
        *mu = (1.0 / (step - hyper.t0).max(1.0)) as f32;
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
        // torch 2.15: ASGD(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False)
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.lambd, h.alpha, h.t0, h.weight_decay, h.maximize), (1e-2, 1e-4, 0.75, 1e6, 0.0, false));
        let names: Vec<&str> = ASGD.scalars.iter().map(|s| s.name).collect();
        assert_eq!(names, ["eta", "mu"]);
    }
}
