//! The optimizer: parameter groups, per-parameter state, and the one-call step.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use adam_core::kernel::finite::all_finite;
use adam_core::{AdamState, Hyperparameters, InvalidHyperparameter, Kernel, ScalarMemo};
use wasm_bindgen::prelude::*;

use crate::memory::{ensure_headroom, js_error, try_buffer, OutOfMemory};
use crate::parameter::{ParamBuffers, RawParameter};

/// f64 slots per group in the hyperparameter table:
/// `[lr, beta1, beta2, eps, weight_decay, amsgrad (0|1), maximize (0|1), unused]`.
pub const HYPER_STRIDE: usize = 8;

/// What [`RawAdam::step`] returns when every parameter stepped (otherwise: the index of the
/// first parameter whose gradient is not finite, when the guard is on).
pub const STEPPED: i32 = -1;

/// What [`RawAdam::step`] returns when it failed and changed nothing;
/// [`RawAdam::throw_last_error`] then throws the reason. A plain number rather than a `Result`,
/// because wasm-bindgen hands a `Result<i32, _>` to JavaScript as a fresh array on every call,
/// and a step must allocate nothing.
pub const STEP_FAILED: i32 = -2;

struct Slot {
    param: Rc<RefCell<ParamBuffers>>,
    state: Option<AdamState>,
}

/// An allocation the next step needs, made before any parameter changes.
enum Pending {
    /// State for a parameter's first step.
    State { slot: usize, state: AdamState },
    /// `max_exp_avg_sq` for a parameter whose group switched AMSGrad on.
    MaxExpAvgSq { slot: usize, buffer: Vec<f32> },
}

/// Why a step or a load did nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StepError {
    /// A group's row in the hyperparameter table is out of range.
    Hyperparameter {
        /// The group's index.
        group: usize,
        /// The field, value and rule.
        error: InvalidHyperparameter,
    },
    /// A parameter was disposed.
    Disposed {
        /// The parameter's index across groups.
        param: usize,
    },
    /// A parameter's optimizer state could not be allocated.
    OutOfMemory {
        /// The parameter's index across groups (`usize::MAX` for bookkeeping).
        param: usize,
        /// What failed.
        error: OutOfMemory,
    },
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hyperparameter { group, error } => write!(f, "group {group}: {error}"),
            Self::Disposed { param } => write!(f, "parameter {param} was disposed"),
            Self::OutOfMemory { param, error } => write!(f, "parameter {param}: {error} of optimizer state"),
        }
    }
}

/// Adam over parameter groups, stepping all of them in one call.
///
/// Hyperparameters live in a table in linear memory ([`RawAdam::hyper_ptr`]) that JavaScript
/// writes before calling [`RawAdam::step`], so a step costs one call however many groups there are.
#[wasm_bindgen]
pub struct RawAdam {
    /// Parameters in the order JavaScript added them; `group_ends[g]` is one past group g's last.
    slots: Vec<Slot>,
    group_ends: Vec<usize>,
    hyper_table: Vec<f64>,
    /// Allocations of the step in progress; empty and unallocated between steps.
    pending: Vec<Pending>,
    /// States being loaded by `loadStateDict`, indexed like `slots`, swapped in by `commit_staged`;
    /// empty and unallocated otherwise.
    staged: Vec<Option<AdamState>>,
    /// The parameter whose state the last failed step or staging could not allocate.
    failed_param: Option<usize>,
    /// Why the last step returned [`STEP_FAILED`].
    last_error: Option<StepError>,
    kernel: Kernel,
}

fn bookkeeping(error: OutOfMemory) -> StepError {
    StepError::OutOfMemory { param: usize::MAX, error }
}

#[wasm_bindgen]
impl RawAdam {
    /// An optimizer with no groups.
    #[wasm_bindgen(constructor)]
    pub fn new() -> RawAdam {
        RawAdam {
            slots: Vec::new(),
            group_ends: Vec::new(),
            hyper_table: Vec::new(),
            pending: Vec::new(),
            staged: Vec::new(),
            failed_param: None,
            last_error: None,
            kernel: Kernel::Simd,
        }
    }

