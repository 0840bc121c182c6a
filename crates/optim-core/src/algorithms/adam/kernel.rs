//! The element-wise Adam update, written once and instantiated per lane width.
//!
//! [`moments`] and [`update`] below are the whole of the math, written with torch's element-wise
//! operations ([`crate::kernel::torch_ops`]). They are generic over [`Lanes`]: with `f32` they are
//! the readable scalar reference ([`step_scalar`]); with a 4-lane vector ([`F32x4`]: `simd128` on
//! wasm32, SSE on x86-64, a portable array elsewhere) the fast path ([`step_simd`]). Both apply the
//! same IEEE operations in the same order, and no operation is fused (no FMA), so the two produce
//! bitwise identical results; the tests check exactly that.
//!
//! The operation order is PyTorch's single-tensor Adam on CPU, op by op:
//!
//! ```text
//! g = maximize ? -grad : grad
//! if weight_decay != 0:
//!     decoupled:  p = p * (1 - lr * weight_decay)                  param.mul_(1 - lr * weight_decay)  (AdamW)
//!     otherwise:  g = g + weight_decay * p                         grad.add(param, alpha=weight_decay)
//! exp_avg = lerp(exp_avg, g, 1 - beta1)                            exp_avg.lerp_(grad, 1 - beta1)
//! exp_avg_sq = exp_avg_sq * beta2 + ((1 - beta2) * g) * g          .mul_(beta2).addcmul_(g, g, 1 - beta2)
//! if amsgrad: max_exp_avg_sq = maximum(max_exp_avg_sq, exp_avg_sq)  (NaN-propagating, like torch.maximum)
//! denom = sqrt(v) / sqrt(bias_correction2) + eps                   v = max_exp_avg_sq or exp_avg_sq
//! p = p + (-step_size * exp_avg) / denom                           param.addcdiv_(exp_avg, denom, value=-step_size)
//! ```

use super::Hyperparameters;
use crate::kernel::torch_ops::{add, addcdiv, addcmul, lerp_large, lerp_small, maximum, mul, negate_if};
use crate::kernel::{F32x4, Lanes};

/// How weight decay enters a step: PyTorch's `if weight_decay != 0:` and its two branches.
///
/// The coefficient of each branch is the `f32` that PyTorch's kernel multiplies by: the Python
/// float it computes (in `f64`), rounded once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightDecay {
    /// `weight_decay == 0`: no term at all (not a multiplication by zero, which would turn an
    /// infinite parameter into a NaN gradient).
    None,
    /// Adam's L2 penalty, `g + weight_decay * p` (`grad.add(param, alpha=weight_decay)`); holds
    /// `weight_decay`.
    L2(f32),
    /// AdamW's decay of the parameter before the update, `p * (1 - lr * weight_decay)`
    /// (`param.mul_(1 - lr * weight_decay)`, a Python float that `mul_` rounds to the float32
    /// tensor's type); holds that factor. The gradient and the moments never see it.
    Decoupled(f32),
}

impl WeightDecay {
    fn new(hyper: &Hyperparameters) -> Self {
        // Decided on the f64, as PyTorch's `weight_decay != 0` is: a decay too small for f32 still
        // takes its branch (with a coefficient of 0, or a factor of 1).
        if hyper.weight_decay == 0.0 {
            Self::None
        } else if hyper.decoupled_weight_decay {
            // Python: `1 - lr * weight_decay`, two f64 operations, then the one rounding to f32.
            Self::Decoupled((1.0 - hyper.lr * hyper.weight_decay) as f32)
        } else {
            Self::L2(hyper.weight_decay as f32)
        }
    }
}

/// The per-step scalars of one parameter, computed once in `f64` (as Python floats are in
/// PyTorch's optimizer) and rounded to `f32` once, where PyTorch's kernels round them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepScalars {
    /// `-(lr / bias_correction1)`, PyTorch's `value=-step_size` of `addcdiv_`.
    pub neg_step_size: f32,
    /// `sqrt(1 - beta2^step)`, the divisor of `sqrt(v)`.
    pub bias_correction2_sqrt: f32,
    /// Added after the division by `bias_correction2_sqrt`.
    pub eps: f32,
    /// `1 - beta1`: the weight of `lerp(exp_avg, g, weight)`.
    pub exp_avg_weight: f32,
    /// `beta2`, multiplying the old second moment.
    pub beta2: f32,
    /// `1 - beta2`, multiplying `g * g`.
    pub one_minus_beta2: f32,
    /// The weight decay term, if any, and its coefficient.
    pub weight_decay: WeightDecay,
    /// Negate the gradient.
    pub maximize: bool,
}

