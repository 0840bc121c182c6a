//! torch's element-wise operations, as its CPU kernels compute them one element at a time
//! without fused multiply-adds (what `ATEN_CPU_CAPABILITY=default` runs, and what the golden
//! fixtures record): each function is one torch call, named after it, written over [`Lanes`].
//!
//! The scalars are the `f32`s torch's kernels multiply by: a Python float argument (`alpha=`,
//! `value=`, `weight=`) is converted to the tensor's type once, before the loop (ATen's
//! `Scalar::to<float>()`). Callers round them once, where torch does.

use super::lanes::Lanes;

/// `self.add(other, alpha=alpha)`: `self + alpha * other` (ATen's `add_kernel`).
#[inline(always)]
pub fn add<L: Lanes>(this: L, other: L, alpha: L) -> L {
    this + alpha * other
}

/// `self.mul(other)` with a scalar: one product.
#[inline(always)]
pub fn mul<L: Lanes>(this: L, scalar: L) -> L {
    this * scalar
}

/// `self.lerp(end, weight)` for `|weight| < 0.5`: `self + weight * (end - self)`. torch's `lerp`
/// switches formula at 0.5 to stay exact at both ends ([`lerp_large`] is the other side); callers
/// choose by the weight, once per call.
#[inline(always)]
pub fn lerp_small<L: Lanes>(this: L, end: L, weight: L) -> L {
    this + weight * (end - this)
}

/// `self.lerp(end, weight)` for `|weight| >= 0.5`: `end - (end - self) * (1 - weight)`, where
/// `one_minus_weight` is `1 - weight` computed in `f32`, as torch computes it.
#[inline(always)]
pub fn lerp_large<L: Lanes>(this: L, end: L, one_minus_weight: L) -> L {
    end - (end - this) * one_minus_weight
}

/// `self.addcmul(tensor1, tensor2, value=value)`: `self + (value * tensor1) * tensor2`.
#[inline(always)]
pub fn addcmul<L: Lanes>(this: L, tensor1: L, tensor2: L, value: L) -> L {
    this + value * tensor1 * tensor2
}

/// `self.addcdiv(tensor1, tensor2, value=value)`: `self + (value * tensor1) / tensor2`.
#[inline(always)]
pub fn addcdiv<L: Lanes>(this: L, tensor1: L, tensor2: L, value: L) -> L {
    this + value * tensor1 / tensor2
}

/// What torch's steps do to the gradient first: `grad = grad if not maximize else -grad`, then the
/// L2 penalty `grad = grad.add(param, alpha=weight_decay)` if `weight_decay != 0` (decided on the
/// `f64`, as Python decides it: a weight decay that rounds to 0 in `f32` still adds `0 * p`).
#[derive(Clone, Copy, Debug)]
pub struct GradIn {
    /// `-0.0` with `maximize` (XOR-ing the sign bit negates), else `+0.0`.
    sign: f32,
    decay: bool,
    weight_decay: f32,
}

impl GradIn {
    /// For `maximize` and an L2 `weight_decay` (0 for none, or where the decay is decoupled).
    pub fn new(maximize: bool, weight_decay: f64) -> Self {
        Self { sign: if maximize { -0.0 } else { 0.0 }, decay: weight_decay != 0.0, weight_decay: weight_decay as f32 }
    }

    /// The gradient the step uses, from the parameter's `grad` and its value `param`.
    #[inline(always)]
    pub fn apply<L: Lanes>(&self, grad: L, param: L) -> L {
        let mut g = negate_if(grad, L::splat(self.sign));
        if self.decay {
            g = add(g, param, L::splat(self.weight_decay));
        }
        g
    }
}

/// `self.lerp(end, weight)` with the formula torch picks for `weight` (see [`lerp_small`] and
/// [`lerp_large`]): the weight rounded to `f32` once, and the choice made once per call.
#[derive(Clone, Copy, Debug)]
pub struct Lerp {
    weight: f32,
    one_minus_weight: f32,
    small: bool,
}

impl Lerp {
    /// torch's `lerp_(end, weight)` with a Python float `weight` (rounded to `f32` here).
    pub fn new(weight: f64) -> Self {
        let weight = weight as f32;
        Self { weight, one_minus_weight: 1.0 - weight, small: weight.abs() < 0.5 }
    }

    /// `this.lerp(end, weight)`.
    #[inline(always)]
    pub fn apply<L: Lanes>(&self, this: L, end: L) -> L {
        if self.small {
            lerp_small(this, end, L::splat(self.weight))
        } else {
            lerp_large(this, end, L::splat(self.one_minus_weight))
        }
    }
}