    /// Appends an empty group (its hyperparameter row zeroed) with room for `params` parameters,
    /// and returns its index; the next `params` calls of [`Self::add_param`] cannot fail. Moves
    /// the hyperparameter table: fetch [`Self::hyper_ptr`] again afterwards. An error, changing
    /// nothing, if memory is exhausted.
    #[wasm_bindgen(js_name = addGroup)]
    pub fn add_group(&mut self, params: usize) -> Result<usize, JsError> {
        self.try_add_group(params).map_err(|e| js_error(format_args!("{e}")))
    }

    /// Appends `param` to the last group. The optimizer shares the parameter's buffers. An error,
    /// changing nothing, if there is no group, or if memory is exhausted and [`Self::add_group`]
    /// did not make room for it.
    #[wasm_bindgen(js_name = addParam)]
    pub fn add_param(&mut self, param: &RawParameter) -> Result<(), JsError> {
        if self.group_ends.is_empty() {
            return Err(JsError::new("addParam before addGroup"));
        }
        self.try_add_param(param).map_err(|e| js_error(format_args!("{e}")))
    }

    /// Byte address of the hyperparameter table (`HYPER_STRIDE` f64 per group).
    #[wasm_bindgen(js_name = hyperPtr)]
    pub fn hyper_ptr(&self) -> usize {
        self.hyper_table.as_ptr() as usize
    }

    /// Steps with the scalar reference kernel instead of the SIMD one (for tests and benchmarks).
    #[wasm_bindgen(js_name = setReferenceKernel)]
    pub fn set_reference_kernel(&mut self, on: bool) {
        self.kernel = if on { Kernel::Reference } else { Kernel::Simd };
    }

    /// One Adam step of every parameter that has a gradient, in every group.
    ///
    /// With `skip_non_finite`, first checks every gradient and, if one holds a NaN or an
    /// infinity, skips the whole step and returns that parameter's index (changing nothing).
    /// Otherwise returns [`STEPPED`].
    ///
    /// Either every parameter steps or, on error (a disposed parameter, an invalid row in the
    /// hyperparameter table, memory exhausted while creating state), nothing changes at all and
    /// it returns [`STEP_FAILED`]: [`Self::throw_last_error`] throws the reason, and an
    /// out-of-memory error sets [`Self::failed_param`].
    pub fn step(&mut self, skip_non_finite: bool) -> i32 {
        match self.try_step(skip_non_finite) {
            Ok(None) => STEPPED,
            Ok(Some(param)) => param as i32,
            Err(error) => {
                if let StepError::OutOfMemory { param, .. } = error {
                    self.failed_param = Some(param);
                }
                self.last_error = Some(error);
                STEP_FAILED
            }
        }
    }

    /// Throws (and forgets) why the last [`Self::step`] returned [`STEP_FAILED`]; does nothing if
    /// it did not. The message is formatted without allocating in Rust, so that it can report
    /// exhausted memory.
    #[wasm_bindgen(js_name = throwLastError)]
    pub fn throw_last_error(&mut self) -> Result<(), JsError> {
        match self.last_error.take() {
            Some(error) => Err(js_error(format_args!("{error}"))),
            None => Ok(()),
        }
    }

    /// The parameter whose state the last failed [`Self::step`] or [`Self::stage_state`] could not
    /// allocate (`undefined` if none, or if bookkeeping failed).
    #[wasm_bindgen(getter, js_name = failedParam)]
    pub fn failed_param(&self) -> Option<usize> {
        self.failed_param.filter(|&p| p != usize::MAX)
    }

    /// Number of parameters over all groups.
    #[wasm_bindgen(js_name = paramCount)]
    pub fn param_count(&self) -> usize {
        self.slots.len()
    }

