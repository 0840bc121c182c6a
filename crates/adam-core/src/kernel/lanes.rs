//! Lane types the update is written over: `f32` (one lane) and `F32x4` (four: WebAssembly
//! `simd128`, SSE on x86-64, a portable array elsewhere).

use core::ops::{Add, Div, Mul, Neg, Sub};

/// A vector of `WIDTH` f32 lanes with IEEE-754 arithmetic, each operation rounded on its own.
pub trait Lanes:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    /// Number of f32 lanes.
    const WIDTH: usize;
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
    /// Each lane's sign bit XOR-ed with `sign`'s (which is `+0.0` or `-0.0`): `x.sign_xor(-0.0)`
    /// is `-x` and `x.sign_xor(0.0)` is `x`, bit for bit, NaNs included.
    fn sign_xor(self, sign: Self) -> Self;
}

impl Lanes for f32 {
    const WIDTH: usize = 1;
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
    fn sign_xor(self, sign: Self) -> Self {
        f32::from_bits(self.to_bits() ^ sign.to_bits())
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use super::Lanes;
    use core::arch::wasm32::*;
    use core::ops::{Add, Div, Mul, Neg, Sub};

    /// Four f32 lanes in one WebAssembly `v128` register.
    #[derive(Clone, Copy, Debug)]
    pub struct F32x4(v128);

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
        fn sign_xor(self, sign: Self) -> Self {
            Self(v128_xor(self.0, sign.0))
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod sse {
    use super::Lanes;
    use core::arch::x86_64::*;
    use core::ops::{Add, Div, Mul, Neg, Sub};

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
        fn sign_xor(self, sign: Self) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline.
            Self(unsafe { _mm_xor_ps(self.0, sign.0) })
        }
    }
}

#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
mod portable {
    use super::Lanes;
    use core::ops::{Add, Div, Mul, Neg, Sub};

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
        fn sign_xor(self, sign: Self) -> Self {
            let (a, b) = (self.0, sign.0);
            Self([a[0].sign_xor(b[0]), a[1].sign_xor(b[1]), a[2].sign_xor(b[2]), a[3].sign_xor(b[3])])
        }
    }
}

#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
pub use portable::F32x4;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use simd128::F32x4;
#[cfg(target_arch = "x86_64")]
pub use sse::F32x4;

#[cfg(test)]
mod tests {
    use super::{F32x4, Lanes};
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/step.rs).
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
