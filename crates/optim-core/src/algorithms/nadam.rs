//! `torch.optim.NAdam` (torch 2.15, single-tensor path: `_single_tensor_nadam` in
//! `torch/optim/nadam.py`): Adam with Nesterov momentum and a momentum schedule, with L2 or
//! decoupled weight decay and `maximize`.
//!
//! torch's step for one parameter, and the element-wise operations it is here:
//!
//! ```text
//! grad = grad if not maximize else -grad
//! step_t += 1;  step = step_t.item()
//! bias_correction2 = 1 - beta2 ** step                                        Python floats
//! if weight_decay != 0:
//!     if decoupled_weight_decay:  param.mul_(1 - lr * weight_decay)
//!     else:                       grad = grad.add(param, alpha=weight_decay)
//! mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
//! mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
//! mu_product *= mu                                                            a float32 0-d tensor
//! exp_avg.lerp_(grad, 1 - beta1)
//! exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
//! denom = exp_avg_sq.div(bias_correction2).sqrt()
//! mu_product_next = mu_product.item() * mu_next
//! denom.add_(eps)
//! param.addcdiv_(grad, denom, value=(-lr * (1.0 - mu) / (1.0 - mu_product.item())))
//! param.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1.0 - mu_product_next))
//! ```
//!
//! `mu_product` lives in the state as torch keeps it, a float32: each step multiplies it by `mu`
//! rounded to `f32`, in `f32`. The two `value=`s are computed in `f64` from its `f32` value, then
//! rounded once.

use super::{Algorithm, Target};
use crate::kernel::elementwise::{self, Update};
use crate::kernel::torch_ops::{addcdiv, addcmul, div, mul, GradIn, Lerp};
use crate::kernel::{Kernel, Lanes};
use crate::schema::{slot_of, BufferSpec, FieldSpec, Rule, ScalarInit, ScalarSpec, Spec};

/// `NAdam.__init__`'s `defaults`, in its order.
const FIELDS: &[FieldSpec] = &[
    FieldSpec::number("lr", 2e-3, Rule::NonNegative),
    FieldSpec::pair("betas", [0.9, 0.999], Rule::UnitInterval),
    FieldSpec::number("eps", 1e-8, Rule::NonNegative),
    FieldSpec::number("weight_decay", 0.0, Rule::NonNegative),
    FieldSpec::number("momentum_decay", 4e-3, Rule::NonNegative),
    FieldSpec::flag("decoupled_weight_decay", false),
    FieldSpec::flag("maximize", false),
    FieldSpec::torch_only("foreach", None),
    FieldSpec::torch_only("capturable", Some(false)),
    FieldSpec::torch_only("differentiable", Some(false)),
];

const LR: usize = slot_of(FIELDS, "lr");
const BETAS: usize = slot_of(FIELDS, "betas");
const EPS: usize = slot_of(FIELDS, "eps");
const WEIGHT_DECAY: usize = slot_of(FIELDS, "weight_decay");
const MOMENTUM_DECAY: usize = slot_of(FIELDS, "momentum_decay");
const DECOUPLED_WEIGHT_DECAY: usize = slot_of(FIELDS, "decoupled_weight_decay");
const MAXIMIZE: usize = slot_of(FIELDS, "maximize");
const ROW_LEN: usize = NADAM.row_len();

/// torch's `state[p]`: `step`, `mu_product` (a float32 0-d tensor, 1 at first), `exp_avg`,
/// `exp_avg_sq`.
const SCALARS: &[ScalarSpec] = &[ScalarSpec { name: "mu_product", init: ScalarInit::One }];
const BUFFERS: &[BufferSpec] = &[BufferSpec::zeros("exp_avg"), BufferSpec::zeros("exp_avg_sq")];

/// `torch.optim.NAdam`.
pub static NADAM: Spec = Spec { name: "NAdam", fields: FIELDS, scalars: SCALARS, buffers: BUFFERS, ..Spec::BASE };

hyperparameters!(NADAM {
    /// Learning rate, `>= 0`.
    lr: number = LR,
    /// Decay of the first and second moments, each in `[0, 1)`.
    betas: pair = BETAS,
    /// Added to the bias-corrected root before dividing, `>= 0`.
    eps: number = EPS,
    /// Weight decay, `>= 0`: L2 (added to the gradient), or decoupled (`p * (1 - lr * wd)`).
    weight_decay: number = WEIGHT_DECAY,
    /// The momentum schedule's decay, `>= 0`.
    momentum_decay: number = MOMENTUM_DECAY,
    /// Decoupled weight decay, as AdamW's (NAdamW).
    decoupled_weight_decay: flag = DECOUPLED_WEIGHT_DECAY,
    /// Ascend the objective instead of descending it.
    maximize: flag = MAXIMIZE,
});