    /// The step count of parameter `index` (across groups), or `undefined` if it has no state.
    #[wasm_bindgen(js_name = stateStep)]
    pub fn state_step(&self, index: usize) -> Option<f64> {
        self.state(index).map(|s| s.step_count() as f64)
    }

    /// Byte address of parameter `index`'s `exp_avg`, or 0 if it has no state.
    #[wasm_bindgen(js_name = expAvgPtr)]
    pub fn exp_avg_ptr(&self, index: usize) -> usize {
        self.state(index).map_or(0, |s| s.exp_avg.as_ptr() as usize)
    }

    /// Byte address of parameter `index`'s `exp_avg_sq`, or 0 if it has no state.
    #[wasm_bindgen(js_name = expAvgSqPtr)]
    pub fn exp_avg_sq_ptr(&self, index: usize) -> usize {
        self.state(index).map_or(0, |s| s.exp_avg_sq.as_ptr() as usize)
    }

    /// Byte address of parameter `index`'s `max_exp_avg_sq`, or 0 if it has none.
    #[wasm_bindgen(js_name = maxExpAvgSqPtr)]
    pub fn max_exp_avg_sq_ptr(&self, index: usize) -> usize {
        self.state(index).and_then(|s| s.max_exp_avg_sq.as_ref()).map_or(0, |m| m.as_ptr() as usize)
    }

    /// Starts loading a state dict: forgets anything staged before.
    #[wasm_bindgen(js_name = beginStaging)]
    pub fn begin_staging(&mut self) -> Result<(), JsError> {
        self.try_begin_staging().map_err(|e| js_error(format_args!("{e}")))
    }

    /// Stages zero-filled state for parameter `index` with `step` steps taken; JavaScript then
    /// copies the saved moments in at the `*_ptr` addresses, which now point at the staged state.
    /// An error, staging nothing for `index`, if the parameter was disposed or memory is exhausted.
    #[wasm_bindgen(js_name = stageState)]
    pub fn stage_state(&mut self, index: usize, step: f64, amsgrad: bool) -> Result<(), JsError> {
        if index >= self.staged.len() {
            return Err(js_error(format_args!("stageState: index {index} out of range")));
        }
        if !(step >= 0.0 && step.fract() == 0.0 && step <= 9_007_199_254_740_992.0) {
            return Err(js_error(format_args!("stageState: step must be a non-negative integer, got {step}")));
        }
        self.try_stage_state(index, step as u64, amsgrad).map_err(|error| {
            if let StepError::OutOfMemory { param, .. } = error {
                self.failed_param = Some(param);
            }
            js_error(format_args!("{error}"))
        })
    }

    /// Byte addresses `[exp_avg, exp_avg_sq, max_exp_avg_sq or 0]` of staged state `index`.
    #[wasm_bindgen(js_name = stagedPtrs)]
    pub fn staged_ptrs(&self, index: usize) -> Vec<usize> {
        match self.staged.get(index).and_then(Option::as_ref) {
            Some(s) => vec![
                s.exp_avg.as_ptr() as usize,
                s.exp_avg_sq.as_ptr() as usize,
                s.max_exp_avg_sq.as_ref().map_or(0, |m| m.as_ptr() as usize),
            ],
            None => vec![0, 0, 0],
        }
    }

    /// Replaces every parameter's state with the staged one (no state where none was staged), as
    /// PyTorch's `load_state_dict` replaces `optimizer.state` wholesale. Cannot fail.
    #[wasm_bindgen(js_name = commitStaged)]
    pub fn commit_staged(&mut self) {
        for (slot, staged) in self.slots.iter_mut().zip(std::mem::take(&mut self.staged)) {
            slot.state = staged;
        }
    }

    /// Drops anything staged, and the staging list itself.
    #[wasm_bindgen(js_name = discardStaged)]
    pub fn discard_staged(&mut self) {
        self.staged = Vec::new();
    }
}

impl Default for RawAdam {
    fn default() -> Self {
        Self::new()
    }
}

