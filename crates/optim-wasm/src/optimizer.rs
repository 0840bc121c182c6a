//! `RawOptimizer`: optim-core's optimizer for any algorithm, with its hyperparameter table and
//! state in linear memory.

use optim_core::kernel::Kernel;
use optim_core::{Optimizer, ParamState, Stepped};
use wasm_bindgen::prelude::*;

use crate::error::RawError;
use crate::memory::Headroom;
use crate::parameter::RawParameter;
use crate::spec::algorithm;

/// What [`RawOptimizer::step`] did. A plain number crosses the boundary (not a `Result`, which
/// wasm-bindgen hands over as a fresh array), so that a step allocates nothing in JavaScript.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// Every parameter with a gradient stepped.
    Stepped = 0,
    /// The non-finite guard skipped the step, changing nothing; see [`RawOptimizer::skipped_param`].
    Skipped = 1,
    /// Nothing changed; [`RawOptimizer::take_error`] says why.
    Failed = 2,
}

/// The most steps a parameter's state can count (2^53 - 1); a step past it is refused.
#[wasm_bindgen(js_name = maxStep)]
pub fn max_step() -> f64 {
    optim_core::MAX_STEP as f64
}

fn buffer_ptr(state: Option<&ParamState>, buffer: usize) -> usize {
    state.and_then(|s| s.buffer(buffer)).map_or(0, |b| b.as_ptr() as usize)
}

/// An optimizer over parameter groups for one algorithm, stepping all of them in one call.
///
/// Hyperparameters live in a table in linear memory ([`RawOptimizer::hyper_ptr`], `rowLen` f64
/// per group, laid out as the algorithm's `RawSpec` says) that JavaScript writes before calling
/// [`RawOptimizer::step`], which checks every row.
#[wasm_bindgen]
pub struct RawOptimizer {
    optimizer: Optimizer<Headroom>,
    skipped_param: Option<usize>,
    last_error: Option<RawError>,
}

impl RawOptimizer {
    /// The optimizer itself (for the exports of other modules).
    #[cfg(feature = "threads")]
    pub(crate) fn optimizer(&self) -> &Optimizer<Headroom> {
        &self.optimizer
    }
}

#[wasm_bindgen]
impl RawOptimizer {
    /// An optimizer for the algorithm at `algorithm` (`algorithmIndex`) with no groups.
    #[wasm_bindgen(constructor)]
    pub fn new(algorithm: u8) -> RawOptimizer {
        RawOptimizer { optimizer: Optimizer::new(self::algorithm(algorithm), Headroom), skipped_param: None, last_error: None }
    }

    /// Appends an empty group with room for `params` parameters and returns its index; the next
    /// `params` calls of [`Self::add_param`] cannot fail. Moves the hyperparameter table: fetch
    /// [`Self::hyper_ptr`] again afterwards.
    #[wasm_bindgen(js_name = addGroup)]
    pub fn add_group(&mut self, params: usize) -> Result<usize, RawError> {
        Ok(self.optimizer.add_group(params)?)
    }

    /// Appends `param` to group `group`, sharing its buffers; later groups' parameters move one
    /// index up (see optim-core's `Optimizer::push_param`). First makes room for `reserve`
    /// parameters, this one included (`Optimizer::reserve_params`), so that the next `reserve - 1`
    /// calls cannot fail: JavaScript adding n parameters passes n with the first and 0 with the
    /// others, so that a refused allocation adds none of them. No group `group` is an `OutOfRange`
    /// error (`value`: the group), after the room was made: JavaScript checks the group first.
    #[wasm_bindgen(js_name = addParam)]
    pub fn add_param(&mut self, param: &RawParameter, group: usize, reserve: usize) -> Result<(), RawError> {
        Ok(self.optimizer.reserve_params(reserve).and_then(|()| self.optimizer.push_param(group, &param.buffers))?)
    }

    /// Sets the optimizer's defaults (torch's `self.defaults`: the constructor's options, as a
    /// row), which some buffers start from whatever their group says (Adagrad's `sum`).
    #[wasm_bindgen(js_name = setDefaults)]
    pub fn set_defaults(&mut self, row: &[f64]) -> Result<(), RawError> {
        if row.len() != self.optimizer.algorithm().spec().row_len() {
            return Err(RawError::out_of_range(row.len() as f64));
        }
        Ok(self.optimizer.set_defaults(row)?)
    }