/// The step's scalars, as the `f32`s torch's kernels use.
#[derive(Clone, Copy)]
struct Step {
    /// Maximize, and the L2 weight decay (none when it is decoupled).
    grad_in: GradIn,
    /// `weight_decay != 0` and decoupled: `param.mul_(1 - lr * weight_decay)`.
    decoupled: bool,
    /// `1 - lr * weight_decay` in `f64`, rounded once.
    decoupled_factor: f32,
    exp_avg_lerp: Lerp,
    beta2: f32,
    one_minus_beta2: f32,
    bias_correction2: f32,
    eps: f32,
    /// `value=` of the gradient's `addcdiv_`.
    grad_value: f32,
    /// `value=` of the momentum's `addcdiv_`.
    exp_avg_value: f32,
}

impl Step {
    /// The scalars of step `step`, and `mu_product` multiplied by this step's `mu`, as torch does.
    fn new(h: &Hyperparameters, step: u64, mu_product: &mut f32) -> Self {
        let (beta1, beta2) = h.betas;
        let step = step as f64;
        let bias_correction2 = 1.0 - beta2.powf(step);
        let mu = beta1 * (1.0 - 0.5 * 0.96_f64.powf(step * h.momentum_decay));
        let mu_next = beta1 * (1.0 - 0.5 * 0.96_f64.powf((step + 1.0) * h.momentum_decay));
        // `mu_product *= mu`: a float32 tensor times a Python float, in f32.
        *mu_product *= mu as f32;
        let mu_product = f64::from(*mu_product);
        let mu_product_next = mu_product * mu_next;
        Self {
            grad_in: GradIn::new(h.maximize, if h.decoupled_weight_decay { 0.0 } else { h.weight_decay }),
            decoupled: h.decoupled_weight_decay && h.weight_decay != 0.0,
            decoupled_factor: (1.0 - h.lr * h.weight_decay) as f32,
            exp_avg_lerp: Lerp::new(1.0 - beta1),
            beta2: beta2 as f32,
            one_minus_beta2: (1.0 - beta2) as f32,
            bias_correction2: bias_correction2 as f32,
            eps: h.eps as f32,
            grad_value: (-h.lr * (1.0 - mu) / (1.0 - mu_product)) as f32,
            exp_avg_value: ((-h.lr * mu_next) / (1.0 - mu_product_next)) as f32,
        }
    }
}

impl Update<2> for Step {
    #[inline(always)]
    fn apply<L: Lanes>(&self, p: L, grad: L, [exp_avg, exp_avg_sq]: [L; 2]) -> (L, [L; 2]) {
        let g = self.grad_in.apply(grad, p);
        let p = if self.decoupled { mul(p, L::splat(self.decoupled_factor)) } else { p };
        let exp_avg = self.exp_avg_lerp.apply(exp_avg, g);
        let exp_avg_sq = addcmul(mul(exp_avg_sq, L::splat(self.beta2)), g, g, L::splat(self.one_minus_beta2));
        let denom = div(exp_avg_sq, L::splat(self.bias_correction2)).sqrt() + L::splat(self.eps);
        let p = addcdiv(p, g, denom, L::splat(self.grad_value));
        (addcdiv(p, exp_avg, denom, L::splat(self.exp_avg_value)), [exp_avg, exp_avg_sq])
    }
}

/// The NAdam step.
pub struct NAdam;

impl Algorithm for NAdam {
    type Hyperparameters = Hyperparameters;
    const SPLITS_BY_ELEMENT: bool = true;
    type Memo = ();

    fn step(hyper: &Hyperparameters, _memo: &mut (), target: Target<'_>, kernel: Kernel) {
        let Target { param, grad, step, scalars: [mu_product, ..], buffers: [exp_avg, exp_avg_sq, ..], .. } = target;
        let buffers = [exp_avg.expect("exp_avg is always in use"), exp_avg_sq.expect("exp_avg_sq is always in use")];
        let s = Step::new(hyper, step, mu_product);
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
        // torch 2.15: NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
        // momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False)
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.betas, h.eps, h.weight_decay, h.momentum_decay), (2e-3, (0.9, 0.999), 1e-8, 0.0, 4e-3));
        assert!(!h.decoupled_weight_decay && !h.maximize);
        assert_eq!(NADAM.scalars[0].name, "mu_product");
    }

    #[test]
    fn mu_product_is_a_float32_product() {
        // Three steps from 1.0, each times f32(mu_t): the f32 product, not the f64 one rounded.
        let h = Hyperparameters::default();
        let mut mu_product = 1.0_f32;
        let mut want = 1.0_f32;
        for step in 1..=3_u64 {
            Step::new(&h, step, &mut mu_product);
            want *= (0.9 * (1.0 - 0.5 * 0.96_f64.powf(step as f64 * 4e-3))) as f32;
        }
        assert_eq!(mu_product, want);
    }
}
