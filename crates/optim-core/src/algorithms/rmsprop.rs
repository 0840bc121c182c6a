//! `torch.optim.RMSprop` (torch 2.15, single-tensor path: `_single_tensor_rmsprop` in
//! `torch/optim/rmsprop.py`), with weight decay, momentum, the centered variant and `maximize`.
//!
//! torch's step for one parameter, and the element-wise operations it is here:
//!
//! ```text
//! grad = grad if not maximize else -grad
//! if weight_decay != 0:  grad = grad.add(param, alpha=weight_decay)             g + wd * p
//! square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)                  sa * alpha + ((1 - alpha) * g) * g
//! if centered:
//!     grad_avg.lerp_(grad, 1 - alpha)
//!     avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()            sqrt(sa + (-1 * ga) * ga)
//! else:  avg = square_avg.sqrt()
//! avg = avg.add_(eps)
//! if momentum > 0:
//!     buf.mul_(momentum).addcdiv_(grad, avg)                                    buf * m + (1 * g) / avg
//!     param.add_(buf, alpha=-lr)
//! else:  param.addcdiv_(grad, avg, value=-lr)                                   p + (-lr * g) / avg
//! ```
//!
//! Every `alpha=` and `value=` is a Python float rounded once to `f32`; `1 - alpha` is computed
//! in `f64` first. The state counts steps (torch's `step`, which the update does not read).
//! torch creates `momentum_buffer` and `grad_avg` with the state, only if the group has momentum
//! or `centered` then (switched on later, torch raises a `KeyError`); here a buffer a group starts
//! using later is created as zeros, as at the state's creation.

use super::{Algorithm, Target};
use crate::kernel::elementwise::{self, Update};
use crate::kernel::torch_ops::{add, addcdiv, addcmul, mul, GradIn, Lerp};
use crate::kernel::{Kernel, Lanes};
use crate::schema::{slot_of, BufferSpec, BufferUse, FieldSpec, Rule, Spec};

/// `RMSprop.__init__`'s `defaults`, in its order.
const FIELDS: &[FieldSpec] = &[
    FieldSpec::number("lr", 1e-2, Rule::NonNegative),
    FieldSpec::number("momentum", 0.0, Rule::NonNegative),
    // torch checks only `0 <= alpha`: above 1 is allowed.
    FieldSpec::number("alpha", 0.99, Rule::NonNegative),
    FieldSpec::number("eps", 1e-8, Rule::NonNegative),
    FieldSpec::flag("centered", false),
    FieldSpec::number("weight_decay", 0.0, Rule::NonNegative),
    FieldSpec::torch_only("capturable", Some(false)),
    FieldSpec::torch_only("foreach", None),
    FieldSpec::flag("maximize", false),
    FieldSpec::torch_only("differentiable", Some(false)),
];

const LR: usize = slot_of(FIELDS, "lr");
const MOMENTUM: usize = slot_of(FIELDS, "momentum");
const ALPHA: usize = slot_of(FIELDS, "alpha");
const EPS: usize = slot_of(FIELDS, "eps");
const CENTERED: usize = slot_of(FIELDS, "centered");
const WEIGHT_DECAY: usize = slot_of(FIELDS, "weight_decay");
const MAXIMIZE: usize = slot_of(FIELDS, "maximize");
const ROW_LEN: usize = RMSPROP.row_len();

/// torch's `state[p]` after `step`: `square_avg`, `momentum_buffer` while `momentum > 0`,
/// `grad_avg` while `centered` (torch raises a `KeyError` for a loaded state without one it uses).
const BUFFERS: &[BufferSpec] = &[
    BufferSpec::zeros("square_avg"),
    BufferSpec::zeros("momentum_buffer").when(BufferUse::WhenNonZero(MOMENTUM)),
    BufferSpec::zeros("grad_avg").when(BufferUse::WhenFlag(CENTERED)),
];

