//! `torch.optim.SGD` (torch 2.15, single-tensor path: `_single_tensor_sgd` in
//! `torch/optim/sgd.py`), with momentum, dampening, Nesterov momentum, weight decay and
//! `maximize`.
//!
//! torch's step for one parameter, and the element-wise operations it is here:
//!
//! ```text
//! grad = grad if not maximize else -grad
//! if weight_decay != 0:  grad = grad.add(param, alpha=weight_decay)     g + wd * p
//! if momentum != 0:
//!     if buf is None:    buf = grad.detach().clone()                    the first step with momentum
//!     else:              buf.mul_(momentum).add_(grad, alpha=1 - dampening)
//!     if nesterov:       grad = grad.add(buf, alpha=momentum)
//!     else:              grad = buf
//! param.add_(grad, alpha=-lr)
//! ```
//!
//! Every `alpha` is a Python float that ATen rounds once to float32; `1 - dampening` is computed
//! in float64 first, as Python computes it. torch keeps no state while `momentum` is 0, and the
//! state is only `momentum_buffer`: no step count.

use super::{Algorithm, Target};
use crate::kernel::torch_ops::{add, mul, negate_if};
use crate::kernel::{F32x4, Kernel, Lanes};
use crate::schema::{slot_of, BufferSpec, BufferUse, CrossRule, FieldSpec, Rule, Spec};

/// `SGD.__init__`'s `defaults`, in its order.
const FIELDS: &[FieldSpec] = &[
    FieldSpec::number("lr", 1e-3, Rule::NonNegative),
    FieldSpec::number("momentum", 0.0, Rule::NonNegative),
    // torch checks nothing here; lucid refuses NaN and infinities, as for every number.
    FieldSpec::number("dampening", 0.0, Rule::Finite),
    FieldSpec::number("weight_decay", 0.0, Rule::NonNegative),
    FieldSpec::flag("nesterov", false),
    FieldSpec::flag("maximize", false),
    FieldSpec::torch_only("foreach", None),
    FieldSpec::torch_only("differentiable", Some(false)),
    FieldSpec::torch_only("fused", None),
];

const LR: usize = slot_of(FIELDS, "lr");
const MOMENTUM: usize = slot_of(FIELDS, "momentum");
const DAMPENING: usize = slot_of(FIELDS, "dampening");
const WEIGHT_DECAY: usize = slot_of(FIELDS, "weight_decay");
const NESTEROV: usize = slot_of(FIELDS, "nesterov");
const MAXIMIZE: usize = slot_of(FIELDS, "maximize");
const ROW_LEN: usize = SGD.row_len();

/// torch's `state[p]`: `momentum_buffer` while `momentum` is not 0. A loaded state without one is
/// what torch finds at a first step (`state.get("momentum_buffer")` is None): it clones the
/// gradient into a new one.
const BUFFERS: &[BufferSpec] = &[BufferSpec::zeros("momentum_buffer").when(BufferUse::WhenNonZero(MOMENTUM)).optional()];

/// torch's constructor: "Nesterov momentum requires a momentum and zero dampening" (checked here
/// for every group at every step).
fn nesterov_needs_momentum(row: &[f64]) -> Option<CrossRule> {
    let nesterov = row[NESTEROV] == 1.0;
    (nesterov && !(row[MOMENTUM] > 0.0 && row[DAMPENING] == 0.0)).then_some(CrossRule::NesterovNeedsMomentum)
}

/// `torch.optim.SGD`.
pub static SGD: Spec = Spec {
    name: "SGD",
    fields: FIELDS,
    buffers: BUFFERS,
    counts_steps: false,
    cross_check: nesterov_needs_momentum,
    ..Spec::BASE
};

hyperparameters!(SGD {
    /// Learning rate, `>= 0`.
    lr: number = LR,
    /// Momentum factor, `>= 0` (0: plain SGD, no state).
    momentum: number = MOMENTUM,
    /// Dampening of the gradient's share of the momentum buffer.
    dampening: number = DAMPENING,
    /// L2 penalty added to the gradient, `>= 0`.
    weight_decay: number = WEIGHT_DECAY,
    /// Nesterov momentum (needs `momentum > 0` and `dampening == 0`).
    nesterov: flag = NESTEROV,
    /// Ascend the objective instead of descending it (the gradient is negated).
    maximize: flag = MAXIMIZE,
});

/// What the momentum buffer does this step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Momentum {
    /// `momentum == 0`: no buffer.
    Off,
    /// `buf = grad.clone()`: the buffer was just created.
    First,
    /// `buf.mul_(momentum).add_(grad, alpha=1 - dampening)`.
    Update,
}