/// `(1 - beta1^step, 1 - beta2^step)`, as PyTorch computes them: from a Python float `step`
/// with `**`, i.e. C `pow`, in f64.
fn bias_corrections(betas: (f64, f64), step: u64) -> (f64, f64) {
    let step = step as f64;
    (1.0 - betas.0.powf(step), 1.0 - betas.1.powf(step))
}

impl StepScalars {
    /// The scalars for the step that brings a parameter's step count to `step` (1 on its first).
    pub fn new(hyper: &Hyperparameters, step: u64) -> Self {
        Self::with_bias_corrections(hyper, bias_corrections(hyper.betas, step))
    }

    /// The scalars, given `(bias_correction1, bias_correction2)` for `hyper.betas` at this step.
    fn with_bias_corrections(hyper: &Hyperparameters, (bias_correction1, bias_correction2): (f64, f64)) -> Self {
        let (beta1, beta2) = hyper.betas;
        let step_size = hyper.lr / bias_correction1;
        Self {
            neg_step_size: (-step_size) as f32,
            bias_correction2_sqrt: bias_correction2.sqrt() as f32,
            eps: hyper.eps as f32,
            exp_avg_weight: (1.0 - beta1) as f32,
            beta2: beta2 as f32,
            one_minus_beta2: (1.0 - beta2) as f32,
            weight_decay: WeightDecay::new(hyper),
            maximize: hyper.maximize,
        }
    }
}

/// What an Adam step carries from parameter to parameter: the scalars of the last step count
/// asked for in the current group (the parameters of a group almost always share their step count,
/// so one set of f64 `pow`s serves them all: with a thousand small parameters, recomputing them per
/// parameter cost ~7% of the step), and from group to group the bias corrections ([`BiasMemo`]):
/// groups that differ only in `lr` or `weight_decay` (layer-wise rates, a decay / no-decay split)
/// share betas and step counts, and the two `pow`s were most of a small group's cost.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScalarMemo {
    last: Option<(u64, StepScalars)>,
    bias: BiasMemo,
}

/// The last `(1 - beta1^step, 1 - beta2^step)` computed, with the betas' bits and the step they
/// were computed for: the same `pow`s of the same bits, so reusing them changes no bit.
#[derive(Clone, Copy, Debug, Default)]
pub struct BiasMemo {
    last: Option<BiasEntry>,
}

#[derive(Clone, Copy, Debug)]
struct BiasEntry {
    betas_bits: (u64, u64),
    step: u64,
    bias_corrections: (f64, f64),
}

impl BiasMemo {
    fn get(&mut self, betas: (f64, f64), step: u64) -> (f64, f64) {
        let betas_bits = (betas.0.to_bits(), betas.1.to_bits());
        match self.last {
            Some(e) if e.betas_bits == betas_bits && e.step == step => e.bias_corrections,
            _ => {
                let bias_corrections = bias_corrections(betas, step);
                self.last = Some(BiasEntry { betas_bits, step, bias_corrections });
                bias_corrections
            }
        }
    }
}

impl ScalarMemo {
    /// Forgets the current group's scalars (a new group has other hyperparameters); keeps the
    /// bias corrections, which depend on the betas' bits and the step only.
    pub fn begin_group(&mut self) {
        self.last = None;
    }

    /// `StepScalars::new(hyper, step)` for the current group's `hyper`, computed only when `step`
    /// differs from the last call's.
    pub fn get(&mut self, hyper: &Hyperparameters, step: u64) -> StepScalars {
        match self.last {
            Some((last_step, scalars)) if last_step == step => scalars,
            _ => {
                let bias = self.bias.get(hyper.betas, step);
                let scalars = StepScalars::with_bias_corrections(hyper, bias);
                self.last = Some((step, scalars));
                scalars
            }
        }
    }
}

/// One parameter's moment buffers, borrowed for one step. All slices have the parameter's length.
#[derive(Debug)]
pub struct Moments<'a> {
    /// First moment estimate `m`.
    pub exp_avg: &'a mut [f32],
    /// Second moment estimate `v`.
    pub exp_avg_sq: &'a mut [f32],
    /// Running maximum of `v`, present exactly when AMSGrad is on.
    pub max_exp_avg_sq: Option<&'a mut [f32]>,
}

