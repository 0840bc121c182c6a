//! `torch.optim.RAdam` (torch 2.15, single-tensor path: `_single_tensor_radam` in
//! `torch/optim/radam.py`): Adam with the variance of the adaptive learning rate rectified, with
//! L2 or decoupled weight decay and `maximize`.
//!
//! torch's step for one parameter, and the element-wise operations it is here:
//!
//! ```text
//! grad = grad if not maximize else -grad
//! step_t += 1;  step = step_t.item()
//! if weight_decay != 0:
//!     if decoupled_weight_decay:  param.mul_(1 - lr * weight_decay)
//!     else:                       grad = grad.add(param, alpha=weight_decay)
//! exp_avg.lerp_(grad, 1 - beta1)
//! exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
//! bias_correction1 = 1 - beta1 ** step;  bias_correction2 = 1 - beta2 ** step   Python floats
//! bias_corrected_exp_avg = exp_avg / bias_correction1
//! rho_inf = 2 / (1 - beta2) - 1
//! rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
//! if rho_t > 5.0:
//!     rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
//!     adaptive_lr = (bias_correction2 ** 0.5) / exp_avg_sq.sqrt().add_(eps)  reciprocal(d) * f32(...)
//!     param.add_(bias_corrected_exp_avg * lr * adaptive_lr * rect, alpha=-1.0)
//! else:
//!     param.add_(bias_corrected_exp_avg * lr, alpha=-1.0)
//! ```
//!
//! `float / tensor` is Python's `Tensor.__rtruediv__`: `tensor.reciprocal() * float`. The products
//! are torch's left to right, each rounded; `alpha=-1.0` negates exactly.

use super::{Algorithm, Target};
use crate::kernel::elementwise::{self, Update};
use crate::kernel::torch_ops::{add, addcmul, div, mul, GradIn, Lerp};
use crate::kernel::{Kernel, Lanes};
use crate::schema::{slot_of, BufferSpec, FieldSpec, Rule, Spec};

/// `RAdam.__init__`'s `defaults`, in its order.
const FIELDS: &[FieldSpec] = &[
    FieldSpec::number("lr", 1e-3, Rule::NonNegative),
    FieldSpec::pair("betas", [0.9, 0.999], Rule::UnitInterval),
    FieldSpec::number("eps", 1e-8, Rule::NonNegative),
    FieldSpec::number("weight_decay", 0.0, Rule::NonNegative),
    FieldSpec::flag("maximize", false),
    FieldSpec::torch_only("foreach", None),
    FieldSpec::torch_only("capturable", Some(false)),
    FieldSpec::flag("decoupled_weight_decay", false),
    FieldSpec::torch_only("differentiable", Some(false)),
];

const LR: usize = slot_of(FIELDS, "lr");
const BETAS: usize = slot_of(FIELDS, "betas");
const EPS: usize = slot_of(FIELDS, "eps");
const WEIGHT_DECAY: usize = slot_of(FIELDS, "weight_decay");
const MAXIMIZE: usize = slot_of(FIELDS, "maximize");
const DECOUPLED_WEIGHT_DECAY: usize = slot_of(FIELDS, "decoupled_weight_decay");
const ROW_LEN: usize = RADAM.row_len();

/// torch's `state[p]`: `step`, `exp_avg` and `exp_avg_sq`.
const BUFFERS: &[BufferSpec] = &[BufferSpec::zeros("exp_avg"), BufferSpec::zeros("exp_avg_sq")];

/// `torch.optim.RAdam`.
pub static RADAM: Spec = Spec { name: "RAdam", fields: FIELDS, buffers: BUFFERS, ..Spec::BASE };

hyperparameters!(RADAM {
    /// Learning rate, `>= 0`.
    lr: number = LR,
    /// Decay of the first and second moments, each in `[0, 1)`.
    betas: pair = BETAS,
    /// Added to the root of the second moment before dividing, `>= 0`.
    eps: number = EPS,
    /// Weight decay, `>= 0`: L2 (added to the gradient), or decoupled (`p * (1 - lr * wd)`).
    weight_decay: number = WEIGHT_DECAY,
    /// Ascend the objective instead of descending it.
    maximize: flag = MAXIMIZE,
    /// Decoupled weight decay, as AdamW's.
    decoupled_weight_decay: flag = DECOUPLED_WEIGHT_DECAY,
});

