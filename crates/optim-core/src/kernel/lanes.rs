//! Lane types the update is written over: `f32` (one lane) and `F32x4` (four: WebAssembly
//! `simd128`, SSE on x86-64, a portable array elsewhere).

use core::ops::{Add, Div, Mul, Neg, Sub};

/// `WIDTH` f64 lanes: a [`Lanes`] value widened, for sums that must not round at f32 precision.
pub trait WideLanes: Copy + Add<Output = Self> + Mul<Output = Self> {
    /// Every lane `0.0`.
    fn zero() -> Self;
    /// Writes the lanes.
    ///
    /// # Safety
    /// `dst` must be valid for writing as many consecutive `f64` as there are lanes (no alignment needed).
    unsafe fn store(self, dst: *mut f64);
}

impl WideLanes for f64 {
    #[inline(always)]
    fn zero() -> Self {
        0.0
    }
    #[inline(always)]
    unsafe fn store(self, dst: *mut f64) {
        // SAFETY: the caller guarantees `dst` is writable for one f64.
        unsafe { dst.write_unaligned(self) }
    }
}

/// A vector of `WIDTH` f32 lanes with IEEE-754 arithmetic, each operation rounded on its own.
pub trait Lanes:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    /// Number of f32 lanes.
    const WIDTH: usize;
    /// The same number of f64 lanes.
    type Wide: WideLanes;
    /// Every lane set to `x`.
    fn splat(x: f32) -> Self;
    /// Reads `WIDTH` floats.
    ///
    /// # Safety
    /// `src` must be valid for reading `WIDTH` consecutive `f32` (no alignment needed).
    unsafe fn load(src: *const f32) -> Self;
    /// Writes `WIDTH` floats.
    ///
    /// # Safety
    /// `dst` must be valid for writing `WIDTH` consecutive `f32` (no alignment needed).
    unsafe fn store(self, dst: *mut f32);
    /// Correctly rounded square root.
    fn sqrt(self) -> Self;
    /// Lane-wise maximum that returns NaN if either lane is NaN, like `torch.maximum`.
    fn torch_maximum(self, other: Self) -> Self;
    /// Lane-wise minimum that returns NaN if either lane is NaN, like `torch.minimum`: the scalar
    /// `other < self ? other : self` between numbers.
    fn torch_minimum(self, other: Self) -> Self;
    /// A mask: every bit set in the lanes where `self < other` (false for NaN), clear elsewhere.
    /// Masks are only for [`Lanes::select`].
    fn lt(self, other: Self) -> Self;
    /// A mask: every bit set in the lanes where `self == other` (false for NaN; `-0 == +0`).
    fn eq(self, other: Self) -> Self;
    /// Lane-wise `if_true` where the mask `self` is set, `if_false` where it is clear.
    fn select(self, if_true: Self, if_false: Self) -> Self;
    /// Each lane's sign bit XOR-ed with `sign`'s (which is `+0.0` or `-0.0`): `x.sign_xor(-0.0)`
    /// is `-x` and `x.sign_xor(0.0)` is `x`, bit for bit, NaNs included.
    fn sign_xor(self, sign: Self) -> Self;
    /// Each lane's absolute value (its sign bit cleared: NaNs stay NaN).
    fn abs(self) -> Self;
    /// Lane-wise the larger of `|self|` and `|other|`, compared as bit patterns with the sign bit
    /// cleared: for numbers that is the larger magnitude, and a NaN's pattern exceeds infinity's,
    /// so a NaN in either operand wins (NaN propagates, as in `torch.amax`). One integer maximum.
    fn max_magnitude(self, other: Self) -> Self;
    /// The lanes as f64, exactly.
    fn widen(self) -> Self::Wide;
}

