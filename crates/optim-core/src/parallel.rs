//! Phase 2 of a step across threads, bit-identical to one thread for any number of them.
//!
//! A step of an element-wise algorithm ([`Algorithm::SPLITS_BY_ELEMENT`]) is cut into chunks of
//! [`CHUNK`] elements of one parameter each, numbered over the parameters in the engine's order.
//! Every thread taking part claims the next unclaimed chunk until none is left, and runs the
//! algorithm's own step on that range of the parameter, its gradient and its state. Where a chunk
//! starts depends only on the parameter (never on the number of threads or on who claims it),
//! each element is computed by the same code from the same inputs, and nothing is summed across
//! chunks: so the bits are those of one thread, whichever thread ran which chunk.
//!
//! Who the other threads are depends on the build:
//! * natively (the `threads` feature), [`std::thread::scope`] threads, as many as
//!   [`Optimizer::set_threads`](crate::Optimizer::set_threads) says: the tests and benchmarks;
//! * in the shared-memory `.wasm` (wasm32 with `atomics`), the workers of [`pool`], started by the
//!   host, each in [`pool::worker_main`];
//! * anywhere else, none: the calling thread takes every chunk.
//!
//! [`Algorithm::SPLITS_BY_ELEMENT`]: crate::algorithms::Algorithm::SPLITS_BY_ELEMENT

#[cfg(feature = "threads")]
use core::sync::atomic::{AtomicUsize, Ordering};

/// Elements of one parameter a thread claims at a time: a multiple of every lane width, so that a
/// chunk's SIMD body and scalar tail fall where one thread's would (they give the same bits
/// anyway: see `kernel::elementwise`). 16K elements are 64 KiB of each buffer: many chunks per
/// thread at 1M elements (the threads finish together), few claims per step.
pub const CHUNK: usize = 16 * 1024;

/// A step over fewer elements (with a gradient) than this stays on the calling thread: two chunks,
/// below which there is nothing to share. Measured on the 2-core AMD EPYC with Adam (one
/// parameter, back-to-back steps, this limit lowered to find it): 2 threads against 1 were about
/// 1.0x at 8K and 16K elements (one chunk), 1.5-1.75x at 32K, 1.5x at 48K (three chunks on two
/// threads) and 1.7-1.85x at 64K; `node bench/threads.mjs` measures 10K to 10M.
pub const MIN_PARALLEL_ELEMENTS: usize = 2 * CHUNK;

/// A worker thread stopped in the middle of a step (it trapped): the step's parameters and state
/// are partly updated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerDied;

/// Hands out chunk numbers `0..total`, each once, to whichever thread asks first.
#[cfg(feature = "threads")]
pub(crate) struct Claims {
    next: AtomicUsize,
    total: usize,
}

#[cfg(feature = "threads")]
impl Claims {
    pub(crate) fn new(total: usize) -> Self {
        Self { next: AtomicUsize::new(0), total }
    }

    /// The next unclaimed chunk, or `None` once every chunk is claimed.
    pub(crate) fn claim(&self) -> Option<usize> {
        let chunk = self.next.fetch_add(1, Ordering::Relaxed);
        (chunk < self.total).then_some(chunk)
    }
}

/// How many threads a step may use when the host asked for `requested`: in the shared-memory
/// `.wasm`, the calling thread and every worker the host started; natively, `requested`; on
/// wasm32 without shared memory, 1.
#[cfg(feature = "threads")]
pub(crate) fn usable(requested: usize) -> usize {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    return {
        let _ = requested;
        pool::thread_count()
    };
    #[cfg(not(target_arch = "wasm32"))]
    return requested.max(1);
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    return {
        let _ = requested;
        1
    };
}

/// Runs `job` on the calling thread and on up to `threads - 1` others, and returns once every one
/// of them has returned from it. `job` claims its own work ([`Claims`]), so it does not matter
/// how many threads join or when.
#[cfg(feature = "threads")]
pub(crate) fn run(threads: usize, job: &(dyn Fn() + Sync)) -> Result<(), WorkerDied> {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    return {
        let _ = threads;
        pool::run(job)
    };
    #[cfg(not(target_arch = "wasm32"))]
    return {
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(job);
            }
            job();
        });
        Ok(())
    };
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    return {
        let _ = threads;
        job();
        Ok(())
    };
}

#[cfg(all(feature = "threads", target_arch = "wasm32", target_feature = "atomics"))]
pub mod pool;
