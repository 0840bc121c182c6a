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
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use wasm_bindgen::prelude::*;

/// Bytes that must stay allocatable after any large allocation succeeds.
pub const HEADROOM: usize = 64 * 1024;

/// The largest single allocation wasm32 allows (`isize::MAX` bytes); [`reserve`] splits larger
/// requests into chunks of at most this size.
const MAX_CHUNK: usize = 1 << 30;

/// The most linear memory wasm32 can address: 4 GiB.
const MAX_MEMORY: u64 = 1 << 32;

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

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            ALLOCATED_BYTES.fetch_sub(layout.size(), Relaxed);
            ALLOCATED_BYTES.fetch_add(new_size, Relaxed);
        }
        new
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Memory could not be allocated. Carries no heap data, so making one never allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory {
    /// Bytes of the request that failed.
    pub bytes: usize,
}

impl fmt::Display for OutOfMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot allocate {} bytes", self.bytes)
    }
}

/// Fails if [`HEADROOM`] bytes cannot be allocated now; see the module docs.
pub fn ensure_headroom() -> Result<(), OutOfMemory> {
    let mut probe: Vec<u8> = Vec::new();
    probe.try_reserve_exact(HEADROOM).map_err(|_| OutOfMemory { bytes: HEADROOM })
}

/// A zero-filled buffer of `len` f32, leaving [`HEADROOM`] allocatable; an error otherwise.
pub fn try_buffer(len: usize) -> Result<Vec<f32>, OutOfMemory> {
    let bytes = len.saturating_mul(4);
    let buffer = adam_core::try_zeros(len).map_err(|_| OutOfMemory { bytes })?;
    ensure_headroom().map_err(|_| OutOfMemory { bytes })?;
    Ok(buffer)
}

/// Makes room for `bytes` more bytes of allocations (plus [`HEADROOM`]) without growing memory
/// again: allocates that much, growing linear memory once if needed, and frees it, leaving it
/// in the allocator's free space.
pub fn try_reserve(bytes: usize) -> Result<(), OutOfMemory> {
    if bytes as u64 > MAX_MEMORY {
        return Err(OutOfMemory { bytes });
    }
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    chunks.try_reserve_exact(bytes / MAX_CHUNK + 1).map_err(|_| OutOfMemory { bytes })?;
    let mut left = bytes.saturating_add(HEADROOM);
    while left > 0 {
        let size = left.min(MAX_CHUNK);
        let mut chunk: Vec<u8> = Vec::new();
        chunk.try_reserve_exact(size).map_err(|_| OutOfMemory { bytes })?;
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
/// `bytes` is a JavaScript number; an error if it is not a non-negative integer or if memory
/// cannot grow that far (linear memory may then have grown part of the way; nothing else changes).
#[wasm_bindgen]
pub fn reserve(bytes: f64) -> Result<(), JsError> {
    if !(bytes >= 0.0 && bytes.fract() == 0.0 && bytes <= MAX_MEMORY as f64) {
        return Err(js_error(format_args!("bytes must be an integer in [0, 2^32], got {bytes}")));
    }
    try_reserve(bytes as usize).map_err(|e| js_error(format_args!("{e}")))
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

/// A `JsError` with a message formatted on the stack (at most 200 bytes, truncated), so that
/// reporting an out-of-memory error never needs memory.
pub fn js_error(args: fmt::Arguments<'_>) -> JsError {
    let mut message = StackString { bytes: [0; 200], len: 0 };
    let _ = fmt::write(&mut message, args);
    JsError::new(message.as_str())
}

struct StackString {
    bytes: [u8; 200],
    len: usize,
}

impl StackString {
    fn as_str(&self) -> &str {
        // Truncation happens on char boundaries (see write_str), so this is valid UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("error")
    }
}

impl fmt::Write for StackString {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.bytes.len() - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_requests_fail_cleanly() {
        assert_eq!(try_buffer(usize::MAX / 2), Err(OutOfMemory { bytes: usize::MAX }));
        assert!(try_reserve(usize::MAX / 2).is_err()); // more than wasm32 can address: refused up front
        assert!(try_reserve(1 << 20).is_ok());
    }

    #[test]
    fn stack_messages_truncate_on_char_boundaries() {
        let mut message = StackString { bytes: [0; 200], len: 0 };
        let long = "é".repeat(150); // 300 bytes
        let _ = fmt::write(&mut message, format_args!("{long}"));
        assert_eq!(message.len, 200);
        assert_eq!(message.as_str(), "é".repeat(100));
    }
}