impl Lanes for f32 {
    const WIDTH: usize = 1;
    type Wide = f64;
    #[inline(always)]
    fn splat(x: f32) -> Self {
        x
    }
    #[inline(always)]
    unsafe fn load(src: *const f32) -> Self {
        // SAFETY: the caller guarantees `src` is readable for one f32.
        unsafe { src.read_unaligned() }
    }
    #[inline(always)]
    unsafe fn store(self, dst: *mut f32) {
        // SAFETY: the caller guarantees `dst` is writable for one f32.
        unsafe { dst.write_unaligned(self) }
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn torch_maximum(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            f32::NAN
        } else if other > self {
            other
        } else {
            self
        }
    }
    #[inline(always)]
    fn torch_minimum(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            f32::NAN
        } else if other < self {
            other
        } else {
            self
        }
    }
    #[inline(always)]
    fn lt(self, other: Self) -> Self {
        f32::from_bits(if self < other { u32::MAX } else { 0 })
    }
    #[inline(always)]
    fn eq(self, other: Self) -> Self {
        f32::from_bits(if self == other { u32::MAX } else { 0 })
    }
    #[inline(always)]
    fn select(self, if_true: Self, if_false: Self) -> Self {
        let mask = self.to_bits();
        f32::from_bits((if_true.to_bits() & mask) | (if_false.to_bits() & !mask))
    }
    #[inline(always)]
    fn sign_xor(self, sign: Self) -> Self {
        f32::from_bits(self.to_bits() ^ sign.to_bits())
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    #[inline(always)]
    fn max_magnitude(self, other: Self) -> Self {
        f32::from_bits((self.to_bits() & 0x7fff_ffff).max(other.to_bits() & 0x7fff_ffff))
    }
    #[inline(always)]
    fn widen(self) -> f64 {
        f64::from(self)
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use super::{Lanes, WideLanes};
    use core::arch::wasm32::*;
    use core::ops::{Add, Div, Mul, Neg, Sub};

    /// Four f32 lanes in one WebAssembly `v128` register.
    #[derive(Clone, Copy, Debug)]
    pub struct F32x4(v128);

    /// Four f64 lanes in two `v128` registers (lanes 0-1, then 2-3).
    #[derive(Clone, Copy, Debug)]
    pub struct F64x4(v128, v128);

    impl Add for F64x4 {
        type Output = Self;
        #[inline(always)]
        fn add(self, rhs: Self) -> Self {
            Self(f64x2_add(self.0, rhs.0), f64x2_add(self.1, rhs.1))
        }
    }

    impl Mul for F64x4 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, rhs: Self) -> Self {
            Self(f64x2_mul(self.0, rhs.0), f64x2_mul(self.1, rhs.1))
        }
    }

    impl WideLanes for F64x4 {
        #[inline(always)]
        fn zero() -> Self {
            Self(f64x2_splat(0.0), f64x2_splat(0.0))
        }
        #[inline(always)]
        unsafe fn store(self, dst: *mut f64) {
            // SAFETY: the caller guarantees 32 writable bytes; v128_store has no alignment requirement.
            unsafe {
                v128_store(dst.cast::<v128>(), self.0);
                v128_store(dst.add(2).cast::<v128>(), self.1);
            }
        }
    }

    macro_rules! binary {
        ($trait:ident, $method:ident, $intrinsic:ident) => {
            impl $trait for F32x4 {
                type Output = Self;
                #[inline(always)]
                fn $method(self, rhs: Self) -> Self {
                    Self($intrinsic(self.0, rhs.0))
                }
            }
        };
    }
    binary!(Add, add, f32x4_add);
    binary!(Sub, sub, f32x4_sub);
    binary!(Mul, mul, f32x4_mul);
    binary!(Div, div, f32x4_div);

    impl Neg for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn neg(self) -> Self {
            Self(f32x4_neg(self.0))
        }
    }

    impl Lanes for F32x4 {
        const WIDTH: usize = 4;
        type Wide = F64x4;
        #[inline(always)]
        fn splat(x: f32) -> Self {
            Self(f32x4_splat(x))
        }
        #[inline(always)]
        unsafe fn load(src: *const f32) -> Self {
            // SAFETY: the caller guarantees 16 readable bytes; v128_load has no alignment requirement.
            Self(unsafe { v128_load(src.cast::<v128>()) })
        }
        #[inline(always)]
        unsafe fn store(self, dst: *mut f32) {
            // SAFETY: the caller guarantees 16 writable bytes; v128_store has no alignment requirement.
            unsafe { v128_store(dst.cast::<v128>(), self.0) }
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            Self(f32x4_sqrt(self.0))
        }
        #[inline(always)]
        fn torch_maximum(self, other: Self) -> Self {
            // f32x4.pmax is `self < other ? other : self`: the scalar's choice between numbers
            // (ties such as -0 and +0 keep `self`), and `self` when `self` is NaN. Lanes where
            // `other` is NaN take `other`.
            let other_is_nan = f32x4_ne(other.0, other.0);
            Self(v128_bitselect(other.0, f32x4_pmax(self.0, other.0), other_is_nan))
        }
        #[inline(always)]
        fn torch_minimum(self, other: Self) -> Self {
            // f32x4.pmin is `other < self ? other : self`, and `self` when `self` is NaN; lanes
            // where `other` is NaN take `other`.
            let other_is_nan = f32x4_ne(other.0, other.0);
            Self(v128_bitselect(other.0, f32x4_pmin(self.0, other.0), other_is_nan))
        }
        #[inline(always)]
        fn lt(self, other: Self) -> Self {
            Self(f32x4_lt(self.0, other.0))
        }
        #[inline(always)]
        fn eq(self, other: Self) -> Self {
            Self(f32x4_eq(self.0, other.0))
        }
        #[inline(always)]
        fn select(self, if_true: Self, if_false: Self) -> Self {
            Self(v128_bitselect(if_true.0, if_false.0, self.0))
        }
        #[inline(always)]
        fn sign_xor(self, sign: Self) -> Self {
            Self(v128_xor(self.0, sign.0))
        }
        #[inline(always)]
        fn abs(self) -> Self {
            Self(f32x4_abs(self.0))
        }
        #[inline(always)]
        fn max_magnitude(self, other: Self) -> Self {
            let magnitude = u32x4_splat(0x7fff_ffff);
            Self(u32x4_max(v128_and(self.0, magnitude), v128_and(other.0, magnitude)))
        }
        #[inline(always)]
        fn widen(self) -> F64x4 {
            // promote_low converts lanes 0-1; the shuffle brings lanes 2-3 down for the second.
            F64x4(f64x2_promote_low_f32x4(self.0), f64x2_promote_low_f32x4(i32x4_shuffle::<2, 3, 2, 3>(self.0, self.0)))
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod sse {
    use super::{Lanes, WideLanes};
    use core::arch::x86_64::*;
    use core::ops::{Add, Div, Mul, Neg, Sub};

    /// Four f64 lanes in two SSE2 registers (lanes 0-1, then 2-3).
    #[derive(Clone, Copy, Debug)]
    pub struct F64x4(__m128d, __m128d);

    impl Add for F64x4 {
        type Output = Self;
        #[inline(always)]
        fn add(self, rhs: Self) -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe { Self(_mm_add_pd(self.0, rhs.0), _mm_add_pd(self.1, rhs.1)) }
        }
    }

    impl Mul for F64x4 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, rhs: Self) -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe { Self(_mm_mul_pd(self.0, rhs.0), _mm_mul_pd(self.1, rhs.1)) }
        }
    }

    impl WideLanes for F64x4 {
        #[inline(always)]
        fn zero() -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe { Self(_mm_setzero_pd(), _mm_setzero_pd()) }
        }
        #[inline(always)]
        unsafe fn store(self, dst: *mut f64) {
            // SAFETY: the caller guarantees 4 writable f64; _mm_storeu_pd needs no alignment.
            unsafe {
                _mm_storeu_pd(dst, self.0);
                _mm_storeu_pd(dst.add(2), self.1);
            }
        }
    }

    /// Four f32 lanes in one SSE register (SSE2 is part of x86-64, so always available); with
    /// `-C target-cpu` allowing AVX, LLVM emits the VEX forms of the same instructions.
    #[derive(Clone, Copy, Debug)]
    pub struct F32x4(__m128);

    macro_rules! binary {
        ($trait:ident, $method:ident, $intrinsic:ident) => {
            impl $trait for F32x4 {
                type Output = Self;
                #[inline(always)]
                fn $method(self, rhs: Self) -> Self {
                    // SAFETY: SSE is part of the x86-64 baseline.
                    Self(unsafe { $intrinsic(self.0, rhs.0) })
                }
            }
        };
    }
    binary!(Add, add, _mm_add_ps);
    binary!(Sub, sub, _mm_sub_ps);
    binary!(Mul, mul, _mm_mul_ps);
    binary!(Div, div, _mm_div_ps);

    impl Neg for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn neg(self) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline. Flipping the sign bit is IEEE negation.
            Self(unsafe { _mm_xor_ps(self.0, _mm_set1_ps(-0.0)) })
        }
    }

    impl Lanes for F32x4 {
        const WIDTH: usize = 4;
        type Wide = F64x4;
        #[inline(always)]
        fn splat(x: f32) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline.
            Self(unsafe { _mm_set1_ps(x) })
        }
        #[inline(always)]
        unsafe fn load(src: *const f32) -> Self {
            // SAFETY: the caller guarantees 4 readable floats; _mm_loadu_ps needs no alignment.
            Self(unsafe { _mm_loadu_ps(src) })
        }
        #[inline(always)]
        unsafe fn store(self, dst: *mut f32) {
            // SAFETY: the caller guarantees 4 writable floats; _mm_storeu_ps needs no alignment.
            unsafe { _mm_storeu_ps(dst, self.0) }
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline; sqrtps is correctly rounded.
            Self(unsafe { _mm_sqrt_ps(self.0) })
        }
        #[inline(always)]
        fn torch_maximum(self, other: Self) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline.
            unsafe {
                // maxps(a, b) is `a > b ? a : b`, so this is the scalar `other > self ? other : self`;
                // lanes where either input is NaN take the canonical NaN, as the scalar does.
                let max = _mm_max_ps(other.0, self.0);
                let nan = _mm_cmpunord_ps(self.0, other.0);
                Self(_mm_or_ps(_mm_andnot_ps(nan, max), _mm_and_ps(nan, _mm_set1_ps(f32::NAN))))
            }
        }
        #[inline(always)]
        fn torch_minimum(self, other: Self) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline.
            unsafe {
                // minps(a, b) is `a < b ? a : b`: the scalar `other < self ? other : self`.
                let min = _mm_min_ps(other.0, self.0);
                let nan = _mm_cmpunord_ps(self.0, other.0);
                Self(_mm_or_ps(_mm_andnot_ps(nan, min), _mm_and_ps(nan, _mm_set1_ps(f32::NAN))))
            }
        }
        #[inline(always)]
        fn lt(self, other: Self) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline; cmpltps is an ordered compare.
            Self(unsafe { _mm_cmplt_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn eq(self, other: Self) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline; cmpeqps is an ordered compare.
            Self(unsafe { _mm_cmpeq_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn select(self, if_true: Self, if_false: Self) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline.
            Self(unsafe { _mm_or_ps(_mm_and_ps(self.0, if_true.0), _mm_andnot_ps(self.0, if_false.0)) })
        }
        #[inline(always)]
        fn sign_xor(self, sign: Self) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline.
            Self(unsafe { _mm_xor_ps(self.0, sign.0) })
        }
        #[inline(always)]
        fn abs(self) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline. Clearing the sign bit is IEEE abs.
            Self(unsafe { _mm_andnot_ps(_mm_set1_ps(-0.0), self.0) })
        }
        #[inline(always)]
        fn max_magnitude(self, other: Self) -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline. The magnitudes' bit patterns are below
            // 2^31, so SSE2's signed 32-bit compare orders them as unsigned ones.
            unsafe {
                let (a, b) = (_mm_castps_si128(self.abs().0), _mm_castps_si128(other.abs().0));
                let a_greater = _mm_cmpgt_epi32(a, b);
                Self(_mm_castsi128_ps(_mm_or_si128(_mm_and_si128(a_greater, a), _mm_andnot_si128(a_greater, b))))
            }
        }
        #[inline(always)]
        fn widen(self) -> F64x4 {
            // SAFETY: SSE2 is part of the x86-64 baseline. cvtps2pd converts lanes 0-1 (exactly);
            // movehlps brings lanes 2-3 down for the second.
            unsafe { F64x4(_mm_cvtps_pd(self.0), _mm_cvtps_pd(_mm_movehl_ps(self.0, self.0))) }
        }
    }
}