impl RawAdam {
    /// [`Self::add_group`] for Rust callers.
    pub fn try_add_group(&mut self, params: usize) -> Result<usize, OutOfMemory> {
        let table_bytes = (self.hyper_table.len() + HYPER_STRIDE) * 8;
        let slot_bytes = (self.slots.len() + params).saturating_mul(std::mem::size_of::<Slot>());
        self.group_ends.try_reserve(1).map_err(|_| OutOfMemory { bytes: 8 })?;
        self.hyper_table.try_reserve(HYPER_STRIDE).map_err(|_| OutOfMemory { bytes: table_bytes })?;
        self.slots.try_reserve(params).map_err(|_| OutOfMemory { bytes: slot_bytes })?;
        ensure_headroom()?;
        // Both within the capacity reserved above: neither allocates.
        self.group_ends.push(self.slots.len());
        self.hyper_table.resize(self.hyper_table.len() + HYPER_STRIDE, 0.0);
        Ok(self.group_ends.len() - 1)
    }

    /// [`Self::add_param`] for Rust callers. Panics if there is no group.
    pub fn try_add_param(&mut self, param: &RawParameter) -> Result<(), OutOfMemory> {
        // A no-op when `try_add_group` made room.
        self.slots.try_reserve(1).map_err(|_| OutOfMemory { bytes: std::mem::size_of::<Slot>() })?;
        self.slots.push(Slot { param: Rc::clone(&param.buffers), state: None });
        *self.group_ends.last_mut().expect("addParam before addGroup") += 1;
        Ok(())
    }

    /// [`Self::step`] for Rust callers: `Ok(None)` when it stepped, `Ok(Some(index))` when the
    /// guard skipped it because parameter `index`'s gradient is not finite.
    pub fn try_step(&mut self, skip_non_finite: bool) -> Result<Option<usize>, StepError> {
        // Phase 1: everything that can fail or skip, with no visible change. First the cheap
        // checks, then (opt-in) the gradients, then allocations, so that a refused or skipped
        // step neither allocates nor grows memory.
        for group in 0..self.group_ends.len() {
            self.hyperparameters(group).map_err(|error| StepError::Hyperparameter { group, error })?;
            for param in self.group_range(group) {
                if self.slots[param].param.borrow().disposed {
                    return Err(StepError::Disposed { param });
                }
            }
        }
        if skip_non_finite {
            for (param, slot) in self.slots.iter().enumerate() {
                let buffers = slot.param.borrow();
                if buffers.has_grad && !all_finite(&buffers.grad) {
                    return Ok(Some(param));
                }
            }
        }
        // `pending` holds no allocation between steps (first steps are rare), so that a step that
        // fails leaves even the allocator's counters exactly as they were.
        if let Err(error) = self.allocate_pending() {
            self.pending = Vec::new();
            return Err(error);
        }
        for pending in std::mem::take(&mut self.pending) {
            match pending {
                Pending::State { slot, state } => self.slots[slot].state = Some(state),
                Pending::MaxExpAvgSq { slot, buffer } => {
                    if let Some(state) = self.slots[slot].state.as_mut() {
                        state.max_exp_avg_sq = Some(buffer);
                    }
                }
            }
        }
        // Phase 2: the update itself, which cannot fail.
        for group in 0..self.group_ends.len() {
            let hyper = self.hyperparameters(group).expect("validated in phase 1");
            let mut memo = ScalarMemo::new(&hyper);
            for slot_index in self.group_range(group) {
                let slot = &mut self.slots[slot_index];
                let buffers = &mut *slot.param.borrow_mut();
                let Some(state) = slot.state.as_mut().filter(|_| buffers.has_grad) else {
                    continue;
                };
                state.step_in_group(&mut memo, &mut buffers.data, &buffers.grad, self.kernel);
            }
        }
        Ok(None)
    }