/// The scalars splatted to a lane type once per call, outside the loop.
#[derive(Clone, Copy)]
struct Splat<L> {
    /// `-0.0` with `maximize` (XOR-ing the gradient's sign bit with it negates the gradient),
    /// `+0.0` otherwise (it changes nothing).
    grad_sign: L,
    neg_step_size: L,
    bias_correction2_sqrt: L,
    eps: L,
    exp_avg_weight: L,
    one_minus_exp_avg_weight: L,
    beta2: L,
    one_minus_beta2: L,
    /// The L2 coefficient or the decoupled factor, as `decay` says (0 without decay).
    weight_decay: L,
    decay: WeightDecay,
    small_exp_avg_weight: bool,
    /// `sqrt(bias_correction2)` rounded to exactly 1.0 (late in training, e.g. from step 16,628
    /// with beta2 = 0.999): dividing by it changes no bit, so the 4-lane loop skips the division.
    bias_correction2_sqrt_is_one: bool,
}

impl<L: Lanes> Splat<L> {
    #[inline(always)]
    fn new(s: &StepScalars) -> Self {
        let weight_decay = match s.weight_decay {
            WeightDecay::None => 0.0,
            WeightDecay::L2(c) | WeightDecay::Decoupled(c) => c,
        };
        Self {
            grad_sign: L::splat(if s.maximize { -0.0 } else { 0.0 }),
            neg_step_size: L::splat(s.neg_step_size),
            bias_correction2_sqrt: L::splat(s.bias_correction2_sqrt),
            eps: L::splat(s.eps),
            exp_avg_weight: L::splat(s.exp_avg_weight),
            // torch.lerp's large-weight form uses `1 - weight` computed in f32.
            one_minus_exp_avg_weight: L::splat(1.0 - s.exp_avg_weight),
            beta2: L::splat(s.beta2),
            one_minus_beta2: L::splat(s.one_minus_beta2),
            weight_decay: L::splat(weight_decay),
            decay: s.weight_decay,
            // torch.lerp switches formula at |weight| < 0.5 to stay exact at both ends.
            small_exp_avg_weight: s.exp_avg_weight.abs() < 0.5,
            bias_correction2_sqrt_is_one: s.bias_correction2_sqrt == 1.0,
        }
    }
}

/// The weight decay term, as a type: each kind of decay is its own loop (see [`moments`]).
trait Decay {
    /// The parameter the update starts from: `p`, or AdamW's decayed `p * factor`.
    fn param<L: Lanes>(s: &Splat<L>, p: L) -> L;
    /// The gradient the moments see: `g`, or Adam's `g + weight_decay * p`.
    fn grad<L: Lanes>(s: &Splat<L>, g: L, p: L) -> L;
}

/// [`WeightDecay::None`].
struct NoDecay;
/// [`WeightDecay::L2`].
struct L2;
/// [`WeightDecay::Decoupled`].
struct Decoupled;

impl Decay for NoDecay {
    #[inline(always)]
    fn param<L: Lanes>(_: &Splat<L>, p: L) -> L {
        p
    }
    #[inline(always)]
    fn grad<L: Lanes>(_: &Splat<L>, g: L, _: L) -> L {
        g
    }
}

impl Decay for L2 {
    #[inline(always)]
    fn param<L: Lanes>(_: &Splat<L>, p: L) -> L {
        p
    }
    #[inline(always)]
    fn grad<L: Lanes>(s: &Splat<L>, g: L, p: L) -> L {
        // grad.add(param, alpha=weight_decay)
        add(g, p, s.weight_decay)
    }
}

impl Decay for Decoupled {
    #[inline(always)]
    fn param<L: Lanes>(s: &Splat<L>, p: L) -> L {
        // param.mul_(1 - lr * weight_decay)
        mul(p, s.weight_decay)
    }
    #[inline(always)]
    fn grad<L: Lanes>(_: &Splat<L>, g: L, _: L) -> L {
        g
    }
}

