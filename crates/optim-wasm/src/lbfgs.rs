//! `RawLbfgs`: optim-core's [`Lbfgs`] (the vector work of `torch.optim.LBFGS`) for the facade,
//! whose `LBFGS` runs torch's loop and line search around it (ts/optim/lbfgs.ts).
//!
//! Few exports, each a switch over [`LbfgsOp`]: every wasm-bindgen export costs the `.wasm` its
//! own glue (about 600 bytes), and the `.wasm` has a size budget.

use optim_core::lbfgs::{Lbfgs, LbfgsError};
use wasm_bindgen::prelude::*;

use crate::error::RawError;
use crate::memory::Headroom;
use crate::parameter::RawParameter;

impl From<LbfgsError> for RawError {
    fn from(error: LbfgsError) -> Self {
        match error {
            LbfgsError::Disposed { index } => RawError::disposed().at_param(index),
            LbfgsError::OutOfRange { value } => RawError::out_of_range(value as f64),
            LbfgsError::Alloc(error) => error.into(),
        }
    }
}

/// What [`RawLbfgs::run`] does (`slot`, `x` and `flag` as each says).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LbfgsOp {
    /// Allocates the state's vectors (once).
    Reserve = 0,
    /// The flat gradient into `slot`, negated if `flag` (maximize); its largest magnitude.
    Gather = 1,
    /// `slot`'s largest magnitude.
    AbsMax = 2,
    /// `slot`'s sum of magnitudes.
    AbsSum = 3,
    /// `slot · d`.
    DotD = 4,
    /// `max |d|`, or if `flag`, `max |d * x|`.
    DAbsMax = 5,
    /// The next direction from the gradient in `slot`; `flag`: the first iteration; `x`: the last `t`.
    Direction = 6,
    /// Every parameter `p += x * d`.
    AddGrad = 7,
    /// Saves the parameters.
    SaveParams = 8,
    /// Puts the saved parameters back.
    RestoreParams = 9,
    /// `H_diag`.
    HDiag = 10,
    /// How many (y, s) pairs the history holds.
    HistoryLen = 11,
    /// How many entries `al` has (0 until the recursion has run).
    AlLen = 12,
}

/// Which vector [`RawLbfgs::vector`] points at.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LbfgsVector {
    /// `d`.
    D = 0,
    /// `prev_flat_grad` (0: torch's None).
    PrevFlatGrad = 1,
    /// `old_dirs[i]`.
    OldDir = 2,
    /// `old_stps[i]`.
    OldStp = 3,
    /// `ro`.
    Ro = 4,
    /// `al` (NaN entries: None).
    Al = 5,
}

/// LBFGS's parameters and vector state in WebAssembly memory.
#[wasm_bindgen]
pub struct RawLbfgs {
    inner: Lbfgs,
    error: Option<RawError>,
}

#[wasm_bindgen]
impl RawLbfgs {
    /// An LBFGS keeping `historySize` steps (an integer >= 1, which the facade checks).
    #[wasm_bindgen(constructor)]
    pub fn new(history_size: u32) -> RawLbfgs {
        RawLbfgs { inner: Lbfgs::new(history_size as usize), error: None }
    }

    /// Adds a parameter, in the group's order.
    #[wasm_bindgen(js_name = addParam)]
    pub fn add_param(&mut self, param: &RawParameter) {
        self.inner.add_param(param.buffers.clone());
    }

    /// Runs `op`; on a refusal returns NaN and keeps the reason for [`RawLbfgs::take_error`].
    pub fn run(&mut self, op: LbfgsOp, slot: u32, x: f32, flag: bool) -> f32 {
        let l = &mut self.inner;
        let slot = slot as usize;
        let done = |r: Result<(), LbfgsError>| r.map(|()| 0.0);
        let result = match op {
            LbfgsOp::Reserve => done(l.reserve(&Headroom)),
            LbfgsOp::Gather => l.gather(slot, flag),
            LbfgsOp::AbsMax => l.abs_max(slot),
            LbfgsOp::AbsSum => l.abs_sum(slot),
            LbfgsOp::DotD => l.dot_d(slot),
            LbfgsOp::DAbsMax => Ok(l.d_abs_max(flag.then_some(x))),
            LbfgsOp::Direction => done(l.direction(slot, flag, x, &Headroom)),
            LbfgsOp::AddGrad => done(l.add_grad(x)),
            LbfgsOp::SaveParams => done(l.save_params()),
            LbfgsOp::RestoreParams => done(l.restore_params()),
            LbfgsOp::HDiag => Ok(l.h_diag()),
            LbfgsOp::HistoryLen => Ok(l.history_len() as f32),
            LbfgsOp::AlLen => Ok(l.al().len() as f32),
        };
        result.unwrap_or_else(|error| {
            self.error = Some(error.into());
            f32::NAN
        })
    }

    /// Why the last refused [`RawLbfgs::run`] or [`RawLbfgs::load`] was refused (then forgotten).
    #[wasm_bindgen(js_name = takeError)]
    pub fn take_error(&mut self) -> Option<RawError> {
        self.error.take()
    }

    /// Byte address of `which` (pair `i` of the history), or 0 where there is none; valid until
    /// the next call that allocates.
    pub fn vector(&self, which: LbfgsVector, i: usize) -> usize {
        let l = &self.inner;
        let slice = match which {
            LbfgsVector::D => Some(l.d()),
            LbfgsVector::PrevFlatGrad => l.prev_flat_grad(),
            LbfgsVector::OldDir => l.history_entry(i, false),
            LbfgsVector::OldStp => l.history_entry(i, true),
            LbfgsVector::Ro => Some(l.ro()),
            LbfgsVector::Al => Some(l.al()),
        };
        slice.map_or(0, |s| s.as_ptr() as usize)
    }

    /// Loads a state (see optim-core's `Lbfgs::load`); `hasPrev` false: `prev_flat_grad` is None.
    /// False, changing nothing, if refused ([`RawLbfgs::take_error`] says why).
    #[allow(clippy::too_many_arguments)]
    pub fn load(
        &mut self,
        d: &[f32],
        has_prev: bool,
        prev: &[f32],
        dirs: &[f32],
        stps: &[f32],
        ro: &[f32],
        al: &[f32],
        h_diag: f32,
    ) -> bool {
        let result = self.inner.load(d, has_prev.then_some(prev), dirs, stps, ro, al, h_diag, &Headroom);
        result.map_err(|error| self.error = Some(error.into())).is_ok()
    }
}
