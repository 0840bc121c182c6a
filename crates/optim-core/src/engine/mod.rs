//! The optimizer over any algorithm, as `torch.optim.Optimizer` is: parameter groups, each with its
//! row of hyperparameters, lazily created per-parameter state, and a step of every parameter of
//! every group that either happens whole or changes nothing.
//!
//! The engine knows no algorithm. What it needs of one it reads from the algorithm's
//! [`Spec`]: how long a row is and what each slot may hold, which state buffers a row uses, and
//! whether the state counts steps. The arithmetic is the algorithm's
//! [`Algorithm::step`](crate::algorithms::Algorithm::step), called once per parameter.
//!
//! A step runs in two phases. Phase 1 does everything that can fail or skip, with no visible
//! change: it checks every group's row, every parameter, the step limit and (opt-in) the
//! gradients, then allocates all the state this step creates. Phase 2 installs that state and
//! updates every parameter, and cannot fail. Loading a state dict works the same way (see
//! [`staging`](self)): stage everything, then swap it in.

mod staging;
mod state;

use core::fmt;

pub(crate) use state::StepView;
pub use state::{new_buffers, zeroed_buffers, Buffers, ParamState, Scalars};

use crate::algorithms::{Algorithm, AlgorithmId, FromRow, Target};
use crate::kernel::finite::all_finite;
use crate::kernel::Kernel;
use crate::memory::{reserve_admitted, zeros_admitted, AllocError, MemoryPolicy, Unbounded};
#[cfg(feature = "threads")]
use crate::parallel::{self, Claims, WorkerDied, CHUNK, MIN_PARALLEL_ELEMENTS};
#[cfg(feature = "threads")]
use crate::param::Dims;
use crate::param::SharedParam;
#[cfg(feature = "threads")]
use crate::schema::MAX_BUFFERS;
use crate::schema::{BufferMask, InvalidHyperparameter, Spec};

/// The most steps a parameter's state can count: 2^53 - 1, the largest integer a JavaScript
/// number (and so a state dict) holds exactly. A step that would go past it is refused.
pub const MAX_STEP: u64 = (1 << 53) - 1;

/// Why a step, a load or a change of the groups did nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StepError {
    /// A group's row breaks a rule.
    Hyperparameter {
        /// The group's index.
        group: usize,
        /// The slot and the value, or the rule across fields.
        error: InvalidHyperparameter,
    },
    /// A parameter was disposed.
    Disposed {
        /// The parameter's index across groups.
        param: usize,
    },
    /// A parameter's state already counts [`MAX_STEP`] steps (or a loaded state claims more).
    StepLimit {
        /// The parameter's index across groups.
        param: usize,
        /// Its step count (as a float: a loaded count may not fit `u64`).
        step: f64,
    },
    /// No parameter `param` in the load in progress (or no load in progress).
    NoSuchParameter {
        /// The index asked for.
        param: usize,
    },
    /// No group `group` to add a parameter to.
    NoSuchGroup {
        /// The index asked for.
        group: usize,
    },
    /// A parameter's gradient is sparse and the algorithm takes dense ones, or the other way
    /// round ([`Spec::sparse_grads`]: SparseAdam takes only sparse gradients).
    GradLayout {
        /// The parameter's index across groups.
        param: usize,
        /// Whether its gradient is sparse.
        sparse: bool,
    },
    /// The algorithm takes only matrices ([`Spec::matrices_only`]: Muon) and a parameter with a
    /// gradient is not one.
    NotAMatrix {
        /// The parameter's index across groups.
        param: usize,
        /// Its number of dimensions.
        ndim: usize,
    },
    /// A worker thread stopped in the middle of the step (it trapped): unlike every other error,
    /// the step is partly done ([`crate::parallel::pool`]).
    WorkerDied,
    /// Memory for a parameter's state, or for bookkeeping (`param: None`), could not be had.
    OutOfMemory {
        /// The parameter's index across groups, if the allocation was its state.
        param: Option<usize>,
        /// What failed.
        error: AllocError,
    },
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hyperparameter { group, error } => write!(f, "group {group}: {error}"),
            Self::Disposed { param } => write!(f, "parameter {param} was disposed"),
            Self::StepLimit { param, step } => write!(f, "parameter {param}: step {step} is beyond the limit {MAX_STEP}"),
            Self::NoSuchParameter { param } => write!(f, "no parameter {param} in the load in progress"),
            Self::NoSuchGroup { group } => write!(f, "no group {group}"),
            Self::NotAMatrix { param, ndim } => write!(f, "parameter {param} has {ndim} dimensions, not 2"),
            Self::GradLayout { param, sparse: true } => write!(f, "parameter {param} has a sparse gradient"),
            Self::GradLayout { param, sparse: false } => write!(f, "parameter {param} has a dense gradient"),
            Self::WorkerDied => write!(f, "a worker thread died during the step"),
            Self::OutOfMemory { param: Some(param), error } => write!(f, "parameter {param}: {error} of optimizer state"),
            Self::OutOfMemory { param: None, error } => write!(f, "bookkeeping: {error}"),
        }
    }
}