/// `torch.optim.RMSprop`.
pub static RMSPROP: Spec = Spec { name: "RMSprop", fields: FIELDS, buffers: BUFFERS, ..Spec::BASE };

hyperparameters!(RMSPROP {
    /// Learning rate, `>= 0`.
    lr: number = LR,
    /// Momentum factor, `>= 0` (0: no momentum buffer).
    momentum: number = MOMENTUM,
    /// Smoothing constant of the squared-gradient average, `>= 0`.
    alpha: number = ALPHA,
    /// Added to the root of the average before dividing, `>= 0`.
    eps: number = EPS,
    /// Normalize by the variance estimate (`square_avg - grad_avg²`) instead of the raw second moment.
    centered: flag = CENTERED,
    /// L2 penalty added to the gradient, `>= 0`.
    weight_decay: number = WEIGHT_DECAY,
    /// Ascend the objective instead of descending it.
    maximize: flag = MAXIMIZE,
});

/// The step's scalars, as the `f32`s torch's kernels use.
#[derive(Clone, Copy)]
struct Scalars {
    grad_in: GradIn,
    alpha: f32,
    /// `1 - alpha`, computed in `f64`, then rounded: `value=` of the `addcmul_`.
    one_minus_alpha: f32,
    /// `grad_avg.lerp_(grad, 1 - alpha)`.
    grad_avg_lerp: Lerp,
    eps: f32,
    momentum: f32,
    neg_lr: f32,
}

impl Scalars {
    fn new(h: &Hyperparameters) -> Self {
        Self {
            grad_in: GradIn::new(h.maximize, h.weight_decay),
            alpha: h.alpha as f32,
            one_minus_alpha: (1.0 - h.alpha) as f32,
            grad_avg_lerp: Lerp::new(1.0 - h.alpha),
            eps: h.eps as f32,
            momentum: h.momentum as f32,
            neg_lr: (-h.lr) as f32,
        }
    }
}

/// One element: `(param, square_avg, grad_avg, momentum_buffer)` after the step. The two switches
/// are compile-time; an unused buffer's lane is passed through untouched.
#[inline(always)]
fn update<L: Lanes, const CENTERED: bool, const MOMENTUM: bool>(
    s: &Scalars,
    p: L,
    grad: L,
    sa: L,
    ga: L,
    buf: L,
) -> (L, L, L, L) {
    let g = s.grad_in.apply(grad, p);
    let sa = addcmul(mul(sa, L::splat(s.alpha)), g, g, L::splat(s.one_minus_alpha));
    let (avg, ga) = if CENTERED {
        let ga = s.grad_avg_lerp.apply(ga, g);
        (addcmul(sa, ga, ga, L::splat(-1.0)).sqrt(), ga)
    } else {
        (sa.sqrt(), ga)
    };
    let avg = avg + L::splat(s.eps);
    if MOMENTUM {
        let buf = addcdiv(mul(buf, L::splat(s.momentum)), g, avg, L::splat(1.0));
        (add(p, buf, L::splat(s.neg_lr)), sa, ga, buf)
    } else {
        (addcdiv(p, g, avg, L::splat(s.neg_lr)), sa, ga, buf)
    }
}

/// [`update`] for each set of buffers in use: `[square_avg]`, `[square_avg, momentum_buffer]`,
/// `[square_avg, grad_avg]`, `[square_avg, grad_avg, momentum_buffer]`.
#[derive(Clone, Copy)]
struct Rms<const CENTERED: bool, const MOMENTUM: bool>(Scalars);

impl Update<1> for Rms<false, false> {
    #[inline(always)]
    fn apply<L: Lanes>(&self, p: L, g: L, [sa]: [L; 1]) -> (L, [L; 1]) {
        let (p, sa, _, _) = update::<L, false, false>(&self.0, p, g, sa, sa, sa);
        (p, [sa])
    }
}

