//! The optimizer: parameter groups, per-parameter state, and the one-call step.

use std::cell::RefCell;
use std::rc::Rc;

use adam_core::{try_zeros, AdamState, AllocError, Hyperparameters};
use wasm_bindgen::prelude::*;

use crate::parameter::{ParamBuffers, RawParameter};

/// f64 slots per group in the hyperparameter table:
/// `[lr, beta1, beta2, eps, weight_decay, amsgrad (0|1), maximize (0|1), unused]`.
pub const HYPER_STRIDE: usize = 8;

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
    /// Allocations of the step in progress; empty (and allocation-free) in the steady state.
    pending: Vec<Pending>,
    /// States being loaded by `loadStateDict`, indexed like `slots`, swapped in by `commit_staged`.
    staged: Vec<Option<AdamState>>,
    use_reference_kernel: bool,
}

fn alloc_error(e: AllocError) -> JsError {
    JsError::new(&e.to_string())
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
            use_reference_kernel: false,
        }
    }

    /// Appends an empty group (its hyperparameter row zeroed) and returns its index. Moves the
    /// hyperparameter table: fetch [`Self::hyper_ptr`] again afterwards.
    #[wasm_bindgen(js_name = addGroup)]
    pub fn add_group(&mut self) -> usize {
        self.group_ends.push(self.slots.len());
        self.hyper_table.resize(self.hyper_table.len() + HYPER_STRIDE, 0.0);
        self.group_ends.len() - 1
    }

    /// Appends `param` to the last group. The optimizer shares the parameter's buffers.
    #[wasm_bindgen(js_name = addParam)]
    pub fn add_param(&mut self, param: &RawParameter) -> Result<(), JsError> {
        let Some(end) = self.group_ends.last_mut() else {
            return Err(JsError::new("addParam before addGroup"));
        };
        self.slots.push(Slot { param: Rc::clone(&param.buffers), state: None });
        *end += 1;
        Ok(())
    }

    /// Byte address of the hyperparameter table (`HYPER_STRIDE` f64 per group).
    #[wasm_bindgen(js_name = hyperPtr)]
    pub fn hyper_ptr(&self) -> usize {
        self.hyper_table.as_ptr() as usize
    }

    /// Steps with the scalar reference kernel instead of the SIMD one (for tests and benchmarks).
    #[wasm_bindgen(js_name = setReferenceKernel)]
    pub fn set_reference_kernel(&mut self, on: bool) {
        self.use_reference_kernel = on;
    }

    /// One Adam step of every parameter that has a gradient, in every group.
    ///
    /// Either every parameter steps or, on error (a disposed parameter, an invalid row in the
    /// hyperparameter table, memory exhausted while creating state), nothing changes at all.
    pub fn step(&mut self) -> Result<(), JsError> {
        // Phase 1: everything that can fail, with no visible change.
        self.pending.clear();
        for group in 0..self.group_ends.len() {
            let hyper = self.hyperparameters(group).map_err(|e| JsError::new(&format!("group {group}: {e}")))?;
            for slot_index in self.group_range(group) {
                let slot = &self.slots[slot_index];
                let buffers = slot.param.borrow();
                if buffers.disposed {
                    return Err(JsError::new(&format!("parameter {slot_index} was disposed")));
                }
                if !buffers.has_grad {
                    continue;
                }
                let len = buffers.data.len();
                match &slot.state {
                    None => {
                        let state = AdamState::zeros(len, hyper.amsgrad).map_err(alloc_error)?;
                        self.pending.try_reserve(1).map_err(|_| alloc_error(AllocError { elements: 0 }))?;
                        self.pending.push(Pending::State { slot: slot_index, state });
                    }
                    Some(state) if hyper.amsgrad && state.max_exp_avg_sq.is_none() => {
                        let buffer = try_zeros(len).map_err(alloc_error)?;
                        self.pending.try_reserve(1).map_err(|_| alloc_error(AllocError { elements: 0 }))?;
                        self.pending.push(Pending::MaxExpAvgSq { slot: slot_index, buffer });
                    }
                    Some(_) => {}
                }
            }
        }
        for pending in self.pending.drain(..) {
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
            for slot_index in self.group_range(group) {
                let slot = &mut self.slots[slot_index];
                let buffers = &mut *slot.param.borrow_mut();
                let Some(state) = slot.state.as_mut().filter(|_| buffers.has_grad) else {
                    continue;
                };
                if self.use_reference_kernel {
                    state.step_reference(&hyper, &mut buffers.data, &buffers.grad);
                } else {
                    state.step(&hyper, &mut buffers.data, &buffers.grad);
                }
            }
        }
        Ok(())
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
        self.staged.clear();
        self.staged.try_reserve_exact(self.slots.len()).map_err(|_| alloc_error(AllocError { elements: 0 }))?;
        self.staged.resize_with(self.slots.len(), || None);
        Ok(())
    }

    /// Stages zero-filled state for parameter `index` with `step` steps taken; JavaScript then
    /// copies the saved moments in at the `*_ptr` addresses, which now point at the staged state.
    #[wasm_bindgen(js_name = stageState)]
    pub fn stage_state(&mut self, index: usize, step: f64, amsgrad: bool) -> Result<(), JsError> {
        if index >= self.staged.len() {
            return Err(JsError::new(&format!("stageState: index {index} out of range")));
        }
        if !(step >= 0.0 && step.fract() == 0.0 && step <= 9_007_199_254_740_992.0) {
            return Err(JsError::new(&format!("stageState: step must be a non-negative integer, got {step}")));
        }
        let len = self.slots[index].param.borrow().data.len();
        let zeros = AdamState::zeros(len, amsgrad).map_err(alloc_error)?;
        self.staged[index] =
            Some(AdamState::from_parts(step as u64, zeros.exp_avg, zeros.exp_avg_sq, zeros.max_exp_avg_sq));
        Ok(())
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
        for (slot, staged) in self.slots.iter_mut().zip(self.staged.drain(..)) {
            slot.state = staged;
        }
    }

    /// Drops anything staged.
    #[wasm_bindgen(js_name = discardStaged)]
    pub fn discard_staged(&mut self) {
        self.staged.clear();
    }
}

impl Default for RawAdam {
    fn default() -> Self {
        Self::new()
    }
}

impl RawAdam {
    fn group_range(&self, group: usize) -> std::ops::Range<usize> {
        let start = if group == 0 { 0 } else { self.group_ends[group - 1] };
        start..self.group_ends[group]
    }

    fn state(&self, index: usize) -> Option<&AdamState> {
        self.slots.get(index).and_then(|slot| slot.state.as_ref())
    }

    fn hyperparameters(&self, group: usize) -> Result<Hyperparameters, adam_core::InvalidHyperparameter> {
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
}
