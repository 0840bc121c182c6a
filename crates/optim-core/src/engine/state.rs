//! One parameter's optimizer state, for any algorithm: the step count, the scalars and the
//! buffers its [`Spec`] declares, each buffer allocated fallibly when first used.

use crate::memory::{try_zeros, AllocError, MemoryPolicy};
use crate::param::Dims;
use crate::schema::{BufferInit, BufferMask, ScalarInit, Spec, MAX_BUFFERS, MAX_SCALARS};

/// The buffers of one state, by their index in the spec; `None` where one does not exist.
pub type Buffers = [Option<Vec<f32>>; MAX_BUFFERS];

/// The scalars of one state, by their index in the spec (unused ones stay 0).
pub type Scalars = [f32; MAX_SCALARS];

/// One parameter's state, as torch keeps it in `optimizer.state[p]`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ParamState {
    step: u64,
    scalars: Scalars,
    buffers: Buffers,
    /// The buffers created by the step in progress: what torch sees as absent (SGD's
    /// `momentum_buffer is None`) when it computes the step that creates them.
    fresh: BufferMask,
}

impl ParamState {
    /// A state that has taken `step` steps, with `buffers` (each of its spec's
    /// [`Extent`](crate::schema::Extent) for the parameter: callers make them so).
    pub fn from_parts(step: u64, scalars: Scalars, buffers: Buffers) -> Self {
        Self { step, scalars, buffers, fresh: 0 }
    }

    /// A state as torch creates it for a group with `row`: no step taken, each scalar at its
    /// [`ScalarInit`], no buffers yet (they come with [`new_buffers`]).
    pub fn new(spec: &Spec, row: &[f64]) -> Self {
        let mut scalars = Scalars::default();
        for (value, scalar) in scalars.iter_mut().zip(spec.scalars) {
            *value = match scalar.init {
                ScalarInit::One => 1.0,
                // torch.as_tensor(group['lr'], dtype=torch.float32): one rounding to f32.
                ScalarInit::Group(slot) => row[slot] as f32,
            };
        }
        Self { scalars, ..Self::default() }
    }

    /// Steps taken by this parameter (torch's `state['step']`; 0 for algorithms that count none).
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// The scalars (the spec's `scalars`, in order).
    pub fn scalars(&self) -> &Scalars {
        &self.scalars
    }

    /// The scalars, to write (a loaded state's values are set here).
    pub fn scalars_mut(&mut self) -> &mut Scalars {
        &mut self.scalars
    }

    /// Buffer `b` (the spec's `buffers[b]`), if it exists.
    pub fn buffer(&self, b: usize) -> Option<&[f32]> {
        self.buffers.get(b)?.as_deref()
    }

    /// Buffer `b`, to write (a loaded state's values are copied in here).
    pub fn buffer_mut(&mut self, b: usize) -> Option<&mut [f32]> {
        self.buffers.get_mut(b)?.as_deref_mut()
    }

    /// Which buffers exist.
    pub fn present(&self) -> BufferMask {
        self.buffers.iter().enumerate().filter(|(_, b)| b.is_some()).fold(0, |mask, (b, _)| mask | 1 << b)
    }

    pub(crate) fn advance(&mut self) {
        self.step += 1;
    }

    /// Installs buffers allocated ahead of the step, marking them fresh.
    pub(crate) fn install(&mut self, buffers: Buffers) {
        for (b, buffer) in buffers.into_iter().enumerate() {
            if let Some(buffer) = buffer {
                self.buffers[b] = Some(buffer);
                self.fresh |= 1 << b;
            }
        }
    }

    /// Starts this state's step: counts it (an algorithm that `counts_steps`), then
    /// [`Self::for_step`].
    pub(crate) fn begin_step(&mut self, counts_steps: bool, used: BufferMask) -> StepView<'_> {
        if counts_steps {
            self.advance();
        }
        self.for_step(used)
    }

    /// The step count, the scalars, the buffers in `used` (to write), and which of them are
    /// fresh; the fresh marks are cleared, as the step that reads them is the one that created them.
    pub(crate) fn for_step(&mut self, used: BufferMask) -> StepView<'_> {
        let fresh = std::mem::take(&mut self.fresh) & used;
        let mut b = 0;
        let buffers = self.buffers.each_mut().map(|buffer| {
            let in_use = used & (1 << b) != 0;
            b += 1;
            buffer.as_deref_mut().filter(|_| in_use)
        });
        StepView { step: self.step, scalars: &mut self.scalars, buffers, fresh }
    }
}

/// What a step reads and writes of one state (see [`ParamState::for_step`]).
pub(crate) struct StepView<'a> {
    pub step: u64,
    pub scalars: &'a mut Scalars,
    pub buffers: [Option<&'a mut [f32]>; MAX_BUFFERS],
    pub fresh: BufferMask,
}

impl<'a> StepView<'a> {
    /// What a parameter without state (SGD without momentum) steps with: step 0, no buffers, and
    /// `scratch` as its scalars.
    pub(crate) fn stateless(scratch: &'a mut Scalars) -> Self {
        Self { step: 0, scalars: scratch, buffers: Default::default(), fresh: 0 }
    }
}

/// New buffers for a parameter of `len` elements and shape `dims`, each of its spec's
/// [`Extent`](crate::schema::Extent), for each buffer of `spec` in `mask`, each holding what its
/// [`BufferInit`] says: the group's value from `row`, the optimizer's default from `defaults`.
/// Admitted by `policy` as one request (its size is what an error reports); nothing stays
/// allocated on error.
pub fn new_buffers(
    spec: &Spec,
    row: &[f64],
    defaults: &[f64],
    (len, dims): (usize, Dims),
    mask: BufferMask,
    policy: &impl MemoryPolicy,
) -> Result<Buffers, AllocError> {
    let mut buffers = zeroed_buffers(spec, (len, dims), mask, policy)?;
    for (buffer, b) in buffers.iter_mut().zip(spec.buffers) {
        let fill = match b.init {
            BufferInit::Zeros => continue,
            BufferInit::Group(slot) => row[slot],
            BufferInit::Defaults(slot) => defaults[slot],
        };
        if let Some(buffer) = buffer {
            buffer.fill(fill as f32);
        }
    }
    Ok(buffers)
}

/// Zero-filled buffers for a parameter of `len` elements and shape `dims`, each of its spec's
/// extent, for each buffer of `spec` in `mask`, admitted by `policy` as one request (its size is
/// what an error reports); nothing stays allocated on error.
pub fn zeroed_buffers(
    spec: &Spec,
    (len, dims): (usize, Dims),
    mask: BufferMask,
    policy: &impl MemoryPolicy,
) -> Result<Buffers, AllocError> {
    let in_mask = |b: usize| mask & (1 << b) != 0;
    let elements = (0..MAX_BUFFERS).filter(|&b| in_mask(b)).fold(0usize, |n, b| n.saturating_add(spec.buffer_len(b, len, dims)));
    let bytes = elements.saturating_mul(4);
    let mut buffers = Buffers::default();
    for (b, buffer) in buffers.iter_mut().enumerate() {
        if in_mask(b) {
            *buffer = Some(try_zeros(spec.buffer_len(b, len, dims)).map_err(|_| AllocError { bytes })?);
        }
    }
    policy.admit(bytes).map_err(|_| AllocError { bytes })?;
    Ok(buffers)
}