    /// Fills `pending` with the state this step creates (first steps, AMSGrad switched on).
    fn allocate_pending(&mut self) -> Result<(), StepError> {
        for group in 0..self.group_ends.len() {
            let amsgrad = self.hyperparameters(group).expect("validated by the caller").amsgrad;
            for param in self.group_range(group) {
                let slot = &self.slots[param];
                let buffers = slot.param.borrow();
                if !buffers.has_grad {
                    continue;
                }
                let len = buffers.data.len();
                let oom = |error| StepError::OutOfMemory { param, error };
                let pending = match &slot.state {
                    None => Pending::State { slot: param, state: zeroed_state(len, amsgrad).map_err(oom)? },
                    Some(state) if amsgrad && state.max_exp_avg_sq.is_none() => {
                        Pending::MaxExpAvgSq { slot: param, buffer: try_buffer(len).map_err(oom)? }
                    }
                    Some(_) => continue,
                };
                self.pending.try_reserve(1).map_err(|_| bookkeeping(OutOfMemory { bytes: 64 }))?;
                self.pending.push(pending);
            }
        }
        Ok(())
    }

    /// [`Self::begin_staging`] for Rust callers.
    pub fn try_begin_staging(&mut self) -> Result<(), StepError> {
        self.staged = Vec::new();
        let bytes = self.slots.len() * std::mem::size_of::<Option<AdamState>>();
        self.staged.try_reserve_exact(self.slots.len()).map_err(|_| bookkeeping(OutOfMemory { bytes }))?;
        self.staged.resize_with(self.slots.len(), || None);
        Ok(())
    }

    /// [`Self::stage_state`] for Rust callers. Panics if `index` is out of range.
    pub fn try_stage_state(&mut self, index: usize, step: u64, amsgrad: bool) -> Result<(), StepError> {
        let buffers = self.slots[index].param.borrow();
        if buffers.disposed {
            return Err(StepError::Disposed { param: index });
        }
        let zeros = zeroed_state(buffers.data.len(), amsgrad).map_err(|error| StepError::OutOfMemory { param: index, error })?;
        drop(buffers);
        self.staged[index] = Some(AdamState::from_parts(step, zeros.exp_avg, zeros.exp_avg_sq, zeros.max_exp_avg_sq));
        Ok(())
    }

    /// The state of parameter `index`, if it has any.
    pub fn state(&self, index: usize) -> Option<&AdamState> {
        self.slots.get(index).and_then(|slot| slot.state.as_ref())
    }

    fn group_range(&self, group: usize) -> std::ops::Range<usize> {
        let start = if group == 0 { 0 } else { self.group_ends[group - 1] };
        start..self.group_ends[group]
    }

    /// Group `group`'s hyperparameters, as JavaScript wrote them into the table.
    fn hyperparameters(&self, group: usize) -> Result<Hyperparameters, InvalidHyperparameter> {
        let row = &self.hyper_table[group * HYPER_STRIDE..(group + 1) * HYPER_STRIDE];
        let hyper = Hyperparameters {
            lr: row[0],
            betas: (row[1], row[2]),
            eps: row[3],
            weight_decay: row[4],
            amsgrad: row[5] != 0.0,
            maximize: row[6] != 0.0,
        };
        hyper.validate().map(|()| hyper)
    }

    /// Writes group `group`'s row of the hyperparameter table (what JavaScript does through
    /// [`Self::hyper_ptr`]); for Rust callers and tests.
    pub fn set_hyperparameters(&mut self, group: usize, hyper: &Hyperparameters) {
        let row = &mut self.hyper_table[group * HYPER_STRIDE..(group + 1) * HYPER_STRIDE];
        row[..7].copy_from_slice(&[
            hyper.lr,
            hyper.betas.0,
            hyper.betas.1,
            hyper.eps,
            hyper.weight_decay,
            f64::from(u8::from(hyper.amsgrad)),
            f64::from(u8::from(hyper.maximize)),
        ]);
    }
}

