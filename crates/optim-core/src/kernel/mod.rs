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

/// Which kernel runs the element-wise math.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Four lanes at a time, then the scalar tail.
    Simd,
    /// The reference, one element at a time (bitwise equal to `Simd`). Only with the
    /// `reference-kernel` feature (on by default; the shipped .wasm is built without it, so that
    /// none of the reference code is compiled into it).
    #[cfg(feature = "reference-kernel")]
    Reference,
}
