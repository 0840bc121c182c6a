//! Loading a state dict: stage a state for each saved parameter, let the host copy the saved
//! moments in, then swap every parameter's state at once, as PyTorch's `load_state_dict`
//! replaces `optimizer.state` wholesale. Until the swap nothing the optimizer steps with changes,
//! so a load that fails half-way is discarded with nothing changed.

use super::{zeroed_state, Adam, StepError, MAX_STEP};
use crate::memory::{reserve_admitted, MemoryPolicy};
use crate::state::AdamState;

impl<M: MemoryPolicy> Adam<M> {
    /// Starts a load: forgets anything staged before, and makes room to stage every parameter.
    pub fn begin_staging(&mut self) -> Result<(), StepError> {
        self.staged = Vec::new();
        reserve_admitted(&mut self.staged, self.slots.len(), &self.policy)
            .map_err(|error| StepError::OutOfMemory { param: None, error })?;
        self.staged.resize_with(self.slots.len(), || None);
        Ok(())
    }

    /// Stages zeroed state for parameter `index` with `step` steps taken (a float, as hosts and
    /// state dicts carry it); fill it through [`Self::staged_mut`]. An error, staging nothing for
    /// `index`, if the parameter was disposed, `step` is not an integer in `[0, MAX_STEP]`, or
    /// memory is exhausted; or if `index` is not a parameter of a load begun with
    /// [`Self::begin_staging`].
    pub fn stage_state(&mut self, index: usize, step: f64, amsgrad: bool) -> Result<(), StepError> {
        if index >= self.staged.len() {
            return Err(StepError::NoSuchParameter { param: index });
        }
        if !(step >= 0.0 && step.fract() == 0.0 && step <= MAX_STEP as f64) {
            return Err(StepError::StepLimit { param: index, step });
        }
        let buffers = self.slots[index].param.borrow();
        if buffers.is_disposed() {
            return Err(StepError::Disposed { param: index });
        }
        let zeros = zeroed_state(buffers.len(), amsgrad, &self.policy)
            .map_err(|error| StepError::OutOfMemory { param: Some(index), error })?;
        drop(buffers);
        self.staged[index] = Some(AdamState::from_parts(step as u64, zeros.exp_avg, zeros.exp_avg_sq, zeros.max_exp_avg_sq));
        Ok(())
    }

    /// The state staged for parameter `index`, to copy saved moments into.
    pub fn staged_mut(&mut self, index: usize) -> Option<&mut AdamState> {
        self.staged.get_mut(index).and_then(Option::as_mut)
    }

    /// Replaces every parameter's state with the staged one (no state where none was staged) and
    /// ends the load. Cannot fail.
    pub fn commit_staged(&mut self) {
        for (slot, staged) in self.slots.iter_mut().zip(std::mem::take(&mut self.staged)) {
            slot.state = staged;
        }
    }

    /// Drops anything staged, and ends the load.
    pub fn discard_staged(&mut self) {
        self.staged = Vec::new();
    }
}
