//! The element-wise building blocks every algorithm's step is written with.
//!
//! * [`Lanes`]: a lane type the math is written over once, instantiated as the scalar reference
//!   (`f32`) and as four lanes ([`F32x4`]: `simd128` on wasm32, SSE on x86-64, a portable array
//!   elsewhere). Both apply the same IEEE operations in the same order, and no operation is fused
//!   (no FMA), so the two produce bitwise identical results.
//! * [`torch_ops`]: torch's element-wise operations (`add` with `alpha`, `lerp`, `addcmul`,
//!   `addcdiv`, `maximum`, `sign`, `clamp`, ...) as torch's CPU kernels compute them without FMA, so that an algorithm's
//!   step reads as torch's single-tensor code, operation by operation.
//! * [`elementwise`]: the loop an algorithm's per-element update runs in, body and tail.
//! * [`finite`] and [`norm`]: the non-finite guard's check and `clip_grad_norm_`'s reductions.
//! * [`matmul`]: the blocked matrix product Muon's Newton–Schulz iteration runs on.

pub mod elementwise;
pub mod finite;

mod lanes;
pub mod matmul;
pub mod norm;
pub mod torch_ops;

pub use lanes::{F32x4, F64x4, Lanes, WideLanes};

/// Whether this build has the scalar reference kernel (the `reference-kernel` feature, on by
/// default; the shipped .wasm is built without it). Without it an optimizer steps with
/// [`Kernel::Simd`] whatever it was asked, and LLVM drops the reference code.
pub const HAS_REFERENCE_KERNEL: bool = cfg!(feature = "reference-kernel");

/// Which kernel runs the element-wise math.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Four lanes at a time, then the scalar tail.
    Simd,
    /// The reference, one element at a time (bitwise equal to `Simd`); only where
    /// [`HAS_REFERENCE_KERNEL`].
    Reference,
}
