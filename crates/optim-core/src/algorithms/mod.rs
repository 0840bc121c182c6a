//! The algorithms of `torch.optim`, one module each: its [`Spec`] (options, defaults, rules, state
//! buffers, torch's names) and its step, written with torch's element-wise operations
//! ([`crate::kernel::torch_ops`]) in torch's order.
//!
//! Adding an algorithm is a module here and a line in the registry (`algorithms!` below): the
//! engine, the WebAssembly export and the TypeScript facade (which names the algorithm by torch's
//! class name) read the rest from the spec.

/// An algorithm's `Hyperparameters`: one field per option of its spec, read from a row and
/// written to one at the spec's slots, defaulting to the spec's defaults. Each field names its
/// kind (`number`: `f64`, `pair`: `(f64, f64)`, `flag`: `bool`) and its slot constant; the module
/// defines `ROW_LEN`.
macro_rules! hyperparameters {
    ($(#[$meta:meta])* $spec:ident { $($(#[$doc:meta])* $field:ident: $kind:ident = $slot:ident),* $(,)? }) => {
        #[doc = concat!("One group's options, decoded from its row (torch's `", stringify!($spec), "` param group).")]
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct Hyperparameters {
            $($(#[$doc])* pub $field: hyperparameters!(@type $kind),)*
        }

        impl Default for Hyperparameters {
            /// torch's defaults (the spec's).
            fn default() -> Self {
                let mut row = [0.0; ROW_LEN];
                $spec.write_defaults(&mut row);
                Self::from_row(&row)
            }
        }

        impl Hyperparameters {
            /// The hyperparameters a row holds (flags: `1.0` is true).
            pub fn from_row(row: &[f64]) -> Self {
                Self { $($field: hyperparameters!(@read $kind, row, $slot),)* }
            }

            /// The row holding these hyperparameters.
            pub fn to_row(&self) -> [f64; ROW_LEN] {
                let mut row = [0.0; ROW_LEN];
                $(hyperparameters!(@write $kind, row, $slot, self.$field);)*
                row
            }
        }

        impl $crate::algorithms::FromRow for Hyperparameters {
            fn from_row(row: &[f64]) -> Self {
                Hyperparameters::from_row(row)
            }
        }
    };
    (@type number) => { f64 };
    (@type pair) => { (f64, f64) };
    (@type triple) => { (f64, f64, f64) };
    (@type flag) => { bool };
    (@type choice) => { usize };
    (@read number, $row:ident, $slot:ident) => { $row[$slot] };
    (@read pair, $row:ident, $slot:ident) => { ($row[$slot], $row[$slot + 1]) };
    (@read triple, $row:ident, $slot:ident) => { ($row[$slot], $row[$slot + 1], $row[$slot + 2]) };
    (@read flag, $row:ident, $slot:ident) => { $row[$slot] == 1.0 };
    (@read choice, $row:ident, $slot:ident) => { $row[$slot] as usize };
    (@write number, $row:ident, $slot:ident, $value:expr) => { $row[$slot] = $value };
    (@write pair, $row:ident, $slot:ident, $value:expr) => { ($row[$slot], $row[$slot + 1]) = $value };
    (@write triple, $row:ident, $slot:ident, $value:expr) => { ($row[$slot], $row[$slot + 1], $row[$slot + 2]) = $value };
    (@write flag, $row:ident, $slot:ident, $value:expr) => { $row[$slot] = f64::from(u8::from($value)) };
    (@write choice, $row:ident, $slot:ident, $value:expr) => { $row[$slot] = $value as f64 };
}

pub mod adadelta;
pub mod adafactor;
pub mod adagrad;
pub mod adam;
pub mod adamax;
pub mod asgd;
pub mod muon;
pub mod nadam;
pub mod radam;
pub mod rmsprop;
pub mod rprop;
pub mod sgd;
pub mod sparse_adam;

use crate::engine::{self, Optimizer, ParamState, Scalars, StepError, StepView};
use crate::kernel::Kernel;
use crate::memory::MemoryPolicy;
use crate::param::Dims;
use crate::schema::{BufferMask, Spec, MAX_BUFFERS};

/// One parameter's step, as the engine hands it to [`Algorithm::step`].
pub struct Target<'a> {
    /// The values, to update in place.
    pub param: &'a mut [f32],
    /// The gradient: of the same length, or (a sparse one, [`Spec::sparse_grads`]) the values of
    /// `indices`' rows.
    pub grad: &'a [f32],
    /// A sparse gradient's rows of the first dimension, in the order of `grad`'s values, repeats
    /// allowed; `None` for a dense gradient.
    pub indices: Option<&'a [u32]>,
    /// What the engine knows of the parameter's shape.
    pub dims: Dims,
    /// The state's step count, this step included (algorithms that count steps; 0 otherwise).
    pub step: u64,
    /// The state's scalars (the spec's `scalars`, in order), to update in place.
    pub scalars: &'a mut Scalars,
    /// The buffers this step uses (the spec's rules for the group's row), by their index in the
    /// spec, each of the parameter's length; `None` for one not in use (or no state at all).
    pub buffers: [Option<&'a mut [f32]>; MAX_BUFFERS],
    /// Which of them this step created, zero-filled: torch's first use (SGD's absent
    /// `momentum_buffer`).
    pub fresh: BufferMask,
    /// Scratch of at least [`Algorithm::workspace_len`] floats, holding whatever the previous
    /// step left.
    pub workspace: &'a mut [f32],
}

impl<'a> Target<'a> {
    /// The target of one parameter's step: its values, gradient (and a sparse one's rows), shape,
    /// what its state gives the step, and the workspace.
    pub(crate) fn new(
        (param, grad, indices): (&'a mut [f32], &'a [f32], Option<&'a [u32]>),
        dims: Dims,
        view: StepView<'a>,
        workspace: &'a mut [f32],
    ) -> Self {
        let StepView { step, scalars, buffers, fresh } = view;
        Target { param, grad, indices, dims, step, scalars, buffers, fresh, workspace }
    }
}

/// An algorithm's hyperparameters, decoded from a checked row (`hyperparameters!` implements it).
pub trait FromRow {
    /// The hyperparameters `row` holds (flags: `1.0` is true).
    fn from_row(row: &[f64]) -> Self;
}

/// The step of one algorithm. The engine calls it once per parameter with a gradient, group by
/// group in order, after it checked every row and created every state.
pub trait Algorithm {
    /// One group's row, decoded.
    type Hyperparameters: FromRow;
    /// Whatever a step carries from parameter to parameter and group to group (Adam: its bias
    /// corrections, computed once for parameters that share betas and step counts). A new one
    /// starts every step.
    type Memo: Default;

    /// Called before the first parameter of each group.
    fn begin_group(_memo: &mut Self::Memo) {}

    /// Whether [`Self::workspace_len`] can be other than 0 (Muon); the engine looks at no
    /// parameter for the others.
    const NEEDS_WORKSPACE: bool = false;

    /// The scratch floats one parameter's step needs beside its state (Muon's Newton–Schulz
    /// matrices), which the engine allocates before a step and keeps; none for element-wise
    /// algorithms.
    fn workspace_len(_hyper: &Self::Hyperparameters, _dims: Dims, _grad_len: usize) -> usize {
        0
    }

    /// Whether a step over a range of a parameter's elements (its values, gradient and state
    /// buffers cut to the range, the same step count, hyperparameters and scalars as before the
    /// step) computes exactly that range of the whole step, so that the engine may split a step
    /// across threads ([`crate::parallel`]). True of every element-wise algorithm: each element's
    /// update reads only that element and scalars. Scalars the step writes (NAdam's
    /// `mu_product`) are written once, by the range that starts the parameter.
    const SPLITS_BY_ELEMENT: bool = false;

    /// One parameter's update, with the `kernel` asked for.
    fn step(hyper: &Self::Hyperparameters, memo: &mut Self::Memo, target: Target<'_>, kernel: Kernel);
}

/// The registry: each algorithm once, as `Variant = discriminant => module::SPEC, module::Step`.
/// It makes [`AlgorithmId`], its list, its spec and the engine's dispatch to its step.
macro_rules! algorithms {
    ($($(#[$doc:meta])* $variant:ident = $n:literal => $spec:path, $step:path;)*) => {
        /// Every algorithm the engine runs. Hosts name one by torch's class name
        /// ([`AlgorithmId::from_name`]) or by its index in [`AlgorithmId::ALL`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum AlgorithmId {
            $($(#[$doc])* $variant = $n,)*
        }

        impl AlgorithmId {
            /// Every algorithm, in discriminant order.
            pub const ALL: &'static [AlgorithmId] = &[$(AlgorithmId::$variant,)*];

            /// The algorithm's spec.
            pub fn spec(self) -> &'static Spec {
                match self {
                    $(AlgorithmId::$variant => &$spec,)*
                }
            }

            /// Phase 2 of a step: the update of every parameter with a gradient.
            pub(crate) fn update<M: MemoryPolicy>(self, opt: &mut Optimizer<M>) -> Result<(), StepError> {
                match self {
                    $(AlgorithmId::$variant => engine::update::<$step, M>(opt),)*
                }
            }

            /// Whether a step may be split by element ranges ([`Algorithm::SPLITS_BY_ELEMENT`]).
            pub fn splits_by_element(self) -> bool {
                match self {
                    $(AlgorithmId::$variant => <$step as Algorithm>::SPLITS_BY_ELEMENT,)*
                }
            }

            /// Whether the algorithm ever needs scratch ([`Algorithm::NEEDS_WORKSPACE`]).
            pub(crate) fn needs_workspace(self) -> bool {
                match self {
                    $(AlgorithmId::$variant => <$step as Algorithm>::NEEDS_WORKSPACE,)*
                }
            }

            /// The scratch a step of a parameter of `dims` with `row` needs
            /// ([`Algorithm::workspace_len`]).
            pub(crate) fn workspace_len(self, row: &[f64], dims: Dims, grad_len: usize) -> usize {
                match self {
                    $(AlgorithmId::$variant => {
                        <$step as Algorithm>::workspace_len(&<<$step as Algorithm>::Hyperparameters as FromRow>::from_row(row), dims, grad_len)
                    })*
                }
            }
        }
    };
}

algorithms! {
    /// `torch.optim.Adam`.
    Adam = 0 => adam::ADAM, adam::Adam;
    /// `torch.optim.AdamW`: Adam's step with the weight decay decoupled.
    AdamW = 1 => adam::ADAMW, adam::Adam;
    /// `torch.optim.SGD`.
    Sgd = 2 => sgd::SGD, sgd::Sgd;
    /// `torch.optim.RMSprop`.
    RmsProp = 3 => rmsprop::RMSPROP, rmsprop::RmsProp;
    /// `torch.optim.Adagrad`.
    Adagrad = 4 => adagrad::ADAGRAD, adagrad::Adagrad;
    /// `torch.optim.Adadelta`.
    Adadelta = 5 => adadelta::ADADELTA, adadelta::Adadelta;
    /// `torch.optim.Adamax`.
    Adamax = 6 => adamax::ADAMAX, adamax::Adamax;
    /// `torch.optim.NAdam`.
    NAdam = 7 => nadam::NADAM, nadam::NAdam;
    /// `torch.optim.RAdam`.
    RAdam = 8 => radam::RADAM, radam::RAdam;
    /// `torch.optim.ASGD`.
    Asgd = 9 => asgd::ASGD, asgd::Asgd;
    /// `torch.optim.Rprop`.
    Rprop = 10 => rprop::RPROP, rprop::Rprop;
    /// `torch.optim.Muon`: momentum, orthogonalized by Newton–Schulz iterations (matrices only).
    Muon = 11 => muon::MUON, muon::Muon;
    /// `torch.optim.Adafactor`: factored second moments for parameters of 2 or more dimensions.
    Adafactor = 12 => adafactor::ADAFACTOR, adafactor::Adafactor;
    /// `torch.optim.SparseAdam`: Adam on the rows a sparse gradient touches.
    SparseAdam = 13 => sparse_adam::SPARSE_ADAM, sparse_adam::SparseAdam;
}

impl AlgorithmId {
    /// The algorithm whose spec has torch's class name `name` (`"RMSprop"`).
    pub fn from_name(name: &str) -> Option<AlgorithmId> {
        Self::ALL.iter().copied().find(|id| id.spec().name == name)
    }

    /// The algorithm at `index` in [`Self::ALL`] (its discriminant).
    pub fn from_index(index: usize) -> Option<AlgorithmId> {
        Self::ALL.get(index).copied()
    }
}

/// One step of one parameter outside an optimizer (a test's, a benchmark's): what the engine does
/// for it, from `state` (`None` before the first step; it stays `None` where torch keeps no
/// state). Creates the state, and the buffers `row` uses that it lacks, as the engine does (a
/// buffer filled from the defaults takes the group's value).
///
/// # Panics
/// If `row` breaks a rule, the lengths differ, or memory is exhausted.
pub fn step_param<A: Algorithm>(
    spec: &Spec,
    row: &[f64],
    state: &mut Option<ParamState>,
    param: &mut [f32],
    grad: &[f32],
    kernel: Kernel,
) {
    step_shaped::<A>(spec, row, state, param, Dims::flat(param.len()), grad, kernel);
}

/// [`step_param`] for a parameter of shape `dims` (a matrix, for Muon), with a workspace of its
/// own.
///
/// # Panics
/// As [`step_param`].
pub fn step_shaped<A: Algorithm>(
    spec: &Spec,
    row: &[f64],
    state: &mut Option<ParamState>,
    param: &mut [f32],
    dims: Dims,
    grad: &[f32],
    kernel: Kernel,
) {
    let hyper = A::Hyperparameters::from_row(row);
    let mut workspace = vec![0.0; A::workspace_len(&hyper, dims, grad.len())];
    let workspace = &mut workspace[..];
    spec.check_row(row).expect("a valid row");
    let used = spec.buffers_in_use(row, dims.ndim);
    let mut no_scalars = Scalars::default();
    if state.is_none() && spec.keeps_state(row, dims.ndim) {
        *state = Some(ParamState::new(spec, row));
    }
    let view = match state {
        Some(state) => {
            let missing = used & !state.present();
            if missing != 0 {
                let buffers = engine::new_buffers(spec, row, row, (param.len(), dims), missing, &crate::Unbounded);
                state.install(buffers.expect("memory for the state"));
            }
            state.begin_step(spec.counts_steps, used)
        }
        None => StepView::stateless(&mut no_scalars),
    };
    let target = Target::new((param, grad, None), dims, view, workspace);
    A::step(&hyper, &mut A::Memo::default(), target, kernel);
}