#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
mod portable {
    use super::{Lanes, WideLanes};
    use core::ops::{Add, Div, Mul, Neg, Sub};

    /// Four f64 lanes as a plain array.
    #[derive(Clone, Copy, Debug)]
    pub struct F64x4([f64; 4]);

    impl Add for F64x4 {
        type Output = Self;
        #[inline(always)]
        fn add(self, rhs: Self) -> Self {
            let (a, b) = (self.0, rhs.0);
            Self([a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]])
        }
    }

    impl Mul for F64x4 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, rhs: Self) -> Self {
            let (a, b) = (self.0, rhs.0);
            Self([a[0] * b[0], a[1] * b[1], a[2] * b[2], a[3] * b[3]])
        }
    }

    impl WideLanes for F64x4 {
        #[inline(always)]
        fn zero() -> Self {
            Self([0.0; 4])
        }
        #[inline(always)]
        unsafe fn store(self, dst: *mut f64) {
            // SAFETY: the caller guarantees 4 writable f64.
            unsafe { dst.cast::<[f64; 4]>().write_unaligned(self.0) }
        }
    }

    /// Four f32 lanes as a plain array, for targets without a dedicated implementation (and for
    /// wasm32 without `simd128`, the benchmarks' scalar build). LLVM may or may not keep them in
    /// vector registers: on x86-64 it scattered them into scalar shuffles, hence the `sse` module.
    #[derive(Clone, Copy, Debug)]
    #[repr(align(16))]
    pub struct F32x4([f32; 4]);

    macro_rules! binary {
        ($trait:ident, $method:ident) => {
            impl $trait for F32x4 {
                type Output = Self;
                #[inline(always)]
                fn $method(self, rhs: Self) -> Self {
                    let (a, b) = (self.0, rhs.0);
                    Self([a[0].$method(b[0]), a[1].$method(b[1]), a[2].$method(b[2]), a[3].$method(b[3])])
                }
            }
        };
    }
    binary!(Add, add);
    binary!(Sub, sub);
    binary!(Mul, mul);
    binary!(Div, div);

    impl Neg for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn neg(self) -> Self {
            Self(self.0.map(|x| -x))
        }
    }

    impl Lanes for F32x4 {
        const WIDTH: usize = 4;
        type Wide = F64x4;
        #[inline(always)]
        fn splat(x: f32) -> Self {
            Self([x; 4])
        }
        #[inline(always)]
        unsafe fn load(src: *const f32) -> Self {
            // SAFETY: the caller guarantees 4 readable floats.
            Self(unsafe { src.cast::<[f32; 4]>().read_unaligned() })
        }
        #[inline(always)]
        unsafe fn store(self, dst: *mut f32) {
            // SAFETY: the caller guarantees 4 writable floats.
            unsafe { dst.cast::<[f32; 4]>().write_unaligned(self.0) }
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            Self(self.0.map(f32::sqrt))
        }
        #[inline(always)]
        fn torch_maximum(self, other: Self) -> Self {
            let (a, b) = (self.0, other.0);
            Self([a[0].torch_maximum(b[0]), a[1].torch_maximum(b[1]), a[2].torch_maximum(b[2]), a[3].torch_maximum(b[3])])
        }
        #[inline(always)]
        fn torch_minimum(self, other: Self) -> Self {
            let (a, b) = (self.0, other.0);
            Self([a[0].torch_minimum(b[0]), a[1].torch_minimum(b[1]), a[2].torch_minimum(b[2]), a[3].torch_minimum(b[3])])
        }
        #[inline(always)]
        fn lt(self, other: Self) -> Self {
            let (a, b) = (self.0, other.0);
            Self([a[0].lt(b[0]), a[1].lt(b[1]), a[2].lt(b[2]), a[3].lt(b[3])])
        }
        #[inline(always)]
        fn eq(self, other: Self) -> Self {
            let (a, b) = (self.0, other.0);
            Self([a[0].eq(b[0]), a[1].eq(b[1]), a[2].eq(b[2]), a[3].eq(b[3])])
        }
        #[inline(always)]
        fn select(self, if_true: Self, if_false: Self) -> Self {
            let (m, t, f) = (self.0, if_true.0, if_false.0);
            Self([m[0].select(t[0], f[0]), m[1].select(t[1], f[1]), m[2].select(t[2], f[2]), m[3].select(t[3], f[3])])
        }
        #[inline(always)]
        fn sign_xor(self, sign: Self) -> Self {
            let (a, b) = (self.0, sign.0);
            Self([a[0].sign_xor(b[0]), a[1].sign_xor(b[1]), a[2].sign_xor(b[2]), a[3].sign_xor(b[3])])
        }
        #[inline(always)]
        fn abs(self) -> Self {
            Self(self.0.map(f32::abs))
        }
        #[inline(always)]
        fn max_magnitude(self, other: Self) -> Self {
            let (a, b) = (self.0, other.0);
            Self([a[0].max_magnitude(b[0]), a[1].max_magnitude(b[1]), a[2].max_magnitude(b[2]), a[3].max_magnitude(b[3])])
        }
        #[inline(always)]
        fn widen(self) -> F64x4 {
            F64x4(self.0.map(f64::from))
        }
    }
}