/// The scalars of a step, as the `f32`s torch's kernels multiply by, splatted to a lane type.
#[derive(Clone, Copy)]
struct Splat<L> {
    /// `-0.0` with `maximize` (XOR-ing the gradient's sign bit with it negates it), else `+0.0`.
    grad_sign: L,
    weight_decay: L,
    momentum: L,
    one_minus_dampening: L,
    neg_lr: L,
}

impl<L: Lanes> Splat<L> {
    #[inline(always)]
    fn new(h: &Hyperparameters) -> Self {
        Self {
            grad_sign: L::splat(if h.maximize { -0.0 } else { 0.0 }),
            weight_decay: L::splat(h.weight_decay as f32),
            momentum: L::splat(h.momentum as f32),
            // Python: `1 - dampening` in float64, then ATen's one rounding of `alpha`.
            one_minus_dampening: L::splat((1.0 - h.dampening) as f32),
            neg_lr: L::splat((-h.lr) as f32),
        }
    }
}

/// One element (or lane group): the new parameter and momentum buffer. The switches are
/// compile-time, so each combination is its own loop holding only its operations.
#[inline(always)]
fn update<L: Lanes, const DECAY: bool, const MOMENTUM: u8, const NESTEROV: bool>(s: &Splat<L>, p: L, grad: L, buf: L) -> (L, L) {
    let mut g = negate_if(grad, s.grad_sign);
    if DECAY {
        g = add(g, p, s.weight_decay);
    }
    let (g, buf) = if MOMENTUM == Momentum::Off as u8 {
        (g, buf)
    } else {
        let buf = if MOMENTUM == Momentum::First as u8 {
            g
        } else {
            add(mul(buf, s.momentum), g, s.one_minus_dampening)
        };
        (if NESTEROV { add(g, buf, s.momentum) } else { buf }, buf)
    };
    (add(p, g, s.neg_lr), buf)
}

/// The first `body` elements (a multiple of `L::WIDTH`), `L::WIDTH` at a time.
///
/// # Safety
/// `param` and `grad` must be valid for `body` floats, and `buf` too unless `MOMENTUM` is `Off`.
#[inline(always)]
unsafe fn body_loop<L: Lanes, const DECAY: bool, const MOMENTUM: u8, const NESTEROV: bool>(
    s: &Splat<L>,
    param: *mut f32,
    grad: *const f32,
    buf: *mut f32,
    body: usize,
) {
    let mut i = 0;
    while i < body {
        // SAFETY: i + L::WIDTH <= body, and the caller guarantees body floats per buffer in use.
        unsafe {
            let old = if MOMENTUM == Momentum::Update as u8 { L::load(buf.add(i)) } else { L::splat(0.0) };
            let (p, b) = update::<L, DECAY, MOMENTUM, NESTEROV>(s, L::load(param.add(i)), L::load(grad.add(i)), old);
            p.store(param.add(i));
            if MOMENTUM != Momentum::Off as u8 {
                b.store(buf.add(i));
            }
        }
        i += L::WIDTH;
    }
}

/// One SGD step over `param` with `L`-wide lanes, then the scalar tail.
#[inline(always)]
fn step_lanes<L: Lanes>(hyper: &Hyperparameters, param: &mut [f32], grad: &[f32], mut buf: Option<&mut [f32]>, first: bool) {
    let n = param.len();
    assert!(grad.len() == n && buf.as_ref().map_or(true, |b| b.len() == n), "buffer lengths differ");
    let s = Splat::<L>::new(hyper);
    let body = n - n % L::WIDTH;
    let momentum = match (&buf, first) {
        (None, _) => Momentum::Off,
        (Some(_), true) => Momentum::First,
        (Some(_), false) => Momentum::Update,
    };
    // Decided on the float64, as torch's `weight_decay != 0` is.
    let decay = hyper.weight_decay != 0.0;
    let (p, g) = (param.as_mut_ptr(), grad.as_ptr());
    let b = buf.as_deref_mut().map_or(core::ptr::null_mut(), <[f32]>::as_mut_ptr);
    const OFF: u8 = Momentum::Off as u8;
    const FIRST: u8 = Momentum::First as u8;
    const UPDATE: u8 = Momentum::Update as u8;
    // SAFETY: param and grad hold n >= body floats, and buf too whenever the momentum is on.
    unsafe {
        match (decay, momentum, hyper.nesterov) {
            (false, Momentum::Off, _) => body_loop::<L, false, OFF, false>(&s, p, g, b, body),
            (true, Momentum::Off, _) => body_loop::<L, true, OFF, false>(&s, p, g, b, body),
            (false, Momentum::First, false) => body_loop::<L, false, FIRST, false>(&s, p, g, b, body),
            (false, Momentum::First, true) => body_loop::<L, false, FIRST, true>(&s, p, g, b, body),
            (true, Momentum::First, false) => body_loop::<L, true, FIRST, false>(&s, p, g, b, body),
            (true, Momentum::First, true) => body_loop::<L, true, FIRST, true>(&s, p, g, b, body),
            (false, Momentum::Update, false) => body_loop::<L, false, UPDATE, false>(&s, p, g, b, body),
            (false, Momentum::Update, true) => body_loop::<L, false, UPDATE, true>(&s, p, g, b, body),
            (true, Momentum::Update, false) => body_loop::<L, true, UPDATE, false>(&s, p, g, b, body),
            (true, Momentum::Update, true) => body_loop::<L, true, UPDATE, true>(&s, p, g, b, body),
        }
    }
    if L::WIDTH > 1 && body < n {
        step_lanes::<f32>(hyper, &mut param[body..], &grad[body..], buf.map(|b| &mut b[body..]), first);
    }
}