impl std::error::Error for StepError {}

/// What a step did when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stepped {
    /// Every parameter with a gradient stepped.
    All,
    /// The non-finite guard found a NaN or an infinity in parameter `param`'s gradient (the first
    /// in group order) and skipped the whole step, changing nothing.
    SkippedNonFinite {
        /// The parameter's index across groups.
        param: usize,
    },
}

struct Slot {
    param: SharedParam,
    state: Option<ParamState>,
}

/// State a step creates, allocated in phase 1 and installed in phase 2: a first step's state
/// (`new_state`), or buffers a row started using since the state was created (AMSGrad or
/// momentum switched on).
struct Pending {
    slot: usize,
    group: usize,
    new_state: bool,
    buffers: Buffers,
}

/// An optimizer over parameter groups, for the algorithm given at construction, as
/// `torch.optim.<Algorithm>` (single-tensor path) computes it.
///
/// Each group's hyperparameters are a row of the hyperparameter table ([`Spec::row_len`] slots
/// per group), which a host can write in place ([`Optimizer::hyper_table_mut`]) between steps;
/// every step checks every row. Parameters are numbered by position across groups (group 0's in
/// order, then group 1's, ...), as torch's `state_dict` numbers them; a group may have no
/// parameters, as in torch.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use optim_core::algorithms::{sgd, AlgorithmId};
/// use optim_core::{Optimizer, ParamBuffers, Stepped};
///
/// let w = Rc::new(RefCell::new(ParamBuffers::from_values(vec![1.0, 2.0])));
/// let mut opt = Optimizer::new(AlgorithmId::Sgd, optim_core::Unbounded);
/// opt.add_group(1).unwrap();
/// opt.set_row(0, &sgd::Hyperparameters { lr: 0.5, ..Default::default() }.to_row());
/// opt.add_param(&w).unwrap();
/// w.borrow_mut().grad_buffer(&optim_core::Unbounded).unwrap().copy_from_slice(&[0.5, -0.5]);
/// w.borrow_mut().set_has_grad(true);
/// assert_eq!(opt.step(false), Ok(Stepped::All));
/// // p - lr * g
/// assert_eq!(w.borrow().data(), &[0.75, 2.25]);
/// assert!(opt.state(0).is_none(), "SGD without momentum keeps no state, as torch's");
/// ```
pub struct Optimizer<M: MemoryPolicy = Unbounded> {
    algorithm: AlgorithmId,
    spec: &'static Spec,
    row_len: usize,
    slots: Vec<Slot>,
    /// `group_ends[g]` is one past group g's last parameter.
    group_ends: Vec<usize>,
    /// `row_len` slots per group.
    hyper_table: Vec<f64>,
    /// The optimizer's defaults (torch's `self.defaults`), a row; empty until
    /// [`Self::set_defaults`], and then each group's own row stands in for it.
    defaults: Vec<f64>,
    /// Allocations of the step in progress; empty and unallocated between steps, so that a step
    /// that fails leaves even the allocator's counters exactly as they were.
    pending: Vec<Pending>,
    /// States being loaded, indexed like `slots`; empty and unallocated outside a load.
    staged: Vec<Option<ParamState>>,
    /// Scratch a step's arithmetic needs beside the state (Muon's matrices): as long as the
    /// largest any step needed so far, kept so that later steps allocate nothing.
    workspace: Vec<f32>,
    /// The parameters of a step split across threads ([`update`]); empty between steps, its
    /// capacity kept so that later steps allocate nothing.
    #[cfg(feature = "threads")]
    tasks: Vec<Task>,
    /// Whether the step in progress is split across threads (decided in phase 1).
    split: bool,
    /// The threads a step may use ([`Self::set_threads`]).
    threads: usize,
    kernel: Kernel,
    policy: M,
}

