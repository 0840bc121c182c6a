//! `AveragedModel.update()`: optim-core's [`ParamRegistry::average`] over the parameters whose ids
//! JavaScript wrote into the registry's id buffer (`clipIds` gives its address), in one call.
//!
//! [`ParamRegistry::average`]: optim_core::ParamRegistry::average

use std::cell::Cell;

use optim_core::kernel::Kernel;
use optim_core::Averaging;
use wasm_bindgen::prelude::*;

use crate::clip::REGISTRY;
use crate::error::RawError;

/// Which average an update computes (see optim-core's `Averaging`).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AverageMode {
    /// The first update: a copy.
    Copy = 0,
    /// The running mean of stochastic weight averaging, after `nAveraged` models.
    Swa = 1,
    /// The exponential moving average with `decay`.
    Ema = 2,
}

thread_local! {
    /// Why the last [`average_params`] failed, until [`take_average_error`].
    static AVERAGE_ERROR: Cell<Option<RawError>> = const { Cell::new(None) };
}

/// One update of `pairs` averaged parameters (ids: averaged, source, ... at `clipIds`): `true`, or
/// `false` if it changed nothing ([`take_average_error`] says why). `n_averaged` is used by
/// [`AverageMode::Swa`], `decay` by [`AverageMode::Ema`].
#[wasm_bindgen(js_name = averageParams)]
pub fn average_params(pairs: usize, mode: AverageMode, n_averaged: f64, decay: f64) -> bool {
    let how = match mode {
        AverageMode::Copy => Averaging::Copy,
        AverageMode::Swa => Averaging::Swa { n_averaged: n_averaged as u64 },
        AverageMode::Ema => Averaging::Ema { decay },
    };
    match REGISTRY.with_borrow(|registry| registry.average(pairs, how, Kernel::Simd)) {
        Ok(()) => true,
        Err(error) => {
            AVERAGE_ERROR.set(Some(error.into()));
            false
        }
    }
}

/// Why the last [`average_params`] failed (and forgets it); `undefined` if it did not.
#[wasm_bindgen(js_name = takeAverageError)]
pub fn take_average_error() -> Option<RawError> {
    AVERAGE_ERROR.take()
}