/// The step's scalars, as the `f32`s torch's kernels use.
#[derive(Clone, Copy)]
struct Step {
    /// Maximize, and the L2 weight decay (none when it is decoupled).
    grad_in: GradIn,
    /// `weight_decay != 0` and decoupled: `param.mul_(1 - lr * weight_decay)`.
    decoupled: bool,
    decoupled_factor: f32,
    exp_avg_lerp: Lerp,
    beta2: f32,
    one_minus_beta2: f32,
    bias_correction1: f32,
    lr: f32,
    /// `rho_t > 5`: the rectified update.
    rectified: bool,
    eps: f32,
    /// `bias_correction2 ** 0.5`.
    bias_correction2_sqrt: f32,
    rect: f32,
}

impl Step {
    fn new(h: &Hyperparameters, step: u64) -> Self {
        let (beta1, beta2) = h.betas;
        let step = step as f64;
        let bias_correction1 = 1.0 - beta1.powf(step);
        let bias_correction2 = 1.0 - beta2.powf(step);
        let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
        let rho_t = rho_inf - 2.0 * step * beta2.powf(step) / bias_correction2;
        // Python's `** 0.5` is pow(x, 0.5), not sqrt: the same function here.
        let rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)).powf(0.5);
        Self {
            grad_in: GradIn::new(h.maximize, if h.decoupled_weight_decay { 0.0 } else { h.weight_decay }),
            decoupled: h.decoupled_weight_decay && h.weight_decay != 0.0,
            decoupled_factor: (1.0 - h.lr * h.weight_decay) as f32,
            exp_avg_lerp: Lerp::new(1.0 - beta1),
            beta2: beta2 as f32,
            one_minus_beta2: (1.0 - beta2) as f32,
            bias_correction1: bias_correction1 as f32,
            lr: h.lr as f32,
            rectified: rho_t > 5.0,
            eps: h.eps as f32,
            bias_correction2_sqrt: bias_correction2.powf(0.5) as f32,
            rect: rect as f32,
        }
    }
}

/// [`Step`] with its rectification decided at compile time: each side is its own loop.
#[derive(Clone, Copy)]
struct Rectified<const RECTIFIED: bool>(Step);

impl<const RECTIFIED: bool> Update<2> for Rectified<RECTIFIED> {
    #[inline(always)]
    fn apply<L: Lanes>(&self, p: L, grad: L, [exp_avg, exp_avg_sq]: [L; 2]) -> (L, [L; 2]) {
        let s = &self.0;
        let g = s.grad_in.apply(grad, p);
        let p = if s.decoupled { mul(p, L::splat(s.decoupled_factor)) } else { p };
        let exp_avg = s.exp_avg_lerp.apply(exp_avg, g);
        let exp_avg_sq = addcmul(mul(exp_avg_sq, L::splat(s.beta2)), g, g, L::splat(s.one_minus_beta2));
        let update = mul(div(exp_avg, L::splat(s.bias_correction1)), L::splat(s.lr));
        let update = if RECTIFIED {
            let adaptive_lr = mul(div(L::splat(1.0), exp_avg_sq.sqrt() + L::splat(s.eps)), L::splat(s.bias_correction2_sqrt));
            mul(mul(update, adaptive_lr), L::splat(s.rect))
        } else {
            update
        };
        (add(p, update, L::splat(-1.0)), [exp_avg, exp_avg_sq])
    }
}

/// The RAdam step.
pub struct RAdam;

impl Algorithm for RAdam {
    type Hyperparameters = Hyperparameters;
    const SPLITS_BY_ELEMENT: bool = true;
    type Memo = ();

    fn step(hyper: &Hyperparameters, _memo: &mut (), target: Target<'_>, kernel: Kernel) {
        let Target { param, grad, step, buffers: [exp_avg, exp_avg_sq, ..], .. } = target;
        let buffers = [exp_avg.expect("exp_avg is always in use"), exp_avg_sq.expect("exp_avg_sq is always in use")];
        let s = Step::new(hyper, step);
        if s.rectified {
            elementwise::step(kernel, &Rectified::<true>(s), param, grad, buffers);
        } else {
            elementwise::step(kernel, &Rectified::<false>(s), param, grad, buffers);
        }
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
        // torch 2.15: RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
        // decoupled_weight_decay=False, maximize=False)
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.betas, h.eps, h.weight_decay), (1e-3, (0.9, 0.999), 1e-8, 0.0));
        assert!(!h.decoupled_weight_decay && !h.maximize);
    }

    #[test]
    fn the_rectification_starts_once_rho_t_passes_5() {
        // With beta2 = 0.999, rho_t is 1, 1.998, 2.996, 3.993, 4.990, 5.987 at steps 1-6.
        let h = Hyperparameters::default();
        let rectified: Vec<bool> = (1..=7).map(|t| Step::new(&h, t).rectified).collect();
        assert_eq!(rectified, [false, false, false, false, false, true, true]);
    }
}