#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
pub use portable::{F32x4, F64x4};
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use simd128::{F32x4, F64x4};
#[cfg(target_arch = "x86_64")]
pub use sse::{F32x4, F64x4};

#[cfg(test)]
mod tests {
    use super::{F32x4, Lanes, WideLanes};
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn lanes(x: F32x4) -> [f32; 4] {
        let mut out = [0.0_f32; 4];
        // SAFETY: `out` holds 4 floats.
        unsafe { x.store(out.as_mut_ptr()) };
        out
    }

    #[test]
    fn the_four_lanes_under_test_are_the_ones_this_target_ships() {
        // Native runs test SSE. scripts/test-wasm32.sh builds with simd128, as the shipped .wasm is,
        // so that its run tests the simd128 lanes, not the portable fallback a plain wasm32 build gets.
        #[cfg(target_arch = "wasm32")]
        const SHIPPED: &str = "::simd128::F32x4";
        #[cfg(target_arch = "x86_64")]
        const SHIPPED: &str = "::sse::F32x4";
        #[cfg(not(any(target_arch = "wasm32", target_arch = "x86_64")))]
        const SHIPPED: &str = "::portable::F32x4";
        let lanes = core::any::type_name::<F32x4>();
        assert!(lanes.ends_with(SHIPPED), "testing {lanes}, not {SHIPPED} (on wasm32: build with -C target-feature=+simd128)");
    }

