//! The worker pool's exports, in the shared-memory `.wasm` only (the `threads` feature): the
//! facade starts each worker by instantiating this module over the same memory and calling
//! [`worker_main`]; see optim-core's `parallel::pool`.

use optim_core::parallel::pool;
use wasm_bindgen::prelude::*;

use crate::optimizer::RawOptimizer;

/// A worker's body: takes part in every step until [`stop_workers`]; then returns.
#[wasm_bindgen(js_name = workerMain)]
pub fn worker_main() {
    pool::worker_main();
}

/// The host started `workers` workers, each in [`worker_main`]: steps may be split from now on.
#[wasm_bindgen(js_name = setWorkers)]
pub fn set_workers(workers: u32) {
    pool::set_workers(workers);
}

/// Asks every worker to return from [`worker_main`]; steps stay on the calling thread after it.
#[wasm_bindgen(js_name = stopWorkers)]
pub fn stop_workers() {
    pool::stop();
}

/// A worker trapped: the step waiting for it ends with a `WorkerDied` error instead.
#[wasm_bindgen(js_name = workerFailed)]
pub fn worker_failed() {
    pool::worker_failed();
}

/// The threads a step can use: the calling one and every worker in [`worker_main`].
#[wasm_bindgen(js_name = poolThreads)]
pub fn pool_threads() -> usize {
    pool::thread_count()
}

#[wasm_bindgen]
impl RawOptimizer {
    /// Whether the last step that updated parameters was split across threads.
    #[wasm_bindgen(js_name = splitLastStep)]
    pub fn split_last_step(&self) -> bool {
        self.optimizer().split_last_step()
    }
}
