//! `RawAdam`: adam-core's optimizer, with its hyperparameter table and state in linear memory.

use adam_core::{Adam, AdamState, Kernel, Stepped, ROW_LEN};
use wasm_bindgen::prelude::*;

use crate::error::RawError;
use crate::memory::Headroom;
use crate::parameter::RawParameter;

/// What [`RawAdam::step`] did. A plain number crosses the boundary (not a `Result`, which
/// wasm-bindgen hands over as a fresh array), so that a step allocates nothing in JavaScript.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// Every parameter with a gradient stepped.
    Stepped = 0,
    /// The non-finite guard skipped the step, changing nothing; see [`RawAdam::skipped_param`].
    Skipped = 1,
    /// Nothing changed; [`RawAdam::take_error`] says why.
    Failed = 2,
}

/// One of a parameter's state buffers.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateBuffer {
    /// `exp_avg`.
    ExpAvg = 0,
    /// `exp_avg_sq`.
    ExpAvgSq = 1,
    /// `max_exp_avg_sq` (AMSGrad).
    MaxExpAvgSq = 2,
}

fn buffer_ptr(state: Option<&AdamState>, buffer: StateBuffer) -> usize {
    let Some(state) = state else { return 0 };
    match buffer {
        StateBuffer::ExpAvg => state.exp_avg.as_ptr() as usize,
        StateBuffer::ExpAvgSq => state.exp_avg_sq.as_ptr() as usize,
        StateBuffer::MaxExpAvgSq => state.max_exp_avg_sq.as_ref().map_or(0, |m| m.as_ptr() as usize),
    }
}

/// f64 slots per group in the hyperparameter table (each field's slot is its `HyperField`).
#[wasm_bindgen(js_name = hyperRowLen)]
pub fn hyper_row_len() -> usize {
    ROW_LEN
}

/// The most steps a parameter's state can count (2^53 - 1); a step past it is refused.
#[wasm_bindgen(js_name = maxStep)]
pub fn max_step() -> f64 {
    adam_core::MAX_STEP as f64
}

/// Adam over parameter groups, stepping all of them in one call.
///
/// Hyperparameters live in a table in linear memory ([`RawAdam::hyper_ptr`]) that JavaScript
/// writes before calling [`RawAdam::step`], which validates every row.
#[wasm_bindgen]
pub struct RawAdam {
    adam: Adam<Headroom>,
    skipped_param: Option<usize>,
    last_error: Option<RawError>,
}

#[wasm_bindgen]
impl RawAdam {
    /// An optimizer with no groups.
    #[wasm_bindgen(constructor)]
    pub fn new() -> RawAdam {
        RawAdam { adam: Adam::new(Headroom), skipped_param: None, last_error: None }
    }

    /// Appends an empty group with room for `params` parameters and returns its index; the next
    /// `params` calls of [`Self::add_param`] cannot fail. Moves the hyperparameter table: fetch
    /// [`Self::hyper_ptr`] again afterwards.
    #[wasm_bindgen(js_name = addGroup)]
    pub fn add_group(&mut self, params: usize) -> Result<usize, RawError> {
        Ok(self.adam.add_group(params)?)
    }

    /// Appends `param` to group `group`, sharing its buffers; later groups' parameters move one
    /// index up (see adam-core's `Adam::push_param`). First makes room for `reserve` parameters,
    /// this one included (adam-core's `Adam::reserve_params`), so that the next `reserve - 1` calls
    /// cannot fail: JavaScript adding n parameters passes n with the first and 0 with the others,
    /// so that a refused allocation adds none of them. (An argument rather than an export of its
    /// own: the `.wasm` has a size budget.) No group `group` is an `OutOfRange` error (`value`: the
    /// group), after the room was made: JavaScript checks the group first.
    #[wasm_bindgen(js_name = addParam)]
    pub fn add_param(&mut self, param: &RawParameter, group: usize, reserve: usize) -> Result<(), RawError> {
        Ok(self.adam.reserve_params(reserve).and_then(|()| self.adam.push_param(group, &param.buffers))?)
    }