/// Zeroed state for a parameter of `len` elements, leaving the headroom allocatable.
fn zeroed_state(len: usize, amsgrad: bool) -> Result<AdamState, OutOfMemory> {
    let bytes = len.saturating_mul(if amsgrad { 12 } else { 8 });
    let state = AdamState::zeros(len, amsgrad).map_err(|_| OutOfMemory { bytes })?;
    ensure_headroom().map_err(|_| OutOfMemory { bytes })?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(values: &[f32], grad: Option<&[f32]>) -> RawParameter {
        let p = RawParameter::try_new(values.len()).unwrap();
        p.buffers.borrow_mut().data.copy_from_slice(values);
        if let Some(grad) = grad {
            p.try_grad_ptr().unwrap();
            p.buffers.borrow_mut().grad.copy_from_slice(grad);
            p.buffers.borrow_mut().has_grad = true;
        }
        p
    }

    fn optimizer(params: &[&RawParameter]) -> RawAdam {
        let mut adam = RawAdam::new();
        adam.try_add_group(params.len()).unwrap();
        adam.set_hyperparameters(0, &Hyperparameters { lr: 0.1, ..Hyperparameters::default() });
        for p in params {
            adam.try_add_param(p).unwrap();
        }
        adam
    }

    #[test]
    fn the_guard_skips_a_step_with_any_non_finite_gradient_and_changes_nothing() {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let a = param(&[1.0, 2.0], Some(&[0.5, 0.5]));
            let b = param(&[3.0; 9], Some(&[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, bad]));
            let mut adam = optimizer(&[&a, &b]);
            assert_eq!(adam.try_step(true), Ok(Some(1)), "{bad}");
            assert_eq!(a.buffers.borrow().data, [1.0, 2.0]);
            assert_eq!(b.buffers.borrow().data, [3.0; 9]);
            assert!(adam.state(0).is_none() && adam.state(1).is_none(), "no state created");
            // Without the guard, NaN propagates as in PyTorch.
            assert_eq!(adam.try_step(false), Ok(None));
            assert!(b.buffers.borrow().data[8].is_nan());
            assert_eq!(adam.state(0).unwrap().step_count(), 1);
        }
    }

    #[test]
    fn the_guard_ignores_parameters_without_a_gradient() {
        let a = param(&[1.0], Some(&[0.5]));
        let b = param(&[1.0], None);
        b.try_grad_ptr().unwrap();
        b.buffers.borrow_mut().grad[0] = f32::NAN; // a stale buffer behind `grad = null`
        let mut adam = optimizer(&[&a, &b]);
        assert_eq!(adam.try_step(true), Ok(None));
        assert_eq!(adam.state(0).unwrap().step_count(), 1);
        assert!(adam.state(1).is_none());
    }

    #[test]
    fn a_disposed_parameter_or_bad_row_refuses_the_step_before_anything_changes() {
        let a = param(&[1.0], Some(&[0.5]));
        let b = param(&[1.0], Some(&[0.5]));
        let mut adam = optimizer(&[&a, &b]);
        b.dispose();
        assert_eq!(adam.try_step(false), Err(StepError::Disposed { param: 1 }));
        assert_eq!(a.buffers.borrow().data, [1.0]);
        assert!(adam.state(0).is_none());

        let c = param(&[1.0], Some(&[0.5]));
        let mut adam = optimizer(&[&c]);
        adam.set_hyperparameters(0, &Hyperparameters { betas: (0.9, 1.0), ..Hyperparameters::default() });
        assert!(matches!(adam.try_step(false), Err(StepError::Hyperparameter { group: 0, .. })));
        assert_eq!(c.buffers.borrow().data, [1.0]);
        assert!(adam.state(0).is_none());
    }

    #[test]
    fn staging_refuses_a_disposed_parameter() {
        let a = param(&[1.0, 2.0], None);
        let mut adam = optimizer(&[&a]);
        a.dispose();
        adam.try_begin_staging().unwrap();
        assert_eq!(adam.try_stage_state(0, 3, false), Err(StepError::Disposed { param: 0 }));
    }
}