/// The scalar reference: one element at a time, the oracle of [`step_simd`]. `buf` is the momentum
/// buffer (while `momentum != 0`), `first` whether it was just created.
///
/// # Panics
/// If `grad` or `buf` has a different length from `param`.
pub fn step_scalar(hyper: &Hyperparameters, param: &mut [f32], grad: &[f32], buf: Option<&mut [f32]>, first: bool) {
    step_lanes::<f32>(hyper, param, grad, buf, first);
}

/// The fast path: 4 lanes at a time ([`F32x4`]), then the scalar tail. Bitwise equal to
/// [`step_scalar`].
///
/// # Panics
/// As [`step_scalar`].
#[inline(never)] // its own wasm function: see KERNELS_STAY_APART in scripts/build-wasm.sh
pub fn step_simd(hyper: &Hyperparameters, param: &mut [f32], grad: &[f32], buf: Option<&mut [f32]>, first: bool) {
    step_lanes::<F32x4>(hyper, param, grad, buf, first);
}

/// The SGD step.
pub struct Sgd;

impl Algorithm for Sgd {
    type Hyperparameters = Hyperparameters;
    const SPLITS_BY_ELEMENT: bool = true;
    type Memo = ();

    fn step(hyper: &Hyperparameters, _memo: &mut (), target: Target<'_>, kernel: Kernel) {
        let Target { param, grad, buffers: [momentum_buffer, ..], fresh, .. } = target;
        let first = fresh & 1 != 0;
        match kernel {
            Kernel::Simd => step_simd(hyper, param, grad, momentum_buffer, first),
            #[cfg(feature = "reference-kernel")]
            Kernel::Reference => step_scalar(hyper, param, grad, momentum_buffer, first),
        }
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
    fn defaults_are_torchs() {
        // torch 2.15: SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.momentum, h.dampening, h.weight_decay, h.nesterov, h.maximize), (1e-3, 0.0, 0.0, 0.0, false, false));
        assert_eq!(SGD.row_len(), 6);
        assert_eq!(SGD.check_row(&h.to_row()), Ok(()));
        assert_eq!(Hyperparameters::from_row(&h.to_row()), h);
    }

    #[test]
    fn torchs_constructor_checks_and_the_nesterov_rule() {
        let base = Hyperparameters { momentum: 0.9, nesterov: true, ..Hyperparameters::default() };
        let check = |h: Hyperparameters| SGD.check_row(&h.to_row());
        assert_eq!(check(base), Ok(()));
        let field = |slot, value, rule| Err(InvalidHyperparameter::Field { slot, value, rule });
        assert_eq!(check(Hyperparameters { lr: -0.1, ..base }), field(LR, -0.1, Rule::NonNegative));
        assert_eq!(check(Hyperparameters { momentum: -0.5, ..base }), field(MOMENTUM, -0.5, Rule::NonNegative));
        assert_eq!(check(Hyperparameters { weight_decay: -1.0, ..base }), field(WEIGHT_DECAY, -1.0, Rule::NonNegative));
        // torch takes any dampening (and momentum above 1); lucid refuses only NaN and infinities.
        assert_eq!(check(Hyperparameters { dampening: -0.5, nesterov: false, ..base }), Ok(()));
        assert_eq!(check(Hyperparameters { momentum: 1.5, ..base }), Ok(()));
        assert!(matches!(
            check(Hyperparameters { dampening: f64::NAN, ..base }),
            Err(InvalidHyperparameter::Field { slot: DAMPENING, .. })
        ));
        let nesterov = Err(InvalidHyperparameter::Cross(CrossRule::NesterovNeedsMomentum));
        assert_eq!(check(Hyperparameters { momentum: 0.0, ..base }), nesterov);
        assert_eq!(check(Hyperparameters { dampening: 0.1, ..base }), nesterov);
        assert_eq!(check(Hyperparameters { dampening: -0.0, ..base }), Ok(()), "-0 == 0, as in Python");
    }
}
