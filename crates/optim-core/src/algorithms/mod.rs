//! The algorithms of `torch.optim`, one module each: its [`Spec`] (options, defaults, rules, state
//! buffers, torch's names) and its step, written with torch's element-wise operations
//! ([`crate::kernel::torch_ops`]) in torch's order.
//!
//! Adding an algorithm is a module here and a line in [`AlgorithmId`]: the engine, the WebAssembly
//! export and the TypeScript facade read the rest from the spec.

pub mod adam;
pub mod sgd;

use crate::engine::{self, Optimizer, ParamState};
use crate::kernel::Kernel;
use crate::memory::MemoryPolicy;
use crate::schema::{BufferMask, Spec, MAX_BUFFERS};

/// One parameter's step, as the engine hands it to [`Algorithm::step`].
pub struct Target<'a> {
    /// The values, to update in place.
    pub param: &'a mut [f32],
    /// The gradient, of the same length.
    pub grad: &'a [f32],
    /// The state's step count, this step included (algorithms that count steps; 0 otherwise).
    pub step: u64,
    /// The buffers this step uses (the spec's rules for the group's row), by their index in the
    /// spec, each of the parameter's length; `None` for one not in use (or no state at all).
    pub buffers: [Option<&'a mut [f32]>; MAX_BUFFERS],
    /// Which of them this step created, zero-filled: torch's first use (SGD's absent
    /// `momentum_buffer`).
    pub fresh: BufferMask,
}

/// The step of one algorithm. The engine calls it once per parameter with a gradient, group by
/// group in order, after it checked every row and created every state.
pub trait Algorithm {
    /// One group's row, decoded.
    type Hyperparameters;
    /// Whatever a step carries from parameter to parameter and group to group (Adam: its bias
    /// corrections, computed once for parameters that share betas and step counts). A new one
    /// starts every step.
    type Memo: Default;

    /// The hyperparameters a checked row holds.
    fn decode(row: &[f64]) -> Self::Hyperparameters;

    /// Called before the first parameter of each group.
    fn begin_group(_memo: &mut Self::Memo) {}

    /// One parameter's update, with the `kernel` asked for.
    fn step(hyper: &Self::Hyperparameters, memo: &mut Self::Memo, target: Target<'_>, kernel: Kernel);
}

/// Every algorithm the engine runs. Its discriminant is what crosses into WebAssembly's exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlgorithmId {
    /// `torch.optim.Adam`.
    Adam = 0,
    /// `torch.optim.AdamW`: Adam's step with the weight decay decoupled.
    AdamW = 1,
    /// `torch.optim.SGD`.
    Sgd = 2,
}

impl AlgorithmId {
    /// Every algorithm, in discriminant order.
    pub const ALL: [AlgorithmId; 3] = [AlgorithmId::Adam, AlgorithmId::AdamW, AlgorithmId::Sgd];

    /// The algorithm's spec.
    pub fn spec(self) -> &'static Spec {
        match self {
            AlgorithmId::Adam => &adam::ADAM,
            AlgorithmId::AdamW => &adam::ADAMW,
            AlgorithmId::Sgd => &sgd::SGD,
        }
    }

    /// Phase 2 of a step: the update of every parameter with a gradient.
    pub(crate) fn update<M: MemoryPolicy>(self, opt: &mut Optimizer<M>) {
        match self {
            AlgorithmId::Adam | AlgorithmId::AdamW => engine::update::<adam::Adam, M>(opt),
            AlgorithmId::Sgd => engine::update::<sgd::Sgd, M>(opt),
        }
    }
}

/// One step of one parameter outside an optimizer (a test's, a benchmark's): what the engine does
/// for it, from `state` (created empty with [`ParamState::default`] before the first step; it
/// keeps no state where torch keeps none). Allocates the buffers `row` uses that `state` lacks.
///
/// # Panics
/// If `row` breaks a rule, the lengths differ, or memory is exhausted.
pub fn step_param<A: Algorithm>(
    spec: &Spec,
    row: &[f64],
    state: &mut ParamState,
    param: &mut [f32],
    grad: &[f32],
    kernel: Kernel,
) {
    spec.check_row(row).expect("a valid row");
    let used = spec.buffers_in_use(row);
    let missing = used & !state.present();
    if missing != 0 {
        state.install(engine::zeroed_buffers(param.len(), missing, &crate::Unbounded).expect("memory for the state"));
    }
    if spec.counts_steps {
        state.advance();
    }
    let (step, buffers, fresh) = state.for_step(used);
    A::step(&A::decode(row), &mut A::Memo::default(), Target { param, grad, step, buffers, fresh }, kernel);
}