/// `self.div(other)`: one IEEE division (a Python float divisor is rounded to `f32` first, and
/// divided by, not multiplied by its reciprocal: ATen's `div_true_kernel` for float32).
#[inline(always)]
pub fn div<L: Lanes>(this: L, other: L) -> L {
    this / other
}

/// `torch.sign(self)`: `1` for positive, `-1` for negative, `+0` for both zeros and for NaN
/// (ATen's `(0 < a) - (a < 0)`, which no NaN passes).
#[inline(always)]
pub fn sign<L: Lanes>(this: L) -> L {
    let (zero, one) = (L::splat(0.0), L::splat(1.0));
    zero.lt(this).select(one, zero) - this.lt(zero).select(one, zero)
}

/// `self.clamp(min, max)`: `minimum(maximum(self, min), max)`, NaN staying NaN (ATen's
/// vectorized `clamp`). Between an `x` and a bound of equal value but opposite zero sign the
/// result may differ from ATen's scalar tail; no step here clamps a zero.
#[inline(always)]
pub fn clamp<L: Lanes>(this: L, min: L, max: L) -> L {
    this.torch_maximum(min).torch_minimum(max)
}

/// `torch.maximum(self, other)`: the larger, NaN if either is NaN.
#[inline(always)]
pub fn maximum<L: Lanes>(this: L, other: L) -> L {
    this.torch_maximum(other)
}

/// `-self` when `sign` is `-0.0`, `self` when it is `+0.0` (`grad if not maximize else -grad`):
/// one sign-bit XOR, exact for every value, NaNs included.
#[inline(always)]
pub fn negate_if<L: Lanes>(this: L, sign: L) -> L {
    this.sign_xor(sign)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::F32x4;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn lanes(x: F32x4) -> [u32; 4] {
        let mut out = [0.0_f32; 4];
        // SAFETY: `out` holds 4 floats.
        unsafe { x.store(out.as_mut_ptr()) };
        out.map(f32::to_bits)
    }

    fn load(x: [f32; 4]) -> F32x4 {
        // SAFETY: `x` holds 4 floats.
        unsafe { F32x4::load(x.as_ptr()) }
    }

    #[test]
    fn each_op_rounds_each_operation_and_four_lanes_match_one() {
        // Operands chosen so that a fused multiply-add would round differently from two roundings:
        // 1 + 2^-12 squared is 1 + 2^-11 + 2^-24, whose last term only a fused result keeps.
        let a = 1.0 + 2f32.powi(-12);
        let values = [[a, -a, 3.5, -0.0], [a, 1e-40, f32::MAX, 2.0], [-1.0, 0.25, 1e30, f32::INFINITY]];
        let [x, y, z] = values;
        for i in 0..4 {
            let (x1, y1, z1) = (x[i], y[i], z[i]);
            assert_eq!(add(x1, y1, z1).to_bits(), (x1 + z1 * y1).to_bits());
            assert_eq!(lerp_small(x1, y1, 0.125).to_bits(), (x1 + 0.125 * (y1 - x1)).to_bits());
            assert_eq!(lerp_large(x1, y1, 0.25).to_bits(), (y1 - (y1 - x1) * 0.25).to_bits());
            assert_eq!(addcmul(x1, y1, z1, 0.5).to_bits(), (x1 + 0.5 * y1 * z1).to_bits());
            assert_eq!(addcdiv(x1, y1, z1, 0.5).to_bits(), (x1 + 0.5 * y1 / z1).to_bits());
        }
        // Not fused: (-1) + a * a keeps no 2^-24 term.
        assert_eq!(add(-1.0, a, a), 2f32.powi(-11));
        let (vx, vy, vz) = (load(x), load(y), load(z));
        let scalar = |f: fn(f32, f32, f32) -> f32| [0, 1, 2, 3].map(|i| f(x[i], y[i], z[i]).to_bits());
        assert_eq!(lanes(add(vx, vy, vz)), scalar(add));
        assert_eq!(lanes(addcmul(vx, vy, vz, F32x4::splat(0.5))), scalar(|x, y, z| addcmul(x, y, z, 0.5)));
        assert_eq!(lanes(addcdiv(vx, vy, vz, F32x4::splat(0.5))), scalar(|x, y, z| addcdiv(x, y, z, 0.5)));
        assert_eq!(lanes(lerp_small(vx, vy, F32x4::splat(0.125))), scalar(|x, y, _| lerp_small(x, y, 0.125)));
        assert_eq!(lanes(lerp_large(vx, vy, F32x4::splat(0.25))), scalar(|x, y, _| lerp_large(x, y, 0.25)));
        assert_eq!(lanes(negate_if(vx, F32x4::splat(-0.0))), x.map(|v| (-v).to_bits()));
    }
}
