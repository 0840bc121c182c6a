//! wasm-bindgen exports of `adam-core` for the lucid-optim TypeScript facade: conversions only.
//!
//! Everything numeric lives in WebAssembly linear memory and is owned by Rust: each
//! [`RawParameter`]'s data and gradient, and each [`RawAdam`]'s per-parameter state. JavaScript
//! reads and writes them through `Float32Array` views at the pointers these types return, and
//! [`RawAdam::step`] updates every parameter of every group in one call; [`clip::clip_grad_norm`]
//! clips the gradients of any list of parameters in one call.
//!
//! The optimizer itself (groups, lazy state, the all-or-nothing step, staged loading) is
//! adam-core's `Adam`; this crate adds the memory policy of WebAssembly ([`memory::Headroom`])
//! and the limits and codes JavaScript needs, exported rather than copied: [`error::ErrorKind`],
//! [`error::HyperField`] (the hyperparameter row layout), `maxElements()`, `maxStep()`,
//! `maxReserveBytes()`, `hyperRowLen()`. It formats no messages: errors are [`error::RawError`]
//! kinds, and the facade writes the sentence. It never panics on bad input or exhausted memory:
//! a panic would trap and poison the instance.
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod adam;
pub mod clip;
pub mod error;
pub mod memory;
mod parameter;

pub use adam::{RawAdam, StateBuffer, StepOutcome};
pub use parameter::{RawParameter, MAX_ELEMENTS};
