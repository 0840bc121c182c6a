//! Where the optimizer's fallible allocations are admitted: a hook for the host's memory policy.

use crate::state::{try_zeros, AllocError};

/// Decides whether a fallible allocation that succeeded may stand.
///
/// Every large buffer (a parameter's data or gradient, optimizer state) and every bookkeeping
/// reservation is allocated fallibly, then passed to [`MemoryPolicy::admit`]; an error drops it
/// and fails the operation with nothing changed. WebAssembly uses this to keep headroom free for
/// the small infallible allocations that follow (see `adam-wasm`'s `memory` module); tests use it
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
