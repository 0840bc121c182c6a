//! Linear-memory bookkeeping: live-allocation counters, [`reserve`], and the headroom that
//! keeps the small bookkeeping allocations (boxes, `Vec` pushes, wasm-bindgen's own) from ever
//! failing.
//!
//! Why headroom: a failed `try_reserve` is an ordinary error, but any *other* failed allocation
//! calls `handle_alloc_error`, which aborts; in WebAssembly an abort is a trap that poisons the
//! instance for good. Every large, fallible allocation here is therefore followed by
//! [`ensure_headroom`], which checks that [`HEADROOM`] more bytes can still be had and, if not,
//! lets the large allocation fail instead. WebAssembly's allocator (dlmalloc) never returns
//! memory to the system, so what the probe allocated and freed stays available for the small
//! allocations that follow.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use optim_core::{AllocError, MemoryPolicy};
use wasm_bindgen::prelude::*;

use crate::error::RawError;

/// Bytes that must stay allocatable after any large allocation succeeds.
pub const HEADROOM: usize = 64 * 1024;

/// [`try_reserve`] allocates in chunks of at most 1 GiB: a single wasm32 allocation is at most
/// `isize::MAX` bytes, and 1 GiB chunks keep the chunk count small.
const RESERVE_CHUNK: usize = 1 << 30;

/// The most linear memory wasm32 can address, 4 GiB: the most [`reserve`] accepts.
pub const MAX_RESERVE_BYTES: u64 = 1 << 32;

static ALLOCATED_BYTES: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// The system allocator (dlmalloc in WebAssembly), counting live bytes and allocations.
pub struct CountingAllocator;

/// Counts a fresh allocation (if it succeeded) and passes the pointer through.
fn counted(ptr: *mut u8, layout: Layout) -> *mut u8 {
    if !ptr.is_null() {
        ALLOCATED_BYTES.fetch_add(layout.size(), Relaxed);
        ALLOCATIONS.fetch_add(1, Relaxed);
    }
    ptr
}

// SAFETY: every method forwards to `System` unchanged; the counters are only bookkeeping.
// `realloc` is GlobalAlloc's default (alloc, copy, dealloc, so counted by the two): growing is
// rare here (bookkeeping lists), and not overriding it keeps dlmalloc's realloc out of the .wasm.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        counted(unsafe { System.alloc(layout) }, layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        counted(unsafe { System.alloc_zeroed(layout) }, layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        ALLOCATED_BYTES.fetch_sub(layout.size(), Relaxed);
        ALLOCATIONS.fetch_sub(1, Relaxed);
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Fails if [`HEADROOM`] bytes cannot be allocated now; see the module docs.
pub fn ensure_headroom() -> Result<(), AllocError> {
    let mut probe: Vec<u8> = Vec::new();
    probe.try_reserve_exact(HEADROOM).map_err(|_| AllocError { bytes: HEADROOM })
}

/// The memory policy of every optimizer and parameter here: a large allocation stands only if
/// [`HEADROOM`] bytes can still be had after it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Headroom;

impl MemoryPolicy for Headroom {
    fn admit(&self, bytes: usize) -> Result<(), AllocError> {
        ensure_headroom().map_err(|_| AllocError { bytes })
    }
}

/// Makes room for `bytes` more bytes of allocations (plus [`HEADROOM`]) without growing memory
/// again: allocates that much, growing linear memory once if needed, and frees it, leaving it
/// in the allocator's free space.
pub fn try_reserve(bytes: usize) -> Result<(), AllocError> {
    if bytes as u64 > MAX_RESERVE_BYTES {
        return Err(AllocError { bytes });
    }
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    chunks.try_reserve_exact(bytes / RESERVE_CHUNK + 1).map_err(|_| AllocError { bytes })?;
    let mut left = bytes.saturating_add(HEADROOM);
    while left > 0 {
        let size = left.min(RESERVE_CHUNK);
        let mut chunk: Vec<u8> = Vec::new();
        chunk.try_reserve_exact(size).map_err(|_| AllocError { bytes })?;
        chunks.push(chunk); // within the capacity reserved above: cannot allocate
        left -= size;
    }
    Ok(())
}

/// Bytes currently allocated by this module's Rust code (parameters, optimizer state, bookkeeping).
pub fn allocated_bytes() -> usize {
    ALLOCATED_BYTES.load(Relaxed)
}

/// Number of live allocations.
pub fn allocations() -> usize {
    ALLOCATIONS.load(Relaxed)
}

/// Grows the allocator's free space by `bytes` (once, up front) so that parameters and optimizer
/// state created afterwards, up to about that many bytes, do not grow linear memory again.
/// `bytes` is a JavaScript number; an error if it is not an integer in `[0, maxReserveBytes()]`
/// or if memory cannot grow that far (linear memory may then have grown part of the way; nothing
/// else changes).
#[wasm_bindgen]
pub fn reserve(bytes: f64) -> Result<(), RawError> {
    if !(bytes >= 0.0 && bytes.fract() == 0.0 && bytes <= MAX_RESERVE_BYTES as f64) {
        return Err(RawError::out_of_range(bytes));
    }
    Ok(try_reserve(bytes as usize)?)
}

/// The most bytes [`reserve`] accepts: 2^32, all that wasm32 can address.
#[wasm_bindgen(js_name = maxReserveBytes)]
pub fn max_reserve_bytes() -> f64 {
    MAX_RESERVE_BYTES as f64
}

/// Bytes currently allocated by this module's Rust code: parameters, optimizer state and
/// bookkeeping. For leak checks; does not allocate.
#[wasm_bindgen(js_name = allocatedBytes)]
pub fn allocated_bytes_js() -> f64 {
    allocated_bytes() as f64
}

/// Number of live allocations of this module's Rust code. For leak checks; does not allocate.
#[wasm_bindgen(js_name = allocationCount)]
pub fn allocation_count_js() -> f64 {
    allocations() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_requests_fail_cleanly() {
        assert_eq!(optim_core::zeros_admitted(usize::MAX / 2, &Headroom), Err(AllocError { bytes: usize::MAX }));
        assert!(try_reserve(usize::MAX / 2).is_err()); // more than wasm32 can address: refused up front
        assert!(try_reserve(1 << 20).is_ok());
    }
}