impl<M: MemoryPolicy> Optimizer<M> {
    /// An optimizer for `algorithm` with no groups, whose allocations `policy` admits.
    pub fn new(algorithm: AlgorithmId, policy: M) -> Self {
        let spec = algorithm.spec();
        Self {
            algorithm,
            spec,
            row_len: spec.row_len(),
            slots: Vec::new(),
            group_ends: Vec::new(),
            hyper_table: Vec::new(),
            defaults: Vec::new(),
            pending: Vec::new(),
            staged: Vec::new(),
            workspace: Vec::new(),
            #[cfg(feature = "threads")]
            tasks: Vec::new(),
            split: false,
            threads: 1,
            kernel: Kernel::Simd,
            policy,
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> AlgorithmId {
        self.algorithm
    }

    /// The memory policy.
    pub fn policy(&self) -> &M {
        &self.policy
    }

    /// Appends an empty group, its row all zeros (write it before stepping), with room for
    /// `capacity` parameters, so that the next `capacity` calls of [`Self::add_param`] cannot
    /// fail. Returns the group's index. Moves the hyperparameter table. Changes nothing on error.
    pub fn add_group(&mut self, capacity: usize) -> Result<usize, StepError> {
        let oom = |error| StepError::OutOfMemory { param: None, error };
        reserve_admitted(&mut self.group_ends, 1, &self.policy).map_err(oom)?;
        reserve_admitted(&mut self.hyper_table, self.row_len, &self.policy).map_err(oom)?;
        self.reserve_params(capacity)?;
        // All within the capacity reserved above: none allocates.
        self.group_ends.push(self.slots.len());
        self.hyper_table.resize(self.hyper_table.len() + self.row_len, 0.0);
        Ok(self.group_ends.len() - 1)
    }

    /// Appends `param` to the last group, sharing its buffers. Changes nothing on error.
    ///
    /// # Panics
    /// If there is no group.
    pub fn add_param(&mut self, param: &SharedParam) -> Result<(), StepError> {
        assert!(!self.group_ends.is_empty(), "add_param before add_group");
        self.push_param(self.group_ends.len() - 1, param)
    }

    /// Makes room for `additional` more parameters, so that the next `additional` calls of
    /// [`Self::push_param`] (or [`Self::add_param`]) cannot fail. Changes nothing on error.
    #[inline(never)] // one copy for add_group, push_param and the host (the `.wasm` has a size budget)
    pub fn reserve_params(&mut self, additional: usize) -> Result<(), StepError> {
        reserve_admitted(&mut self.slots, additional, &self.policy).map_err(|error| StepError::OutOfMemory { param: None, error })
    }

    /// Appends `param` to group `group`, after its last parameter, sharing its buffers. It starts
    /// with no state, as a parameter given at construction does: its first step with a gradient
    /// creates the state, with the group's hyperparameters. Parameters are numbered by position
    /// across groups, so every parameter of a later group moves one index up, as torch's
    /// `state_dict` numbers them after `param_groups[group]['params'].append(p)`. Not during a load
    /// (between [`Self::begin_staging`] and its commit or discard), whose indices it would shift.
    /// Changes nothing on error ([`StepError::NoSuchGroup`], or memory refused).
    ///
    /// # Panics
    /// In debug builds, during a load.
    #[inline(never)] // one copy for the host's calls and extend_group (the `.wasm` has a size budget)
    pub fn push_param(&mut self, group: usize, param: &SharedParam) -> Result<(), StepError> {
        debug_assert!(self.staged.is_empty(), "push_param during a load");
        let Some(&at) = self.group_ends.get(group) else { return Err(StepError::NoSuchGroup { group }) };
        // A no-op when `add_group` or `reserve_params` made room.
        self.reserve_params(1)?;
        // Within the capacity reserved above: does not allocate.
        // `min`: `at <= len` always holds, and saying so spares the `.wasm` insert's panic.
        self.slots.insert(at.min(self.slots.len()), Slot { param: SharedParam::clone(param), state: None });
        let later = self.group_ends.len() - group; // this group and the ones after it
        self.group_ends.iter_mut().rev().take(later).for_each(|end| *end += 1);
        Ok(())
    }

    /// torch's `optimizer.param_groups[group]['params'].extend(params)`: appends `params` to
    /// group `group` in order, each as [`Self::push_param`] appends one. All or nothing: on error
    /// ([`StepError::NoSuchGroup`], or memory refused) no parameter was added.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use optim_core::algorithms::{adam, AlgorithmId};
    /// use optim_core::{Optimizer, ParamBuffers, Unbounded};
    ///
    /// let shared = |v: f32| Rc::new(RefCell::new(ParamBuffers::from_values(vec![v])));
    /// let (a, b, c) = (shared(1.0), shared(2.0), shared(3.0));
    /// let mut opt = Optimizer::new(AlgorithmId::Adam, Unbounded);
    /// for (g, p) in [&a, &b].into_iter().enumerate() {
    ///     opt.add_group(1).unwrap();
    ///     opt.set_row(g, &adam::Hyperparameters::default().to_row());
    ///     opt.add_param(p).unwrap();
    /// }
    /// opt.extend_group(0, [&c]).unwrap();
    /// // Group 0 is [a, c], group 1 is [b]: b is now parameter 2.
    /// assert_eq!(opt.param_count(), 3);
    /// ```
    pub fn extend_group<'p, I>(&mut self, group: usize, params: I) -> Result<(), StepError>
    where
        I: IntoIterator<Item = &'p SharedParam>,
        I::IntoIter: ExactSizeIterator,
    {
        if group >= self.group_ends.len() {
            return Err(StepError::NoSuchGroup { group });
        }
        let params = params.into_iter();
        self.reserve_params(params.len())?;
        for param in params {
            self.push_param(group, param).expect("room reserved above");
        }
        Ok(())
    }

    /// Number of groups.
    pub fn group_count(&self) -> usize {
        self.group_ends.len()
    }

    /// Number of parameters over all groups.
    pub fn param_count(&self) -> usize {
        self.slots.len()
    }

    /// The hyperparameter table: [`Spec::row_len`] slots per group.
    pub fn hyper_table(&self) -> &[f64] {
        &self.hyper_table
    }

    /// The hyperparameter table, to write rows in place; they are checked at the next step.
    pub fn hyper_table_mut(&mut self) -> &mut [f64] {
        &mut self.hyper_table
    }

    /// Group `group`'s row.
    ///
    /// # Panics
    /// If there is no such group.
    pub fn row(&self, group: usize) -> &[f64] {
        &self.hyper_table[group * self.row_len..(group + 1) * self.row_len]
    }

    /// Writes group `group`'s row.
    ///
    /// # Panics
    /// If there is no such group, or `row` is not [`Spec::row_len`] long.
    pub fn set_row(&mut self, group: usize, row: &[f64]) {
        self.hyper_table[group * self.row_len..(group + 1) * self.row_len].copy_from_slice(row);
    }

    /// Sets the optimizer's defaults (torch's `self.defaults`, the constructor's options), which
    /// a buffer created as [`BufferInit::Defaults`](crate::schema::BufferInit::Defaults) holds
    /// whatever its group says (Adagrad's `sum`). Until it is set, each group's own row stands
    /// in. Not checked: only those buffers read it. Changes nothing on error.
    ///
    /// # Panics
    /// If `row` is not [`Spec::row_len`] long.
    pub fn set_defaults(&mut self, row: &[f64]) -> Result<(), StepError> {
        assert!(row.len() == self.row_len, "row length");
        let mut defaults = Vec::new();
        reserve_admitted(&mut defaults, self.row_len, &self.policy)
            .map_err(|error| StepError::OutOfMemory { param: None, error })?;
        defaults.extend_from_slice(row);
        self.defaults = defaults;
        Ok(())
    }

    /// Creates the state of every parameter that has none, as torch's Adagrad constructor does
    /// (`step` 0, each buffer its group's row uses, as its spec says): for algorithms whose spec
    /// has [`Spec::eager_state`], once the groups are added and their rows written. All or nothing:
    /// on error (an invalid row, a disposed parameter, memory refused) no state was created.
    pub fn create_states(&mut self) -> Result<(), StepError> {
        for group in 0..self.group_ends.len() {
            self.spec.check_row(self.row(group)).map_err(|error| StepError::Hyperparameter { group, error })?;
            for param in self.group_range(group) {
                if self.slots[param].param.borrow().is_disposed() {
                    return Err(StepError::Disposed { param });
                }
            }
        }
        self.allocate_pending(true).inspect_err(|_| self.pending = Vec::new())?;
        self.install_pending();
        Ok(())
    }

    /// Steps with `kernel` from now on (the scalar reference, for tests and benchmarks).
    pub fn set_kernel(&mut self, kernel: Kernel) {
        self.kernel = kernel;
    }

    /// Steps with up to `threads` threads from now on, natively (the `threads` feature): a step of
    /// an element-wise algorithm over at least [`MIN_PARALLEL_ELEMENTS`] elements is split by
    /// element ranges, with the same bits as on one thread ([`crate::parallel`]). The
    /// shared-memory `.wasm` uses its worker pool instead, whatever this says.
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads;
    }

    /// Whether the last step that updated parameters was split across threads.
    pub fn split_last_step(&self) -> bool {
        self.split
    }

    /// The state of parameter `index` (across groups), if it has any.
    pub fn state(&self, index: usize) -> Option<&ParamState> {
        self.slots.get(index).and_then(|slot| slot.state.as_ref())
    }

    /// One step of every parameter that has a gradient, in every group.
    ///
    /// With `skip_non_finite`, first checks every gradient and, if one holds a NaN or an
    /// infinity, skips the whole step ([`Stepped::SkippedNonFinite`], changing nothing).
    /// On error (an invalid row, a disposed parameter, a step count at [`MAX_STEP`], memory
    /// exhausted while creating state) nothing changes at all.
    pub fn step(&mut self, skip_non_finite: bool) -> Result<Stepped, StepError> {
        // Phase 1: the cheap checks, then the gradients, then allocations, so that a refused or
        // skipped step neither allocates nor grows memory.
        for group in 0..self.group_ends.len() {
            self.spec.check_row(self.row(group)).map_err(|error| StepError::Hyperparameter { group, error })?;
            for param in self.group_range(group) {
                let slot = &self.slots[param];
                let buffers = slot.param.borrow();
                if buffers.is_disposed() {
                    return Err(StepError::Disposed { param });
                }
                if self.spec.matrices_only && buffers.has_grad() && buffers.dims().ndim != 2 {
                    return Err(StepError::NotAMatrix { param, ndim: buffers.dims().ndim });
                }
                if buffers.has_grad() && buffers.is_sparse() != self.spec.sparse_grads {
                    return Err(StepError::GradLayout { param, sparse: buffers.is_sparse() });
                }
                if let Some(state) = slot.state.as_ref().filter(|_| buffers.has_grad() && self.spec.counts_steps) {
                    if state.step_count() >= MAX_STEP {
                        return Err(StepError::StepLimit { param, step: state.step_count() as f64 });
                    }
                }
            }
        }
        if skip_non_finite {
            for (param, slot) in self.slots.iter().enumerate() {
                if slot.param.borrow().grad_values().is_some_and(|grad| !all_finite(grad)) {
                    return Ok(Stepped::SkippedNonFinite { param });
                }
            }
        }
        if let Err(error) =
            self.allocate_pending(false).and_then(|()| self.reserve_workspace()).and_then(|()| self.reserve_tasks())
        {
            self.pending = Vec::new();
            return Err(error);
        }
        // Phase 2: install what phase 1 allocated, then update; nothing here can fail (but a
        // worker thread can die).
        self.install_pending();
        self.algorithm.update(self)?;
        Ok(Stepped::All)
    }

    /// Decides whether this step is split across threads ([`Self::split`]): an element-wise
    /// algorithm, more than one thread, and at least [`MIN_PARALLEL_ELEMENTS`] elements with a
    /// gradient. If so, makes room for one task per parameter (it only grows).
    #[cfg(feature = "threads")]
    fn reserve_tasks(&mut self) -> Result<(), StepError> {
        self.split = false;
        if !self.algorithm.splits_by_element() || parallel::usable(self.threads) < 2 {
            return Ok(());
        }
        let (mut count, mut elements) = (0, 0);
        for slot in &self.slots {
            if let Some(grad) = slot.param.borrow().grad_values() {
                count += 1;
                elements += grad.len();
            }
        }
        if elements < MIN_PARALLEL_ELEMENTS {
            return Ok(());
        }
        if count > self.tasks.capacity() {
            reserve_admitted(&mut self.tasks, count, &self.policy)
                .map_err(|error| StepError::OutOfMemory { param: None, error })?;
        }
        self.split = true;
        Ok(())
    }

    /// Without the `threads` feature (the single-thread `.wasm`) no step is split, and none of the
    /// splitting is compiled.
    #[cfg(not(feature = "threads"))]
    #[allow(clippy::unnecessary_wraps)] // the same signature as with the feature
    fn reserve_tasks(&mut self) -> Result<(), StepError> {
        Ok(())
    }

    /// Fills `pending` with the state this step creates: first steps, and buffers a row started
    /// using since; or, for [`Self::create_states`] (`every_param`), the state of every parameter
    /// that has none, gradient or not.
    fn allocate_pending(&mut self, every_param: bool) -> Result<(), StepError> {
        let spec = self.spec;
        for group in 0..self.group_ends.len() {
            // Borrowing the fields, not `self`: `pending` grows below.
            let row = &self.hyper_table[group * self.row_len..(group + 1) * self.row_len]; // checked by the caller
            let defaults = if self.defaults.is_empty() { row } else { &self.defaults };
            let by_rank = spec.buffers_by_rank(row);
            for param in self.group_range(group) {
                let slot = &self.slots[param];
                let buffers = slot.param.borrow();
                if !every_param && !buffers.has_grad() {
                    continue;
                }
                let dims = buffers.dims();
                let used = by_rank.of(dims.ndim);
                let keeps_state = spec.counts_steps || used != 0;
                let (new_state, missing): (bool, BufferMask) = match &slot.state {
                    None if keeps_state => (true, used),
                    None => continue,
                    Some(_) if every_param => continue,
                    Some(state) => (false, used & !state.present()),
                };
                if !new_state && missing == 0 {
                    continue;
                }
                let buffers = new_buffers(spec, row, defaults, (buffers.len(), dims), missing, &self.policy)
                    .map_err(|error| StepError::OutOfMemory { param: Some(param), error })?;
                reserve_admitted(&mut self.pending, 1, &self.policy)
                    .map_err(|error| StepError::OutOfMemory { param: None, error })?;
                self.pending.push(Pending { slot: param, group, new_state, buffers });
            }
        }
        Ok(())
    }

    /// Makes the workspace as long as the largest that a parameter with a gradient needs this step
    /// ([`Algorithm::workspace_len`]: Muon's Newton–Schulz matrices; none for element-wise
    /// algorithms). It only grows, so that steps after the first allocate nothing.
    fn reserve_workspace(&mut self) -> Result<(), StepError> {
        // Element-wise algorithms need none: no pass over the parameters for them.
        if !self.algorithm.needs_workspace() {
            return Ok(());
        }
        let mut needed = 0;
        for group in 0..self.group_ends.len() {
            let row = self.row(group);
            for param in self.group_range(group) {
                let buffers = self.slots[param].param.borrow();
                if let Some(grad) = buffers.grad_values() {
                    needed = needed.max(self.algorithm.workspace_len(row, buffers.dims(), grad.len()));
                }
            }
        }
        if needed > self.workspace.len() {
            self.workspace =
                zeros_admitted(needed, &self.policy).map_err(|error| StepError::OutOfMemory { param: None, error })?;
        }
        Ok(())
    }

    /// Installs what [`Self::allocate_pending`] allocated. Cannot fail.
    fn install_pending(&mut self) {
        for Pending { slot, group, new_state, buffers } in std::mem::take(&mut self.pending) {
            let row = &self.hyper_table[group * self.row_len..(group + 1) * self.row_len];
            let state = &mut self.slots[slot].state;
            if new_state {
                *state = Some(ParamState::new(self.spec, row));
            }
            state.as_mut().expect("created above or earlier").install(buffers);
        }
    }

    fn group_range(&self, group: usize) -> core::ops::Range<usize> {
        let start = if group == 0 { 0 } else { self.group_ends[group - 1] };
        start..self.group_ends[group]
    }
}

/// Phase 2 of [`Optimizer::step`] for algorithm `A`: every parameter with a gradient, group by
/// group, through `A::step`. Rows were checked and state allocated in phase 1. Split across
/// threads when phase 1 decided so ([`update_split`]).
pub(crate) fn update<A: Algorithm, M: MemoryPolicy>(opt: &mut Optimizer<M>) -> Result<(), StepError> {
    #[cfg(feature = "threads")]
    if A::SPLITS_BY_ELEMENT && opt.split {
        return update_split::<A, M>(opt);
    }
    let mut memo = A::Memo::default();
    // What a parameter without state (SGD without momentum) is handed as its scalars.
    let mut no_scalars = Scalars::default();
    for group in 0..opt.group_ends.len() {
        let row = &opt.hyper_table[group * opt.row_len..(group + 1) * opt.row_len];
        let hyper = A::Hyperparameters::from_row(row);
        let counts_steps = opt.spec.counts_steps;
        let by_rank = opt.spec.buffers_by_rank(row);
        A::begin_group(&mut memo);
        let range = opt.group_range(group);
        for slot in &mut opt.slots[range] {
            let mut buffers = slot.param.borrow_mut();
            let dims = buffers.dims();
            let used = by_rank.of(dims.ndim);
            let (param, Some(grad), indices) = buffers.data_and_grad() else { continue };
            let view = match slot.state.as_mut() {
                Some(state) => state.begin_step(counts_steps, used),
                None => StepView::stateless(&mut no_scalars),
            };
            let target = Target::new((param, grad, indices), dims, view, &mut opt.workspace);
            A::step(&hyper, &mut memo, target, opt.kernel);
        }
    }
    Ok(())
}

#[cfg(feature = "threads")]
/// One parameter of a step split across threads: what [`update`] hands `A::step`, as addresses,
/// so that any thread can step any range of its elements.
struct Task {
    group: usize,
    param: *mut f32,
    grad: *const f32,
    len: usize,
    /// The buffers in use (null: not in use), each `len` long.
    buffers: [*mut f32; MAX_BUFFERS],
    step: u64,
    fresh: BufferMask,
    dims: Dims,
    /// The state's scalars (null: no state), written by the chunk that starts the parameter;
    /// every other chunk steps with a copy of them as they were before the step.
    scalars: *mut Scalars,
    scalars_before: Scalars,
    /// The number of its first chunk, counted over every task before it.
    first_chunk: usize,
}

#[cfg(feature = "threads")]
// SAFETY: a task's addresses are of buffers that stay put for the whole phase 2 (nothing
// allocates or frees in it), and the chunks of a task are disjoint ranges of them, each stepped by
// one thread; its scalars are written by one chunk only.
unsafe impl Send for Task {}
#[cfg(feature = "threads")]
unsafe impl Sync for Task {}

#[cfg(feature = "threads")]
/// [`update`] across threads: on the calling thread, the work that is per parameter (advancing
/// step counts, taking each state's view, in the same order as [`update`]), then the chunks
/// ([`parallel::CHUNK`] elements of one parameter each) by whichever thread claims them.
fn update_split<A: Algorithm, M: MemoryPolicy>(opt: &mut Optimizer<M>) -> Result<(), StepError> {
    let counts_steps = opt.spec.counts_steps;
    let mut tasks = std::mem::take(&mut opt.tasks);
    tasks.clear();
    let mut chunks = 0;
    for group in 0..opt.group_ends.len() {
        let row = &opt.hyper_table[group * opt.row_len..(group + 1) * opt.row_len];
        let by_rank = opt.spec.buffers_by_rank(row);
        let range = opt.group_range(group);
        for slot in &mut opt.slots[range] {
            let mut buffers = slot.param.borrow_mut();
            let dims = buffers.dims();
            let used = by_rank.of(dims.ndim);
            let (param, Some(grad), _) = buffers.data_and_grad() else { continue };
            let (len, param, grad) = (param.len(), param.as_mut_ptr(), grad.as_ptr());
            let mut task = Task {
                group,
                param,
                grad,
                len,
                buffers: [core::ptr::null_mut(); MAX_BUFFERS],
                step: 0,
                fresh: 0,
                dims,
                scalars: core::ptr::null_mut(),
                scalars_before: Scalars::default(),
                first_chunk: chunks,
            };
            if let Some(state) = slot.state.as_mut() {
                let view = state.begin_step(counts_steps, used);
                task.step = view.step;
                task.fresh = view.fresh;
                task.buffers = view.buffers.map(|b| b.map_or(core::ptr::null_mut(), <[f32]>::as_mut_ptr));
                task.scalars_before = *view.scalars;
                task.scalars = view.scalars;
            }
            // At least one chunk: a parameter of no elements still writes its scalars.
            chunks += len.div_ceil(CHUNK).max(1);
            tasks.push(task); // within the capacity phase 1 reserved
        }
    }
    let claims = Claims::new(chunks);
    let (hyper_table, row_len, kernel) = (&opt.hyper_table[..], opt.row_len, opt.kernel);
    let tasks_ref = &tasks[..];
    let job = || {
        let mut memo = A::Memo::default();
        let mut hyper: Option<(usize, A::Hyperparameters)> = None;
        let mut t = 0;
        while let Some(chunk) = claims.claim() {
            // Each thread's claims only increase: its cursor only moves forward.
            while t + 1 < tasks_ref.len() && tasks_ref[t + 1].first_chunk <= chunk {
                t += 1;
            }
            let task = &tasks_ref[t];
            if !matches!(hyper, Some((group, _)) if group == task.group) {
                let row = &hyper_table[task.group * row_len..(task.group + 1) * row_len];
                hyper = Some((task.group, A::Hyperparameters::from_row(row)));
                A::begin_group(&mut memo);
            }
            let Some((_, hyper)) = hyper.as_ref() else { unreachable!() };
            let start = (chunk - task.first_chunk) * CHUNK;
            let end = (start + CHUNK).min(task.len);
            let mut scalars_copy = task.scalars_before;
            // SAFETY: see `Task`: [start, end) is this chunk's own range of every buffer, and only
            // the chunk at 0 writes the state's scalars.
            let target = unsafe {
                Target {
                    param: core::slice::from_raw_parts_mut(task.param.add(start), end - start),
                    grad: core::slice::from_raw_parts(task.grad.add(start), end - start),
                    indices: None,
                    dims: task.dims,
                    step: task.step,
                    scalars: if start == 0 && !task.scalars.is_null() { &mut *task.scalars } else { &mut scalars_copy },
                    buffers: task
                        .buffers
                        .map(|b| (!b.is_null()).then(|| core::slice::from_raw_parts_mut(b.add(start), end - start))),
                    fresh: task.fresh,
                    workspace: &mut [],
                }
            };
            A::step(hyper, &mut memo, target, kernel);
        }
    };
    let result = parallel::run(parallel::usable(opt.threads), &job);
    tasks.clear();
    opt.tasks = tasks;
    result.map_err(|WorkerDied| StepError::WorkerDied)
}

#[cfg(test)]
mod tests;