/// The parameter the update starts from (decayed, with AdamW) and the new `(exp_avg, exp_avg_sq)`,
/// from the old moments, the parameter and its gradient.
///
/// The decay and `SMALL_WEIGHT` are compile-time, so each combination is its own loop holding only
/// the operations it performs. As runtime switches they stayed in the loop: LLVM turned them into
/// `select`s that computed both sides of every branch (seen with `wasm-dis`). `maximize` is the
/// exception: a sign-bit XOR with `grad_sign` (`-0.0` or `+0.0`) is one cheap operation, exact for
/// every value, and as a compile-time switch it doubled the number of loops and so the size of the
/// `.wasm` (which has a budget). The loop is bound by the divider; see `docs/benchmarks.md`.
#[inline(always)]
fn moments<L: Lanes, D: Decay, const SMALL_WEIGHT: bool>(s: &Splat<L>, p: L, grad: L, exp_avg: L, exp_avg_sq: L) -> (L, L, L) {
    // grad = grad if not maximize else -grad
    let g = D::grad(s, negate_if(grad, s.grad_sign), p);
    let p = D::param(s, p);
    // exp_avg.lerp_(grad, 1 - beta1)
    let exp_avg = if SMALL_WEIGHT {
        lerp_small(exp_avg, g, s.exp_avg_weight)
    } else {
        lerp_large(exp_avg, g, s.one_minus_exp_avg_weight)
    };
    // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    let exp_avg_sq = addcmul(mul(exp_avg_sq, s.beta2), g, g, s.one_minus_beta2);
    (p, exp_avg, exp_avg_sq)
}

/// The new parameter from the first moment and the (possibly AMSGrad-maxed) second moment.
///
/// `DIVIDE_BC2` false skips `/ sqrt(bias_correction2)`, for when that divisor is exactly 1.0:
/// IEEE division by 1 returns its operand unchanged (zeros, subnormals and infinities included),
/// so the result is the same bits, and the loop, bound by the divide unit, runs ~1.4x faster.
#[inline(always)]
fn update<L: Lanes, const DIVIDE_BC2: bool>(s: &Splat<L>, p: L, exp_avg: L, v: L) -> L {
    // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    let denom = if DIVIDE_BC2 { v.sqrt() / s.bias_correction2_sqrt } else { v.sqrt() } + s.eps;
    // param.addcdiv_(exp_avg, denom, value=-step_size)
    addcdiv(p, exp_avg, denom, s.neg_step_size)
}

/// Base pointers of one parameter's buffers.
struct Ptrs {
    param: *mut f32,
    grad: *const f32,
    exp_avg: *mut f32,
    exp_avg_sq: *mut f32,
    max_exp_avg_sq: Option<*mut f32>,
}

/// The first `body` elements (a multiple of `L::WIDTH`), `L::WIDTH` at a time.
///
/// # Safety
/// Every pointer of `ptrs` must be valid for reading and writing `body` floats.
#[inline(always)]
unsafe fn body_loop<L: Lanes, D: Decay, const SMALL_WEIGHT: bool, const DIVIDE_BC2: bool>(
    s: &Splat<L>,
    ptrs: &Ptrs,
    body: usize,
) {
    let &Ptrs { param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq } = ptrs;
    // AMSGrad gets its own loop: one branch per call instead of one per element.
    match max_exp_avg_sq {
        None => {
            let mut i = 0;
            while i < body {
                // SAFETY: i + L::WIDTH <= body, and the caller guarantees body floats per buffer.
                unsafe {
                    let (p, m, v) = moments::<L, D, SMALL_WEIGHT>(
                        s,
                        L::load(param.add(i)),
                        L::load(grad.add(i)),
                        L::load(exp_avg.add(i)),
                        L::load(exp_avg_sq.add(i)),
                    );
                    update::<L, DIVIDE_BC2>(s, p, m, v).store(param.add(i));
                    m.store(exp_avg.add(i));
                    v.store(exp_avg_sq.add(i));
                }
                i += L::WIDTH;
            }
        }
        Some(max) => {
            let mut i = 0;
            while i < body {
                // SAFETY: as above, max_exp_avg_sq included.
                unsafe {
                    let (p, m, v) = moments::<L, D, SMALL_WEIGHT>(
                        s,
                        L::load(param.add(i)),
                        L::load(grad.add(i)),
                        L::load(exp_avg.add(i)),
                        L::load(exp_avg_sq.add(i)),
                    );
                    let vmax = maximum(L::load(max.add(i)), v);
                    update::<L, DIVIDE_BC2>(s, p, m, vmax).store(param.add(i));
                    m.store(exp_avg.add(i));
                    v.store(exp_avg_sq.add(i));
                    vmax.store(max.add(i));
                }
                i += L::WIDTH;
            }
        }
    }
}

