//! Where the optimizer's fallible allocations are admitted: a hook for the host's memory policy.

use core::fmt;

/// Memory could not be allocated. Carries no heap data, so making one never allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocError {
    /// Bytes of the request that failed (saturated at `usize::MAX`).
    pub bytes: usize,
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot allocate {} bytes", self.bytes)
    }
}

impl std::error::Error for AllocError {}

/// A zero-filled `Vec<f32>` of `len` elements, or an error instead of an abort when memory is
/// exhausted: in WebAssembly an abort would poison the whole instance.
pub fn try_zeros(len: usize) -> Result<Vec<f32>, AllocError> {
    let mut buffer = Vec::new();
    buffer.try_reserve_exact(len).map_err(|_| AllocError { bytes: len.saturating_mul(4) })?;
    buffer.resize(len, 0.0);
    Ok(buffer)
}

/// Decides whether a fallible allocation that succeeded may stand.
///
/// Every large buffer (a parameter's data or gradient, optimizer state) and every bookkeeping
/// reservation is allocated fallibly, then passed to [`MemoryPolicy::admit`]; an error drops it
/// and fails the operation with nothing changed. WebAssembly uses this to keep headroom free for
/// the small infallible allocations that follow (see `optim-wasm`'s `memory` module); tests use it
/// to fail an allocation in the middle of a step.
pub trait MemoryPolicy {
    /// Called after an allocation of `bytes` bytes succeeded; an error refuses it.
    fn admit(&self, bytes: usize) -> Result<(), AllocError>;
}

/// Admits every allocation that the allocator itself could make.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unbounded;

impl MemoryPolicy for Unbounded {
    fn admit(&self, _bytes: usize) -> Result<(), AllocError> {
        Ok(())
    }
}

impl<P: MemoryPolicy + ?Sized> MemoryPolicy for &P {
    fn admit(&self, bytes: usize) -> Result<(), AllocError> {
        (**self).admit(bytes)
    }
}

/// A zero-filled buffer of `len` f32 that `policy` admitted; an error otherwise.
pub fn zeros_admitted(len: usize, policy: &impl MemoryPolicy) -> Result<Vec<f32>, AllocError> {
    let buffer = try_zeros(len)?;
    policy.admit(len.saturating_mul(4))?;
    Ok(buffer)
}

/// Room for `additional` more elements in `vec`, admitted by `policy`; an error otherwise.
pub(crate) fn reserve_admitted<T>(vec: &mut Vec<T>, additional: usize, policy: &impl MemoryPolicy) -> Result<(), AllocError> {
    let bytes = additional.saturating_mul(core::mem::size_of::<T>());
    vec.try_reserve(additional).map_err(|_| AllocError { bytes })?;
    policy.admit(bytes)
}