    /// Creates the state of every parameter that has none (torch's Adagrad does in its
    /// constructor), from the rows in the table; all or nothing.
    #[wasm_bindgen(js_name = createStates)]
    pub fn create_states(&mut self) -> Result<(), RawError> {
        Ok(self.optimizer.create_states()?)
    }

    /// Byte address of the hyperparameter table.
    #[wasm_bindgen(js_name = hyperPtr)]
    pub fn hyper_ptr(&self) -> usize {
        self.optimizer.hyper_table().as_ptr() as usize
    }

    /// Steps with the scalar reference kernel instead of the SIMD one (for tests and benchmarks);
    /// false, changing nothing, in a build without it (the shipped one: only
    /// `scripts/build-wasm.sh reference` has it).
    #[wasm_bindgen(js_name = setReferenceKernel)]
    pub fn set_reference_kernel(&mut self, on: bool) -> bool {
        #[cfg(feature = "reference-kernel")]
        if on {
            self.optimizer.set_kernel(Kernel::Reference);
            return true;
        }
        self.optimizer.set_kernel(Kernel::Simd);
        !on
    }

    /// One step of every parameter that has a gradient, in every group, or nothing at all (see
    /// optim-core's `Optimizer::step`). Forgets the previous step's error and skipped parameter.
    pub fn step(&mut self, skip_non_finite: bool) -> StepOutcome {
        self.skipped_param = None;
        self.last_error = None;
        match self.optimizer.step(skip_non_finite) {
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
        self.optimizer.param_count()
    }

    /// The step count of parameter `index` (across groups; 0 for algorithms that count none), or
    /// `undefined` if it has no state.
    #[wasm_bindgen(js_name = stateStep)]
    pub fn state_step(&self, index: usize) -> Option<f64> {
        self.optimizer.state(index).map(|s| s.step_count() as f64)
    }

    /// State scalar `scalar` (its index in the spec) of parameter `index`, or `undefined` if it
    /// has no state.
    #[wasm_bindgen(js_name = stateScalar)]
    pub fn state_scalar(&self, index: usize, scalar: usize) -> Option<f32> {
        self.optimizer.state(index).and_then(|s| s.scalars().get(scalar).copied())
    }

    /// Byte address of parameter `index`'s state buffer `buffer` (its index in the spec), or 0
    /// if it has no state or no such buffer.
    #[wasm_bindgen(js_name = statePtr)]
    pub fn state_ptr(&self, index: usize, buffer: usize) -> usize {
        buffer_ptr(self.optimizer.state(index), buffer)
    }

    /// Starts loading a state dict: forgets anything staged before.
    #[wasm_bindgen(js_name = beginStaging)]
    pub fn begin_staging(&mut self) -> Result<(), RawError> {
        Ok(self.optimizer.begin_staging()?)
    }

    /// Stages a state for parameter `index` with `step` steps taken and zero-filled buffers for
    /// those in `buffers` (bit `b`: the spec's buffer `b`); JavaScript then copies the saved
    /// values in at [`Self::staged_ptr`].
    #[wasm_bindgen(js_name = stageState)]
    pub fn stage_state(&mut self, index: usize, step: f64, buffers: u8) -> Result<(), RawError> {
        Ok(self.optimizer.stage_state(index, step, buffers)?)
    }

    /// Sets scalar `scalar` of staged state `index` to `value` rounded to `f32` (as
    /// `torch.tensor(value, dtype=torch.float32)` rounds it); false if none is staged.
    #[wasm_bindgen(js_name = setStagedScalar)]
    pub fn set_staged_scalar(&mut self, index: usize, scalar: usize, value: f64) -> bool {
        match self.optimizer.staged_mut(index).and_then(|s| s.scalars_mut().get_mut(scalar)) {
            Some(slot) => {
                *slot = value as f32;
                true
            }
            None => false,
        }
    }

    /// Byte address of staged state `index`'s buffer `buffer` (0 if none is staged, or no such
    /// buffer).
    #[wasm_bindgen(js_name = stagedPtr)]
    pub fn staged_ptr(&mut self, index: usize, buffer: usize) -> usize {
        buffer_ptr(self.optimizer.staged_mut(index).map(|s| &*s), buffer)
    }

    /// Replaces every parameter's state with the staged one. Cannot fail.
    #[wasm_bindgen(js_name = commitStaged)]
    pub fn commit_staged(&mut self) {
        self.optimizer.commit_staged();
    }

    /// Drops anything staged.
    #[wasm_bindgen(js_name = discardStaged)]
    pub fn discard_staged(&mut self) {
        self.optimizer.discard_staged();
    }
}
