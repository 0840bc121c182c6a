//! The numerical core of lucid-optim: `torch.optim`'s algorithms (torch 2.15, single-tensor
//! path) over flat `f32` slices, bit for bit.
//!
//! It knows nothing about JavaScript or wasm-bindgen: it compiles, tests and benchmarks natively,
//! and the `optim-wasm` crate exports it.
//!
//! * [`schema`]: what an algorithm is, as data ([`Spec`]): its options with torch's names,
//!   defaults and rules, the row of `f64`s a group's options travel in, its state buffers.
//! * [`algorithms`]: one module per algorithm (its spec and its step), and [`AlgorithmId`], the
//!   list of them.
//! * [`Optimizer`] ([`engine`]): any algorithm over parameter groups ([`ParamBuffers`] shared with
//!   the host), lazy state, and a step of every group that happens whole or changes nothing;
//!   loads are staged.
//! * [`kernel`]: the lane types the element-wise math is written over (scalar reference and
//!   4-lane SIMD: `simd128` on wasm32), torch's element-wise operations, and the reductions of
//!   the non-finite guard and of `clip_grad_norm_`.
//! * [`ParamRegistry`] names parameters by id, for `torch.nn.utils.clip_grad_norm_` over a list of
//!   them in one call.
//! * [`MemoryPolicy`] admits or refuses each fallible allocation (WebAssembly keeps headroom).
//!
//! ```
//! use optim_core::algorithms::{adam, step_param, AlgorithmId};
//! use optim_core::kernel::Kernel;
//!
//! let row = adam::Hyperparameters { lr: 0.1, ..Default::default() }.to_row();
//! let mut param = vec![1.0_f32, 2.0, 3.0];
//! let mut state = None; // no state before the first step, as in torch
//! step_param::<adam::Adam>(AlgorithmId::Adam.spec(), &row, &mut state, &mut param, &[0.5, -0.5, 0.0], Kernel::Simd);
//! // The first Adam step moves every parameter with a non-zero gradient by about lr against it.
//! assert!((param[0] - 0.9).abs() < 1e-6 && (param[1] - 2.1).abs() < 1e-6 && param[2] == 3.0);
//! assert_eq!(state.unwrap().step_count(), 1);
//! ```
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
// The worker pool's wait and notify (`parallel::pool`) are unstable in core::arch::wasm32; the
// shared-memory build already needs RUSTC_BOOTSTRAP for -Zbuild-std (scripts/build-wasm.sh).
#![cfg_attr(all(target_arch = "wasm32", target_feature = "atomics"), feature(stdarch_wasm_atomic_wait))]

pub mod algorithms;
mod averaging;
mod clip;
pub mod engine;
pub mod kernel;
pub mod lbfgs;
mod memory;
pub mod parallel;
mod param;
pub mod schema;

pub use algorithms::AlgorithmId;
pub use averaging::{AverageError, Averaging};
pub use clip::{ClipError, ParamRegistry};
pub use engine::{Optimizer, ParamState, StepError, Stepped, MAX_STEP};
pub use memory::{try_zeros, zeros_admitted, AllocError, MemoryPolicy, Unbounded};
pub use param::{Dims, ParamBuffers, SharedParam, SparseGradError};
pub use schema::Spec;
