//! The counting allocator's counters, exactly.
//!
//! `ALLOCATED_BYTES` and `ALLOCATIONS` are process-wide: any thread that allocates moves them. So
//! this check is a test binary of its own, without libtest's harness (`harness = false` in
//! Cargo.toml): a plain `main` on the only thread of the process. Nothing else allocates while it
//! runs, so the counters move by exactly what it does. (With the harness, even a single `#[test]`
//! shares the process with libtest's main thread, which still allocates after it has spawned the
//! test's thread: about 1 run in 100 saw a few hundred bytes more.) Add no other check here that
//! spawns threads.

use optim_core::zeros_admitted;
use optim_wasm::memory::{allocated_bytes, allocations, Headroom};

fn main() {
    let counters = || (allocated_bytes(), allocations());
    let (bytes, count) = counters();

    // One buffer of 1000 f32: one allocation of 4000 bytes. (The headroom policy's probe
    // allocates and frees 64 KiB on the way: no net change.)
    let buffer = zeros_admitted(1000, &Headroom).unwrap();
    assert_eq!(buffer.len(), 1000);
    assert_eq!(counters(), (bytes + 4000, count + 1));

    // A reallocation changes the bytes, not the number of live allocations.
    let mut grown: Vec<u8> = Vec::with_capacity(10);
    assert_eq!(counters(), (bytes + 4010, count + 2));
    grown.reserve_exact(100); // capacity 10 -> 100 (realloc: GlobalAlloc's default, alloc + dealloc)
    assert_eq!(grown.capacity(), 100);
    assert_eq!(counters(), (bytes + 4100, count + 2));

    // Zeroed allocations are counted too.
    let zeroed = vec![0u64; 8]; // alloc_zeroed, 64 bytes
    assert_eq!(counters(), (bytes + 4164, count + 3));

    // Everything dropped: back to the baseline, byte for byte.
    drop(zeroed);
    drop(grown);
    drop(buffer);
    assert_eq!(counters(), (bytes, count));
    println!("counting allocator: exact (1 buffer, 1 realloc, 1 zeroed allocation, all freed)");
}
