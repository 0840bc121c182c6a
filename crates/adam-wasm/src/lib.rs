//! wasm-bindgen exports of `adam-core` for the lucid-optim TypeScript facade.
//!
//! Everything numeric lives in WebAssembly linear memory and is owned by Rust: each
//! [`RawParameter`]'s data and gradient, and each [`RawAdam`]'s per-parameter state. JavaScript
//! reads and writes them through `Float32Array` views at the pointers these types return, and
//! [`RawAdam::step`] updates every parameter of every group in one call.
//!
//! This crate holds no math (that is `adam-core`) and no input validation beyond what keeps
//! memory safe (that is the facade's job, where the errors can name the user's fields). It never
//! panics on bad input or exhausted memory: a panic would trap and poison the instance. Large
//! buffers are allocated fallibly and leave [`memory::HEADROOM`] free behind them, so that the
//! small infallible allocations cannot fail either (see [`memory`]).
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod adam;
pub mod memory;
mod parameter;

pub use adam::{RawAdam, StepError, STEPPED};
pub use parameter::{RawParameter, MAX_ELEMENTS};
