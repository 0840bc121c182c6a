//! `torch.optim.Rprop` (torch 2.15, single-tensor path: `_single_tensor_rprop` in
//! `torch/optim/rprop.py`): resilient backpropagation, with `maximize`.
//!
//! torch's step for one parameter, and the element-wise operations it is here:
//!
//! ```text
//! grad = grad if not maximize else -grad
//! step += 1
//! sign = grad.mul(prev).sign()                      1, -1, or +0 (for zeros and NaN)
//! sign[sign.gt(0)] = etaplus
//! sign[sign.lt(0)] = etaminus
//! sign[sign.eq(0)] = 1
//! step_size.mul_(sign).clamp_(step_size_min, step_size_max)
//! grad = grad.clone();  grad[sign.eq(etaminus)] = 0
//! param.addcmul_(grad.sign(), step_size, value=-1)  p + (-1 * sign(g)) * step_size
//! prev.copy_(grad)
//! ```
//!
//! The three assignments run in order, each on what the previous left (an `etaminus` that rounds
//! to 0 in `f32` is then set to 1, as torch does). `lr` is only where `step_size` starts, when the
//! state is created.

use super::{Algorithm, Target};
use crate::kernel::elementwise::{self, Update};
use crate::kernel::torch_ops::{addcmul, clamp, mul, sign, GradIn};
use crate::kernel::{Kernel, Lanes};
use crate::schema::{slot_of, BufferInit, BufferSpec, FieldSpec, Rule, Spec};

/// `Rprop.__init__`'s `defaults`, in its order.
const FIELDS: &[FieldSpec] = &[
    FieldSpec::number("lr", 1e-2, Rule::NonNegative),
    // torch: `0.0 < etas[0] < 1.0 < etas[1]`.
    FieldSpec::pair_with("etas", [0.5, 1.2], [Rule::OpenUnitInterval, Rule::AboveOne]),
    // torch checks nothing here; lucid refuses NaN and infinities, as for every number.
    FieldSpec::pair("step_sizes", [1e-6, 50.0], Rule::Finite),
    FieldSpec::torch_only("foreach", None),
    FieldSpec::flag("maximize", false),
    FieldSpec::torch_only("differentiable", Some(false)),
    FieldSpec::torch_only("capturable", Some(false)),
];

const LR: usize = slot_of(FIELDS, "lr");
const ETAS: usize = slot_of(FIELDS, "etas");
const STEP_SIZES: usize = slot_of(FIELDS, "step_sizes");
const MAXIMIZE: usize = slot_of(FIELDS, "maximize");
const ROW_LEN: usize = RPROP.row_len();

/// torch's `state[p]`: `step`, `prev` (zeros at first) and `step_size` (the group's `lr` at first).
const BUFFERS: &[BufferSpec] = &[BufferSpec::zeros("prev"), BufferSpec::zeros("step_size").starting(BufferInit::Group(LR))];

/// `torch.optim.Rprop`.
pub static RPROP: Spec = Spec { name: "Rprop", fields: FIELDS, buffers: BUFFERS, ..Spec::BASE };

hyperparameters!(RPROP {
    /// The first step size of every element, `>= 0` (used when the state is created).
    lr: number = LR,
    /// `(etaminus, etaplus)`: how a step size shrinks when the gradient's sign flips, and grows
    /// when it holds; `0 < etaminus < 1 < etaplus`.
    etas: pair = ETAS,
    /// `(min, max)`: the step sizes' bounds.
    step_sizes: pair = STEP_SIZES,
    /// Ascend the objective instead of descending it.
    maximize: flag = MAXIMIZE,
});

/// The step's scalars, as the `f32`s torch's kernels use.
#[derive(Clone, Copy)]
struct Step {
    grad_in: GradIn,
    etaminus: f32,
    etaplus: f32,
    step_size_min: f32,
    step_size_max: f32,
}

