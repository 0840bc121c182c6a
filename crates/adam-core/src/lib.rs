//! The Adam step of [`torch.optim.Adam`] (single-tensor path), over flat `f32` slices.
//!
//! This crate is the numerical core of lucid-optim. It knows nothing about JavaScript or
//! wasm-bindgen: it compiles, tests and benchmarks natively, and the `adam-wasm` crate exports it.
//!
//! * [`Hyperparameters`] are one parameter group's options (`lr`, `betas`, `eps`, `weight_decay`,
//!   `amsgrad`, `maximize`, `decoupled_weight_decay`: AdamW), validated the way PyTorch validates them.
//! * [`AdamState`] is one parameter's optimizer state (`step`, `exp_avg`, `exp_avg_sq` and, with
//!   AMSGrad, `max_exp_avg_sq`), created lazily at the parameter's first step as PyTorch does.
//! * [`Adam`] is the optimizer: parameter groups ([`ParamBuffers`] shared with the host), lazy
//!   state, and a step of every group that happens whole or changes nothing; loads are staged.
//! * [`ParamRegistry`] names parameters by id, for `torch.nn.utils.clip_grad_norm_` over a list of
//!   them in one call ([`kernel::norm`] holds its element-wise math).
//! * [`MemoryPolicy`] admits or refuses each fallible allocation (WebAssembly keeps headroom).
//! * [`kernel`] holds the element-wise update, written once over a lane type and instantiated as
//!   the scalar reference (`f32`) and as 4-lane SIMD (`simd128` on wasm32, portable arrays natively).
//!
//! ```
//! use adam_core::{AdamState, Hyperparameters};
//!
//! let hyper = Hyperparameters { lr: 0.1, ..Hyperparameters::default() };
//! let mut param = vec![1.0_f32, 2.0, 3.0];
//! let grad = vec![0.5_f32, -0.5, 0.0];
//! let mut state = AdamState::zeros(param.len(), hyper.amsgrad).unwrap();
//! state.step(&hyper, &mut param, &grad);
//! // The first Adam step moves every parameter with a non-zero gradient by about lr against it.
//! assert!((param[0] - 0.9).abs() < 1e-6 && (param[1] - 2.1).abs() < 1e-6 && param[2] == 3.0);
//! assert_eq!(state.step_count(), 1);
//! ```
//!
//! [`torch.optim.Adam`]: https://pytorch.org/docs/stable/generated/torch.optim.Adam.html
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod clip;
mod hyperparameters;
pub mod kernel;
mod memory;
mod optimizer;
mod param;
mod state;

pub use clip::{ClipError, ParamRegistry};
pub use hyperparameters::{Field, Hyperparameters, InvalidHyperparameter, Row, Rule, ROW_LEN};
pub use kernel::{Kernel, ScalarMemo, StepScalars, WeightDecay};
pub use memory::{zeros_admitted, MemoryPolicy, Unbounded};
pub use optimizer::{Adam, StepError, Stepped, MAX_STEP};
pub use param::{ParamBuffers, SharedParam};
pub use state::{try_zeros, AdamState, AllocError};
