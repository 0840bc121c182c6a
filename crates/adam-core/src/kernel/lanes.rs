//! Lane types the update is written over: `f32` (one lane) and `F32x4` (four).

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
            // f32x4.max propagates NaN (IEEE 754-2019 maximum), as torch.maximum does.
            Self(f32x4_max(self.0, other.0))
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod portable {
    use super::Lanes;
    use core::ops::{Add, Div, Mul, Neg, Sub};

    /// Four f32 lanes as a plain array; LLVM maps it to the target's vector registers
    /// (SSE2 on x86-64), so native builds run the same 4-lane kernel as WebAssembly.
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
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub use portable::F32x4;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use simd128::F32x4;
