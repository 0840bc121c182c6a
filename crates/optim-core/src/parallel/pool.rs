//! The worker pool of the shared-memory `.wasm`: every worker is a WebAssembly instance of the same
//! module over the same memory (the host starts them: Node's `worker_threads`, a page's Web
//! Workers), parked in [`worker_main`] until the thread that steps publishes a job ([`run`]).
//!
//! Everything here is a static in linear memory, so every instance sees the same words. The
//! stepping thread never blocks: a page's main thread may not `Atomics.wait`, so it works through
//! the chunks itself and then spins only while a worker finishes the chunk it holds. Workers spin
//! a little after a job (back-to-back steps find them awake) and then sleep in
//! `memory.atomic.wait32` on [`GENERATION`].
//!
//! A worker that is gone (terminated by the host) holds nothing: it never joined a job, and the
//! stepping thread takes its share. One that traps inside a job is reported by its host
//! ([`worker_failed`]), and the job ends with [`WorkerDied`] instead of waiting for it.

use core::arch::wasm32::{memory_atomic_notify, memory_atomic_wait32};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering::SeqCst};

use super::WorkerDied;

/// Counts jobs (and the stop): a worker sleeps until it changes.
static GENERATION: AtomicU32 = AtomicU32::new(0);
/// 1 while the job at [`JOB`] takes helpers.
static OPEN: AtomicU32 = AtomicU32::new(0);
/// Workers inside the job; the stepping thread returns only once it is 0 after closing.
static ACTIVE: AtomicU32 = AtomicU32::new(0);
/// The address of the job's `&(dyn Fn() + Sync)`, on the stepping thread's stack.
static JOB: AtomicUsize = AtomicUsize::new(0);
/// Workers the host started and did not stop ([`set_workers`]).
static WORKERS: AtomicU32 = AtomicU32::new(0);
/// 1 once [`stop`] asked the workers to return.
static STOP: AtomicU32 = AtomicU32::new(0);
/// 1 once a worker trapped.
static FAILED: AtomicU32 = AtomicU32::new(0);

/// How often a worker checks for a new job before it sleeps: about 50 µs of spinning.
const SPINS: u32 = 1 << 18;

/// The threads a step uses: the calling one and every worker started.
pub fn thread_count() -> usize {
    WORKERS.load(SeqCst) as usize + 1
}

/// The host started `workers` workers (each calls [`worker_main`]): steps may be split from now
/// on. A worker that has not reached its loop yet joins the next job instead.
pub fn set_workers(workers: u32) {
    WORKERS.store(workers, SeqCst);
}

/// The body of a worker: joins every job until [`stop`]. The host calls it once per worker,
/// after instantiating the module over the shared memory; it returns only when stopped.
pub fn worker_main() {
    let mut seen = GENERATION.load(SeqCst);
    loop {
        let mut spins = 0;
        while GENERATION.load(SeqCst) == seen {
            if spins < SPINS {
                spins += 1;
                core::hint::spin_loop();
            } else {
                // SAFETY: GENERATION is a live, aligned u32 in linear memory. Wakes on notify (or
                // if GENERATION is no longer `seen`).
                unsafe { memory_atomic_wait32(GENERATION.as_ptr() as *mut i32, seen as i32, -1) };
            }
        }
        seen = GENERATION.load(SeqCst);
        if STOP.load(SeqCst) != 0 {
            return;
        }
        ACTIVE.fetch_add(1, SeqCst);
        // Checked after joining (ACTIVE), so that the stepping thread, which closes the job and
        // then waits for ACTIVE to drain, cannot return while this worker still reads the job.
        if OPEN.load(SeqCst) != 0 {
            // SAFETY: while OPEN is 1 and this worker is counted in ACTIVE, JOB is the address of
            // a live `&(dyn Fn() + Sync)` in `run`'s frame (written before OPEN).
            let job = unsafe { *(JOB.load(SeqCst) as *const &(dyn Fn() + Sync)) };
            job();
        }
        ACTIVE.fetch_sub(1, SeqCst);
    }
}

/// Runs `job` on the calling thread and on every worker that wakes in time; returns once each of
/// them has returned from it.
pub fn run(job: &(dyn Fn() + Sync)) -> Result<(), WorkerDied> {
    if WORKERS.load(SeqCst) == 0 {
        job();
        return Ok(());
    }
    let job_ref: &(dyn Fn() + Sync) = job;
    JOB.store(&job_ref as *const &(dyn Fn() + Sync) as usize, SeqCst);
    OPEN.store(1, SeqCst);
    GENERATION.fetch_add(1, SeqCst);
    wake_all();
    job();
    OPEN.store(0, SeqCst);
    while ACTIVE.load(SeqCst) != 0 {
        if FAILED.load(SeqCst) != 0 {
            return Err(WorkerDied);
        }
        core::hint::spin_loop();
    }
    Ok(())
}

/// Asks every worker to return from [`worker_main`] (the host then ends them). Steps stay on the
/// calling thread from then on.
pub fn stop() {
    WORKERS.store(0, SeqCst);
    STOP.store(1, SeqCst);
    GENERATION.fetch_add(1, SeqCst);
    wake_all();
}

/// The host saw a worker trap: a job waiting for it ends with [`WorkerDied`].
pub fn worker_failed() {
    FAILED.store(1, SeqCst);
}

fn wake_all() {
    // SAFETY: GENERATION is a live, aligned u32 in linear memory.
    unsafe { memory_atomic_notify(GENERATION.as_ptr() as *mut i32, u32::MAX) };
}