/// [`body_loop`] with or without the division by `sqrt(bias_correction2)`. The scalar reference
/// (`L::WIDTH == 1`) always divides: it stays the literal formula, the oracle of the shortcut.
///
/// # Safety
/// As [`body_loop`].
#[inline(always)]
unsafe fn body_loop_for_bc2<L: Lanes, D: Decay, const SMALL_WEIGHT: bool>(s: &Splat<L>, ptrs: &Ptrs, body: usize) {
    // SAFETY: forwarded from the caller.
    unsafe {
        if L::WIDTH > 1 && s.bias_correction2_sqrt_is_one {
            body_loop::<L, D, SMALL_WEIGHT, false>(s, ptrs, body)
        } else {
            body_loop::<L, D, SMALL_WEIGHT, true>(s, ptrs, body)
        }
    }
}

/// One Adam step over `param` with `L`-wide lanes, then the scalar tail.
#[inline(always)]
fn step_lanes<L: Lanes>(param: &mut [f32], grad: &[f32], moments_of: Moments<'_>, scalars: &StepScalars) {
    let n = param.len();
    let Moments { exp_avg, exp_avg_sq, mut max_exp_avg_sq } = moments_of;
    assert!(grad.len() == n && exp_avg.len() == n && exp_avg_sq.len() == n, "buffer lengths differ");
    if let Some(max) = max_exp_avg_sq.as_deref() {
        assert!(max.len() == n, "max_exp_avg_sq length differs");
    }
    let s = Splat::<L>::new(scalars);
    let body = n - n % L::WIDTH;
    let ptrs = Ptrs {
        param: param.as_mut_ptr(),
        grad: grad.as_ptr(),
        exp_avg: exp_avg.as_mut_ptr(),
        exp_avg_sq: exp_avg_sq.as_mut_ptr(),
        max_exp_avg_sq: max_exp_avg_sq.as_deref_mut().map(<[f32]>::as_mut_ptr),
    };
    // SAFETY: every buffer was asserted to hold n >= body floats.
    unsafe {
        match (s.decay, s.small_exp_avg_weight) {
            (WeightDecay::None, false) => body_loop_for_bc2::<L, NoDecay, false>(&s, &ptrs, body),
            (WeightDecay::None, true) => body_loop_for_bc2::<L, NoDecay, true>(&s, &ptrs, body),
            (WeightDecay::L2(_), false) => body_loop_for_bc2::<L, L2, false>(&s, &ptrs, body),
            (WeightDecay::L2(_), true) => body_loop_for_bc2::<L, L2, true>(&s, &ptrs, body),
            (WeightDecay::Decoupled(_), false) => body_loop_for_bc2::<L, Decoupled, false>(&s, &ptrs, body),
            (WeightDecay::Decoupled(_), true) => body_loop_for_bc2::<L, Decoupled, true>(&s, &ptrs, body),
        }
    }
    if L::WIDTH > 1 && body < n {
        let tail = Moments {
            exp_avg: &mut exp_avg[body..],
            exp_avg_sq: &mut exp_avg_sq[body..],
            max_exp_avg_sq: max_exp_avg_sq.map(|max| &mut max[body..]),
        };
        step_lanes::<f32>(&mut param[body..], &grad[body..], tail, scalars);
    }
}

/// The scalar reference: one element at a time, the oracle every other path is tested against.
///
/// # Panics
/// If `grad` or any moment buffer has a different length from `param`.
pub fn step_scalar(param: &mut [f32], grad: &[f32], moments: Moments<'_>, scalars: &StepScalars) {
    step_lanes::<f32>(param, grad, moments, scalars);
}

/// The fast path: 4 lanes at a time ([`F32x4`]), then the scalar tail. Bitwise equal to
/// [`step_scalar`].
///
/// # Panics
/// If `grad` or any moment buffer has a different length from `param`.
#[inline(never)] // its own wasm function: see KERNELS_STAY_APART in scripts/build-wasm.sh
pub fn step_simd(param: &mut [f32], grad: &[f32], moments: Moments<'_>, scalars: &StepScalars) {
    step_lanes::<F32x4>(param, grad, moments, scalars);
}