    /// Byte address of the hyperparameter table (`hyperRowLen()` f64 per group).
    #[wasm_bindgen(js_name = hyperPtr)]
    pub fn hyper_ptr(&self) -> usize {
        self.adam.hyper_table().as_ptr() as usize
    }

    /// Steps with the scalar reference kernel instead of the SIMD one (for tests and benchmarks).
    #[wasm_bindgen(js_name = setReferenceKernel)]
    pub fn set_reference_kernel(&mut self, on: bool) {
        self.adam.set_kernel(if on { Kernel::Reference } else { Kernel::Simd });
    }

    /// One Adam step of every parameter that has a gradient, in every group, or nothing at all
    /// (see adam-core's `Adam::step`). Forgets the previous step's error and skipped parameter.
    pub fn step(&mut self, skip_non_finite: bool) -> StepOutcome {
        self.skipped_param = None;
        self.last_error = None;
        match self.adam.step(skip_non_finite) {
            Ok(Stepped::All) => StepOutcome::Stepped,
            Ok(Stepped::SkippedNonFinite { param }) => {
                self.skipped_param = Some(param);
                StepOutcome::Skipped
            }
            Err(error) => {
                self.last_error = Some(error.into());
                StepOutcome::Failed
            }
        }
    }

    /// The parameter whose gradient made the last step skip (`undefined` if it did not).
    #[wasm_bindgen(getter, js_name = skippedParam)]
    pub fn skipped_param(&self) -> Option<usize> {
        self.skipped_param
    }

    /// Why the last step failed (and forgets it); `undefined` if it did not.
    #[wasm_bindgen(js_name = takeError)]
    pub fn take_error(&mut self) -> Option<RawError> {
        self.last_error.take()
    }

    /// Number of parameters over all groups.
    #[wasm_bindgen(js_name = paramCount)]
    pub fn param_count(&self) -> usize {
        self.adam.param_count()
    }

    /// The step count of parameter `index` (across groups), or `undefined` if it has no state.
    #[wasm_bindgen(js_name = stateStep)]
    pub fn state_step(&self, index: usize) -> Option<f64> {
        self.adam.state(index).map(|s| s.step_count() as f64)
    }

    /// Byte address of parameter `index`'s `buffer`, or 0 if it has no state (or no such buffer).
    #[wasm_bindgen(js_name = statePtr)]
    pub fn state_ptr(&self, index: usize, buffer: StateBuffer) -> usize {
        buffer_ptr(self.adam.state(index), buffer)
    }

    /// Starts loading a state dict: forgets anything staged before.
    #[wasm_bindgen(js_name = beginStaging)]
    pub fn begin_staging(&mut self) -> Result<(), RawError> {
        Ok(self.adam.begin_staging()?)
    }

    /// Stages zero-filled state for parameter `index` with `step` steps taken; JavaScript then
    /// copies the saved moments in at [`Self::staged_ptrs`].
    #[wasm_bindgen(js_name = stageState)]
    pub fn stage_state(&mut self, index: usize, step: f64, amsgrad: bool) -> Result<(), RawError> {
        Ok(self.adam.stage_state(index, step, amsgrad)?)
    }

    /// Byte address of staged state `index`'s `buffer` (0 if none is staged, or no such buffer).
    #[wasm_bindgen(js_name = stagedPtr)]
    pub fn staged_ptr(&mut self, index: usize, buffer: StateBuffer) -> usize {
        buffer_ptr(self.adam.staged_mut(index).map(|s| &*s), buffer)
    }

    /// Replaces every parameter's state with the staged one. Cannot fail.
    #[wasm_bindgen(js_name = commitStaged)]
    pub fn commit_staged(&mut self) {
        self.adam.commit_staged();
    }

    /// Drops anything staged.
    #[wasm_bindgen(js_name = discardStaged)]
    pub fn discard_staged(&mut self) {
        self.adam.discard_staged();
    }
}

impl Default for RawAdam {
    fn default() -> Self {
        Self::new()
    }
}
