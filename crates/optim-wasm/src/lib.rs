//! wasm-bindgen exports of `optim-core` for the lucid-optim TypeScript facade: conversions only.
//!
//! Everything numeric lives in WebAssembly linear memory and is owned by Rust: each
//! [`RawParameter`]'s data and gradient, and each [`RawOptimizer`]'s per-parameter state.
//! JavaScript reads and writes them through `Float32Array` views at the pointers these types
//! return, and [`RawOptimizer::step`] updates every parameter of every group in one call;
//! [`clip::clip_grad_norm`] clips the gradients of any list of parameters in one call.
//!
//! The optimizer itself (any algorithm: groups, lazy state, the all-or-nothing step, staged
//! loading) is optim-core's `Optimizer`; this crate adds the memory policy of WebAssembly
//! ([`memory::Headroom`]) and exports, rather than copies, what JavaScript needs to know: each
//! algorithm's spec ([`spec::RawSpec`]: fields, torch names, defaults, rules, state buffers), the
//! error kinds ([`error::ErrorKind`]) and the limits (`maxElements()`, `maxStep()`,
//! `maxReserveBytes()`). It formats no messages: errors are [`error::RawError`] kinds with the
//! group, parameter and slot they concern, and the facade writes the sentence. It never panics on
//! bad input or exhausted memory: a panic would trap and poison the instance.
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod averaging;
pub mod clip;
pub mod error;
mod lbfgs;
pub mod memory;
mod optimizer;
mod parameter;
pub mod spec;
#[cfg(feature = "threads")]
pub mod threads;

pub use lbfgs::{LbfgsOp, LbfgsVector, RawLbfgs};
pub use optimizer::{RawOptimizer, StepOutcome};
pub use parameter::{RawParameter, MAX_ELEMENTS};
pub use spec::RawSpec;