impl Update<2> for Step {
    #[inline(always)]
    fn apply<L: Lanes>(&self, p: L, grad: L, [prev, step_size]: [L; 2]) -> (L, [L; 2]) {
        let (zero, one) = (L::splat(0.0), L::splat(1.0));
        let (etaminus, etaplus) = (L::splat(self.etaminus), L::splat(self.etaplus));
        let g = self.grad_in.apply(grad, p);
        let s = sign(mul(g, prev));
        let s = zero.lt(s).select(etaplus, s);
        let s = s.lt(zero).select(etaminus, s);
        let s = s.eq(zero).select(one, s);
        let step_size = clamp(mul(step_size, s), L::splat(self.step_size_min), L::splat(self.step_size_max));
        let g = s.eq(etaminus).select(zero, g);
        (addcmul(p, sign(g), step_size, L::splat(-1.0)), [g, step_size])
    }
}

/// The Rprop step.
pub struct Rprop;

impl Algorithm for Rprop {
    type Hyperparameters = Hyperparameters;
    const SPLITS_BY_ELEMENT: bool = true;
    type Memo = ();

    fn step(hyper: &Hyperparameters, _memo: &mut (), target: Target<'_>, kernel: Kernel) {
        let Target { param, grad, buffers: [prev, step_size, ..], .. } = target;
        let buffers = [prev.expect("prev is always in use"), step_size.expect("step_size is always in use")];
        let s = Step {
            // No weight decay in Rprop: maximize only.
            grad_in: GradIn::new(hyper.maximize, 0.0),
            etaminus: hyper.etas.0 as f32,
            etaplus: hyper.etas.1 as f32,
            step_size_min: hyper.step_sizes.0 as f32,
            step_size_max: hyper.step_sizes.1 as f32,
        };
        elementwise::step(kernel, &s, param, grad, buffers);
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
        // torch 2.15: Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False)
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.etas, h.step_sizes, h.maximize), (1e-2, (0.5, 1.2), (1e-6, 50.0), false));
        let check = |h: Hyperparameters| RPROP.check_row(&h.to_row());
        let field = |slot, value, rule| Err(InvalidHyperparameter::Field { slot, value, rule });
        assert_eq!(check(Hyperparameters { etas: (1.0, 1.2), ..h }), field(ETAS, 1.0, Rule::OpenUnitInterval));
        assert_eq!(check(Hyperparameters { etas: (0.5, 1.0), ..h }), field(ETAS + 1, 1.0, Rule::AboveOne));
        assert_eq!(check(Hyperparameters { step_sizes: (-1.0, 0.5), ..h }), Ok(()), "torch checks no step size");
    }

    #[test]
    fn a_step_grows_shrinks_or_keeps_each_step_size_by_the_sign_of_g_times_prev() {
        let s = Step { grad_in: GradIn::new(false, 0.0), etaminus: 0.5, etaplus: 1.2, step_size_min: 1e-6, step_size_max: 50.0 };
        // Same sign: x1.2 and a step against g; flipped: x0.5, no step, prev set to 0; a zero: kept.
        let (p, [prev, size]) = s.apply::<f32>(1.0, 2.0, [3.0, 0.1]);
        assert_eq!((p, prev, size), (1.0 - 0.1_f32 * 1.2, 2.0, 0.1_f32 * 1.2));
        let (p, [prev, size]) = s.apply::<f32>(1.0, -2.0, [3.0, 0.1]);
        assert_eq!((p, prev, size), (1.0, 0.0, 0.1_f32 * 0.5));
        let (p, [prev, size]) = s.apply::<f32>(1.0, 2.0, [0.0, 0.1]);
        assert_eq!((p, prev, size), (1.0 - 0.1, 2.0, 0.1));
        // Clamped at both ends.
        assert_eq!(s.apply::<f32>(0.0, 1.0, [1.0, 49.0]).1[1], 50.0);
        assert_eq!(s.apply::<f32>(0.0, 1.0, [-1.0, 1e-6]).1[1], 1e-6);
        // A NaN gradient: sign(NaN) is 0, so its step size holds and the parameter does not move.
        let (p, [prev, size]) = s.apply::<f32>(1.0, f32::NAN, [3.0, 0.1]);
        assert!(p == 1.0 && prev.is_nan() && size == 0.1);
    }
}
