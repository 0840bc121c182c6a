//! One parameter's optimizer state, allocated fallibly and stepped in place.

use core::fmt;

use crate::kernel::{self, Kernel, Moments, ScalarMemo};
use crate::Hyperparameters;

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

/// One parameter's Adam state, as PyTorch keeps it in `optimizer.state[p]`.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamState {
    step: u64,
    /// First moment estimate `m`.
    pub exp_avg: Vec<f32>,
    /// Second moment estimate `v`.
    pub exp_avg_sq: Vec<f32>,
    /// Running maximum of the raw `v` (not of the bias-corrected `v_hat`), kept only with AMSGrad.
    pub max_exp_avg_sq: Option<Vec<f32>>,
}

impl AdamState {
    /// The state PyTorch creates lazily at a parameter's first step: `step = 0`, zero moments.
    pub fn zeros(len: usize, amsgrad: bool) -> Result<Self, AllocError> {
        Ok(Self {
            step: 0,
            exp_avg: try_zeros(len)?,
            exp_avg_sq: try_zeros(len)?,
            max_exp_avg_sq: if amsgrad { Some(try_zeros(len)?) } else { None },
        })
    }

    /// State from saved parts (a loaded state dict). The buffers must have equal lengths.
    pub fn from_parts(step: u64, exp_avg: Vec<f32>, exp_avg_sq: Vec<f32>, max_exp_avg_sq: Option<Vec<f32>>) -> Self {
        // `assert!`, not `assert_eq!`: no Debug formatting in the shipped .wasm.
        assert!(exp_avg.len() == exp_avg_sq.len(), "exp_avg and exp_avg_sq lengths differ");
        if let Some(max) = &max_exp_avg_sq {
            assert!(max.len() == exp_avg.len(), "max_exp_avg_sq length differs");
        }
        Self { step, exp_avg, exp_avg_sq, max_exp_avg_sq }
    }

    /// Steps taken by this parameter (PyTorch's `state['step']`).
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// Number of elements of the parameter this state belongs to.
    pub fn len(&self) -> usize {
        self.exp_avg.len()
    }

    /// True for the state of an empty parameter.
    pub fn is_empty(&self) -> bool {
        self.exp_avg.is_empty()
    }

    /// Whether a step with `amsgrad` needs a `max_exp_avg_sq` this state does not have: AMSGrad
    /// was switched on since the state was created. The buffer then starts as zeros, as if it had
    /// been kept from the start (PyTorch raises a `KeyError` there instead).
    pub fn lacks_max_exp_avg_sq(&self, amsgrad: bool) -> bool {
        amsgrad && self.max_exp_avg_sq.is_none()
    }

    /// Allocates what [`Self::lacks_max_exp_avg_sq`] says is missing. Call it before
    /// [`Self::step`] when every fallible preparation must finish before any parameter changes
    /// (the optimizer allocates the buffer itself in its first phase and installs it with
    /// [`Self::install_max_exp_avg_sq`]).
    pub fn prepare(&mut self, amsgrad: bool) -> Result<(), AllocError> {
        if self.lacks_max_exp_avg_sq(amsgrad) {
            self.install_max_exp_avg_sq(try_zeros(self.len())?);
        }
        Ok(())
    }

    /// Installs a zeroed `max_exp_avg_sq` allocated ahead of the step.
    ///
    /// # Panics
    /// If its length differs from the state's.
    pub fn install_max_exp_avg_sq(&mut self, buffer: Vec<f32>) {
        assert!(buffer.len() == self.len(), "max_exp_avg_sq length differs");
        self.max_exp_avg_sq = Some(buffer);
    }

    /// One Adam step of `param` with gradient `grad` (the fast kernel). Allocates nothing unless
    /// AMSGrad was switched on since the last step and [`Self::prepare`] was not called.
    ///
    /// # Panics
    /// If `param`, `grad` and the state differ in length, or on allocation failure in the case above.
    pub fn step(&mut self, hyper: &Hyperparameters, param: &mut [f32], grad: &[f32]) {
        self.step_in_group(&mut ScalarMemo::new(hyper), param, grad, Kernel::Simd);
    }

    /// Like [`Self::step`] with the scalar reference kernel.
    pub fn step_reference(&mut self, hyper: &Hyperparameters, param: &mut [f32], grad: &[f32]) {
        self.step_in_group(&mut ScalarMemo::new(hyper), param, grad, Kernel::Reference);
    }

    /// Like [`Self::step`], for one parameter of a group whose parameters share `memo` (and so
    /// its hyperparameters and, for those at the same step count, one computation of the scalars).
    ///
    /// # Panics
    /// As [`Self::step`].
    pub fn step_in_group(&mut self, memo: &mut ScalarMemo<'_>, param: &mut [f32], grad: &[f32], kernel: Kernel) {
        let hyper = memo.hyperparameters();
        if self.prepare(hyper.amsgrad).is_err() {
            panic!("cannot allocate max_exp_avg_sq");
        }
        self.step += 1;
        let scalars = memo.get(self.step);
        let moments = Moments {
            exp_avg: &mut self.exp_avg,
            exp_avg_sq: &mut self.exp_avg_sq,
            // A state that once had AMSGrad keeps its buffer, but only uses it while AMSGrad is on.
            max_exp_avg_sq: if hyper.amsgrad { self.max_exp_avg_sq.as_deref_mut() } else { None },
        };
        match kernel {
            Kernel::Simd => kernel::step_simd(param, grad, moments, &scalars),
            Kernel::Reference => kernel::step_scalar(param, grad, moments, &scalars),
        }
    }
}