    #[test]
    fn four_lane_sign_xor_abs_and_widen_match_the_scalar_bit_for_bit() {
        let values = [0.0_f32, -0.0, 1.5, -2.5e-38, 1e-45, f32::MAX, f32::NEG_INFINITY, f32::NAN, -f32::NAN, 3.0e38, -7.0, 0.1];
        for chunk in values.chunks(4) {
            let x: [f32; 4] = chunk.try_into().unwrap();
            // SAFETY: `x` holds 4 floats.
            let v = unsafe { F32x4::load(x.as_ptr()) };
            for sign in [0.0_f32, -0.0] {
                let got = lanes(v.sign_xor(F32x4::splat(sign)));
                assert_eq!(got.map(f32::to_bits), x.map(|a| a.sign_xor(sign).to_bits()), "sign_xor {sign:?} of {x:?}");
            }
            assert_eq!(lanes(v.abs()).map(f32::to_bits), x.map(|a| a.abs().to_bits()), "abs of {x:?}");
            for other in [0.0_f32, -3.0e38, f32::INFINITY, -f32::NAN] {
                let got = lanes(v.max_magnitude(F32x4::splat(other))).map(f32::to_bits);
                assert_eq!(got, x.map(|a| a.max_magnitude(other).to_bits()), "max_magnitude({x:?}, {other})");
            }
            let mut wide = [0.0_f64; 4];
            // SAFETY: `wide` holds 4 f64.
            unsafe { v.widen().store(wide.as_mut_ptr()) };
            // Converting a NaN gives a NaN whose payload WebAssembly leaves open; the rest is exact.
            let key = |w: f64| if w.is_nan() { u64::MAX } else { w.to_bits() };
            assert_eq!(wide.map(key), x.map(|a| key(f64::from(a))), "widen {x:?}");
        }
    }

