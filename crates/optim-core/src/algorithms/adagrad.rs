//! `torch.optim.Adagrad` (torch 2.15, single-tensor path: `_single_tensor_adagrad` in
//! `torch/optim/adagrad.py`), dense gradients, with learning-rate decay, weight decay and `maximize`.
//!
//! torch's step for one parameter, and the element-wise operations it is here:
//!
//! ```text
//! step_t += 1;  step = step_t.item()
//! grad = grad if not maximize else -grad
//! if weight_decay != 0:  grad = grad.add(param, alpha=weight_decay)     g + wd * p
//! clr = lr / (1 + (step - 1) * lr_decay)                                 a Python float
//! state_sum.addcmul_(grad, grad, value=1)                                sum + (1 * g) * g
//! std = state_sum.sqrt().add_(eps)
//! param.addcdiv_(grad, std, value=-clr)                                  p + (-clr * g) / std
//! ```
//!
//! torch's constructor creates every parameter's state (`step` 0 and `sum`), and fills `sum` with
//! the constructor's `initial_accumulator_value` (`self.defaults`), whatever a group says; a
//! parameter added later gets the same, at its first step. Both are what the spec says here
//! ([`Spec::eager_state`], [`BufferInit::Defaults`]).

use super::{Algorithm, Target};
use crate::kernel::elementwise::{self, Update};
use crate::kernel::torch_ops::{addcdiv, addcmul, GradIn};
use crate::kernel::{Kernel, Lanes};
use crate::schema::{slot_of, BufferInit, BufferSpec, FieldSpec, Rule, Spec};

/// `Adagrad.__init__`'s `defaults`, in its order.
const FIELDS: &[FieldSpec] = &[
    FieldSpec::number("lr", 1e-2, Rule::NonNegative),
    FieldSpec::number("lr_decay", 0.0, Rule::NonNegative),
    FieldSpec::number("eps", 1e-10, Rule::NonNegative),
    FieldSpec::number("weight_decay", 0.0, Rule::NonNegative),
    FieldSpec::number("initial_accumulator_value", 0.0, Rule::NonNegative),
    FieldSpec::torch_only("foreach", None),
    FieldSpec::flag("maximize", false),
    FieldSpec::torch_only("differentiable", Some(false)),
    FieldSpec::torch_only("fused", None),
];

const LR: usize = slot_of(FIELDS, "lr");
const LR_DECAY: usize = slot_of(FIELDS, "lr_decay");
const EPS: usize = slot_of(FIELDS, "eps");
const WEIGHT_DECAY: usize = slot_of(FIELDS, "weight_decay");
const INITIAL_ACCUMULATOR_VALUE: usize = slot_of(FIELDS, "initial_accumulator_value");
const MAXIMIZE: usize = slot_of(FIELDS, "maximize");
const ROW_LEN: usize = ADAGRAD.row_len();

/// torch's `state[p]`: `step` and `sum`, from the constructor on.
const BUFFERS: &[BufferSpec] = &[BufferSpec::zeros("sum").starting(BufferInit::Defaults(INITIAL_ACCUMULATOR_VALUE))];

/// `torch.optim.Adagrad`.
pub static ADAGRAD: Spec = Spec { name: "Adagrad", fields: FIELDS, buffers: BUFFERS, eager_state: true, ..Spec::BASE };

hyperparameters!(ADAGRAD {
    /// Learning rate, `>= 0`.
    lr: number = LR,
    /// Learning-rate decay, `>= 0`: step `t` uses `lr / (1 + (t - 1) * lr_decay)`.
    lr_decay: number = LR_DECAY,
    /// Added to the root of the accumulated squares before dividing, `>= 0`.
    eps: number = EPS,
    /// L2 penalty added to the gradient, `>= 0`.
    weight_decay: number = WEIGHT_DECAY,
    /// What `sum` starts at, `>= 0` (torch fills it with the constructor's value for every group).
    initial_accumulator_value: number = INITIAL_ACCUMULATOR_VALUE,
    /// Ascend the objective instead of descending it.
    maximize: flag = MAXIMIZE,
});

/// The step's scalars, as the `f32`s torch's kernels use.
#[derive(Clone, Copy)]
struct Step {
    grad_in: GradIn,
    eps: f32,
    /// `-clr`, the Python float `lr / (1 + (step - 1) * lr_decay)` negated, rounded once.
    neg_clr: f32,
}

impl Step {
    fn new(h: &Hyperparameters, step: u64) -> Self {
        let clr = h.lr / (1.0 + (step as f64 - 1.0) * h.lr_decay);
        Self { grad_in: GradIn::new(h.maximize, h.weight_decay), eps: h.eps as f32, neg_clr: (-clr) as f32 }
    }
}

impl Update<1> for Step {
    #[inline(always)]
    fn apply<L: Lanes>(&self, p: L, grad: L, [sum]: [L; 1]) -> (L, [L; 1]) {
        let g = self.grad_in.apply(grad, p);
        let sum = addcmul(sum, g, g, L::splat(1.0));
        let std = sum.sqrt() + L::splat(self.eps);
        (addcdiv(p, g, std, L::splat(self.neg_clr)), [sum])
    }
}

/// The Adagrad step.
pub struct Adagrad;

impl Algorithm for Adagrad {
    type Hyperparameters = Hyperparameters;
    const SPLITS_BY_ELEMENT: bool = true;
    type Memo = ();

    fn step(hyper: &Hyperparameters, _memo: &mut (), target: Target<'_>, kernel: Kernel) {
        let Target { param, grad, step, buffers: [sum, ..], .. } = target;
        let (s, sum) = (Step::new(hyper, step), sum.expect("sum is always in use"));
        elementwise::step(kernel, &s, param, grad, [sum]);
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
        // torch 2.15: Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False)
        let h = Hyperparameters::default();
        assert_eq!(
            (h.lr, h.lr_decay, h.eps, h.weight_decay, h.initial_accumulator_value, h.maximize),
            (1e-2, 0.0, 1e-10, 0.0, 0.0, false)
        );
        let field = |slot, value, rule| Err(InvalidHyperparameter::Field { slot, value, rule });
        let check = |h: Hyperparameters| ADAGRAD.check_row(&h.to_row());
        assert_eq!(check(Hyperparameters { lr_decay: -1.0, ..h }), field(LR_DECAY, -1.0, Rule::NonNegative));
        let iav = Hyperparameters { initial_accumulator_value: -0.5, ..h };
        assert_eq!(check(iav), field(INITIAL_ACCUMULATOR_VALUE, -0.5, Rule::NonNegative));
        assert!(ADAGRAD.eager_state);
    }

    #[test]
    fn the_decayed_learning_rate_is_a_python_float_rounded_once() {
        // clr = 0.1 / (1 + 2 * 0.5) at step 3, in f64, then negated and rounded.
        let s = Step::new(&Hyperparameters { lr: 0.1, lr_decay: 0.5, ..Default::default() }, 3);
        assert_eq!(s.neg_clr, (-(0.1_f64 / 2.0)) as f32);
    }
}
