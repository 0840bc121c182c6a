//! One parameter's optimizer state, for any algorithm: the step count and the buffers its
//! [`Spec`](crate::schema::Spec) declares, each allocated fallibly when first used.

use crate::memory::{try_zeros, AllocError, MemoryPolicy};
use crate::schema::{BufferMask, MAX_BUFFERS};

/// The buffers of one state, by their index in the spec; `None` where one does not exist.
pub type Buffers = [Option<Vec<f32>>; MAX_BUFFERS];

/// One parameter's state, as torch keeps it in `optimizer.state[p]`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ParamState {
    step: u64,
    buffers: Buffers,
    /// The buffers created by the step in progress: what torch sees as absent (SGD's
    /// `momentum_buffer is None`) when it computes the step that creates them.
    fresh: BufferMask,
}

impl ParamState {
    /// A state that has taken `step` steps, with `buffers`.
    ///
    /// # Panics
    /// If two buffers differ in length.
    pub fn from_parts(step: u64, buffers: Buffers) -> Self {
        let mut lens = buffers.iter().flatten().map(Vec::len);
        if let Some(first) = lens.next() {
            // `assert!`, not `assert_eq!`: no Debug formatting in the shipped .wasm.
            assert!(lens.all(|len| len == first), "state buffer lengths differ");
        }
        Self { step, buffers, fresh: 0 }
    }

    /// Steps taken by this parameter (torch's `state['step']`; 0 for algorithms that count none).
    pub fn step_count(&self) -> u64 {
        self.step
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

    /// The step count, the buffers in `used` (to write), and which of them are fresh; the fresh
    /// marks are cleared, as the step that reads them is the one that created them.
    pub(crate) fn for_step(&mut self, used: BufferMask) -> (u64, [Option<&mut [f32]>; MAX_BUFFERS], BufferMask) {
        let fresh = std::mem::take(&mut self.fresh) & used;
        let mut b = 0;
        let buffers = self.buffers.each_mut().map(|buffer| {
            let in_use = used & (1 << b) != 0;
            b += 1;
            buffer.as_deref_mut().filter(|_| in_use)
        });
        (self.step, buffers, fresh)
    }
}

/// Zero-filled buffers of `len` elements for each buffer in `mask`, admitted by `policy` as one
/// request (its size is what an error reports); nothing stays allocated on error.
pub fn zeroed_buffers(len: usize, mask: BufferMask, policy: &impl MemoryPolicy) -> Result<Buffers, AllocError> {
    let bytes = len.saturating_mul(4).saturating_mul(mask.count_ones() as usize);
    let mut buffers = Buffers::default();
    for (b, buffer) in buffers.iter_mut().enumerate() {
        if mask & (1 << b) != 0 {
            *buffer = Some(try_zeros(len).map_err(|_| AllocError { bytes })?);
        }
    }
    policy.admit(bytes).map_err(|_| AllocError { bytes })?;
    Ok(buffers)
}
