//! Loading a state dict: stage a state for each saved parameter, let the host copy the saved
//! buffers in, then swap every parameter's state at once, as torch's `load_state_dict` replaces
//! `optimizer.state` wholesale. Until the swap nothing the optimizer steps with changes, so a
//! load that fails half-way is discarded with nothing changed.

use super::{zeroed_buffers, Optimizer, ParamState, Scalars, StepError, MAX_STEP};
use crate::memory::{reserve_admitted, MemoryPolicy};
use crate::schema::BufferMask;

impl<M: MemoryPolicy> Optimizer<M> {
    /// Starts a load: forgets anything staged before, and makes room to stage every parameter.
    pub fn begin_staging(&mut self) -> Result<(), StepError> {
        self.staged = Vec::new();
        reserve_admitted(&mut self.staged, self.slots.len(), &self.policy)
            .map_err(|error| StepError::OutOfMemory { param: None, error })?;
        self.staged.resize_with(self.slots.len(), || None);
        Ok(())
    }

    /// Stages a state for parameter `index` with `step` steps taken (a float, as hosts and state
    /// dicts carry it; 0 for algorithms that count none), scalars 0 and zero-filled buffers for
    /// those in `buffers` (each of its extent for the parameter's shape); set the scalars and fill the buffers through [`Self::staged_mut`]. An error, staging nothing for `index`,
    /// if the parameter was disposed, `step` is not an integer in `[0, MAX_STEP]`, or memory is
    /// exhausted; or if `index` is not a parameter of a load begun with [`Self::begin_staging`].
    pub fn stage_state(&mut self, index: usize, step: f64, buffers: BufferMask) -> Result<(), StepError> {
        if index >= self.staged.len() {
            return Err(StepError::NoSuchParameter { param: index });
        }
        if !(step >= 0.0 && step.fract() == 0.0 && step <= MAX_STEP as f64) {
            return Err(StepError::StepLimit { param: index, step });
        }
        let param = self.slots[index].param.borrow();
        if param.is_disposed() {
            return Err(StepError::Disposed { param: index });
        }
        // Only the spec's buffers exist.
        let known = (1u16 << self.spec.buffers.len()) - 1;
        let zeros = zeroed_buffers(self.spec, (param.len(), param.dims()), buffers & known as BufferMask, &self.policy)
            .map_err(|error| StepError::OutOfMemory { param: Some(index), error })?;
        drop(param);
        self.staged[index] = Some(ParamState::from_parts(step as u64, Scalars::default(), zeros));
        Ok(())
    }

    /// The state staged for parameter `index`, to copy saved buffers into.
    pub fn staged_mut(&mut self, index: usize) -> Option<&mut ParamState> {
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