    #[test]
    fn four_lane_minimum_compare_and_select_match_the_scalar() {
        let values = [0.0_f32, -0.0, 1.0, -1.0, 2.5e-38, f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
        let same = |got: f32, want: f32| got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan());
        for &a in &values {
            for chunk in values.chunks(4) {
                let b: [f32; 4] = chunk.try_into().unwrap();
                // SAFETY: both arrays hold 4 floats.
                let (va, vb) = unsafe { (F32x4::load([a; 4].as_ptr()), F32x4::load(b.as_ptr())) };
                let (min, lt, eq) = (lanes(va.torch_minimum(vb)), lanes(va.lt(vb)), lanes(va.eq(vb)));
                let picked = lanes(va.lt(vb).select(F32x4::splat(7.0), F32x4::splat(-3.0)));
                for (lane, &other) in b.iter().enumerate() {
                    assert!(same(min[lane], a.torch_minimum(other)), "min({a}, {other})");
                    assert_eq!(lt[lane].to_bits(), a.lt(other).to_bits(), "{a} < {other}");
                    assert_eq!(eq[lane].to_bits(), a.eq(other).to_bits(), "{a} == {other}");
                    assert_eq!(picked[lane], if a < other { 7.0 } else { -3.0 }, "select by {a} < {other}");
                }
            }
        }
        // NaN compares false; -0 equals +0.
        assert_eq!((f32::NAN.lt(1.0).to_bits(), f32::NAN.eq(f32::NAN).to_bits(), (-0.0_f32).eq(0.0).to_bits()), (0, 0, u32::MAX));
    }

    #[test]
    fn four_lane_maximum_matches_the_scalar_on_ties_infinities_and_nan() {
        let values = [0.0_f32, -0.0, 1.0, -1.0, 2.5e-38, f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
        for &a in &values {
            for chunk in values.chunks(4) {
                let b: [f32; 4] = chunk.try_into().unwrap();
                // SAFETY: both arrays hold 4 floats.
                let (va, vb) = unsafe { (F32x4::load([a; 4].as_ptr()), F32x4::load(b.as_ptr())) };
                for (lane, (&got, &other)) in lanes(va.torch_maximum(vb)).iter().zip(&b).enumerate() {
                    let want = a.torch_maximum(other);
                    // NaN payloads are not specified; everything else, -0 versus +0 included, is.
                    assert!(
                        got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                        "max({a}, {other}) lane {lane}: got {got:?}, want {want:?}"
                    );
                }
            }
        }
    }
}