impl Update<2> for Rms<false, true> {
    #[inline(always)]
    fn apply<L: Lanes>(&self, p: L, g: L, [sa, buf]: [L; 2]) -> (L, [L; 2]) {
        let (p, sa, _, buf) = update::<L, false, true>(&self.0, p, g, sa, sa, buf);
        (p, [sa, buf])
    }
}

impl Update<2> for Rms<true, false> {
    #[inline(always)]
    fn apply<L: Lanes>(&self, p: L, g: L, [sa, ga]: [L; 2]) -> (L, [L; 2]) {
        let (p, sa, ga, _) = update::<L, true, false>(&self.0, p, g, sa, ga, ga);
        (p, [sa, ga])
    }
}

impl Update<3> for Rms<true, true> {
    #[inline(always)]
    fn apply<L: Lanes>(&self, p: L, g: L, [sa, ga, buf]: [L; 3]) -> (L, [L; 3]) {
        let (p, sa, ga, buf) = update::<L, true, true>(&self.0, p, g, sa, ga, buf);
        (p, [sa, ga, buf])
    }
}

/// The buffers this step uses, as the spec orders them.
struct Buffers<'a> {
    square_avg: &'a mut [f32],
    momentum_buffer: Option<&'a mut [f32]>,
    grad_avg: Option<&'a mut [f32]>,
}

/// The step with `kernel`, over the buffers in use.
fn step(kernel: Kernel, s: Scalars, param: &mut [f32], grad: &[f32], b: Buffers<'_>) {
    match (b.grad_avg, b.momentum_buffer) {
        (None, None) => elementwise::step(kernel, &Rms::<false, false>(s), param, grad, [b.square_avg]),
        (None, Some(buf)) => elementwise::step(kernel, &Rms::<false, true>(s), param, grad, [b.square_avg, buf]),
        (Some(ga), None) => elementwise::step(kernel, &Rms::<true, false>(s), param, grad, [b.square_avg, ga]),
        (Some(ga), Some(buf)) => elementwise::step(kernel, &Rms::<true, true>(s), param, grad, [b.square_avg, ga, buf]),
    }
}

/// The RMSprop step.
pub struct RmsProp;

impl Algorithm for RmsProp {
    type Hyperparameters = Hyperparameters;
    const SPLITS_BY_ELEMENT: bool = true;
    type Memo = ();

    fn step(hyper: &Hyperparameters, _memo: &mut (), target: Target<'_>, kernel: Kernel) {
        let Target { param, grad, buffers: [square_avg, momentum_buffer, grad_avg], .. } = target;
        let b = Buffers { square_avg: square_avg.expect("square_avg is always in use"), momentum_buffer, grad_avg };
        step(kernel, Scalars::new(hyper), param, grad, b);
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
        // torch 2.15: RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False)
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.momentum, h.alpha, h.eps, h.weight_decay), (1e-2, 0.0, 0.99, 1e-8, 0.0));
        assert!(!h.centered && !h.maximize);
        assert_eq!(Hyperparameters::from_row(&h.to_row()), h);
        let field = |slot, value, rule| Err(InvalidHyperparameter::Field { slot, value, rule });
        let check = |h: Hyperparameters| RMSPROP.check_row(&h.to_row());
        assert_eq!(check(Hyperparameters { alpha: 1.5, ..h }), Ok(()), "torch takes alpha above 1");
        assert_eq!(check(Hyperparameters { alpha: -0.1, ..h }), field(ALPHA, -0.1, Rule::NonNegative));
        assert_eq!(check(Hyperparameters { momentum: -1.0, ..h }), field(MOMENTUM, -1.0, Rule::NonNegative));
        let both = Hyperparameters { momentum: 0.9, centered: true, ..h };
        assert_eq!((RMSPROP.buffers_in_use(&h.to_row(), 1), RMSPROP.buffers_in_use(&both.to_row(), 1)), (0b001, 0b111));
    }
}
