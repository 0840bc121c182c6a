//! What a failed export tells JavaScript: an error *kind* with the indices, field and numbers it
//! concerns. The facade writes the sentence (naming the user's fields) and picks `TypeError` or
//! `RangeError`; no message is formatted here, so reporting exhausted memory needs no memory.

use optim_core::schema::InvalidHyperparameter;
use optim_core::{AllocError, AverageError, ClipError, StepError};
use wasm_bindgen::prelude::*;

use crate::spec::{CrossRule, Rule};

/// What went wrong.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Memory could not be allocated (`bytes`; `param` if it was a parameter's state).
    OutOfMemory = 0,
    /// A group's hyperparameter broke its rule (`group`, `slot`, `rule`, `value`).
    Hyperparameter = 1,
    /// A parameter was disposed (`param`).
    Disposed = 2,
    /// A step count outside `[0, maxStep()]`, or a step past it (`param`, `value`).
    StepLimit = 3,
    /// A length, byte count or index outside what the export accepts (`value`), or an id no live
    /// parameter has (`param`: its position in `clipGradNorm`'s list).
    OutOfRange = 4,
    /// `clipGradNorm`'s `maxNorm` is NaN or negative (`value`).
    MaxNorm = 5,
    /// `clipGradNorm`'s `normType` is not a norm's order: NaN, `<= 0` or `-Infinity` (`value`).
    NormType = 6,
    /// With `errorIfNonfinite`, `clipGradNorm`'s total norm is NaN or infinite (`value`).
    NonFinite = 7,
    /// A group's hyperparameters broke a rule across fields (`group`, `cross`).
    CrossRule = 8,
    /// The algorithm takes only matrices and a parameter with a gradient is not one (`param`;
    /// `value`: its number of dimensions).
    NotAMatrix = 9,
    /// A parameter's gradient is sparse and the algorithm takes dense ones, or the other way round
    /// (`param`; `value`: 1 if its gradient is sparse, 0 if dense).
    GradLayout = 10,
    /// A worker thread trapped in the middle of a step, which is partly done (the shared-memory
    /// `.wasm` only).
    WorkerDied = 11,
}

/// A failed export's reason, thrown to JavaScript (or returned by `RawOptimizer.takeError()`).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawError {
    kind: ErrorKind,
    group: Option<usize>,
    param: Option<usize>,
    slot: Option<usize>,
    rule: Option<Rule>,
    cross: Option<CrossRule>,
    value: f64,
    bytes: f64,
}

#[wasm_bindgen]
impl RawError {
    /// What went wrong.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The group concerned, if any.
    #[wasm_bindgen(getter)]
    pub fn group(&self) -> Option<usize> {
        self.group
    }

    /// The parameter concerned (its index across groups, or its position in `clipGradNorm`'s
    /// list), if any.
    #[wasm_bindgen(getter)]
    pub fn param(&self) -> Option<usize> {
        self.param
    }

    /// The slot of the hyperparameter concerned in its group's row, if any (the algorithm's
    /// spec says which field it is).
    #[wasm_bindgen(getter)]
    pub fn slot(&self) -> Option<usize> {
        self.slot
    }

    /// The rule that hyperparameter broke, if any.
    #[wasm_bindgen(getter)]
    pub fn rule(&self) -> Option<Rule> {
        self.rule
    }

    /// The rule across fields the group's hyperparameters broke, if any.
    #[wasm_bindgen(getter)]
    pub fn cross(&self) -> Option<CrossRule> {
        self.cross
    }

    /// The rejected value (a hyperparameter, a step count, a length), or NaN.
    #[wasm_bindgen(getter)]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Bytes of the allocation that failed, or 0.
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> f64 {
        self.bytes
    }
}

impl RawError {
    fn new(kind: ErrorKind) -> Self {
        Self { kind, group: None, param: None, slot: None, rule: None, cross: None, value: f64::NAN, bytes: 0.0 }
    }

    /// A disposed parameter was used.
    pub fn disposed() -> Self {
        Self::new(ErrorKind::Disposed)
    }

    /// The same error, concerning parameter (or position) `param`.
    pub(crate) fn at_param(self, param: usize) -> Self {
        Self { param: Some(param), ..self }
    }

    /// An argument outside what an export accepts.
    pub fn out_of_range(value: f64) -> Self {
        Self { value, ..Self::new(ErrorKind::OutOfRange) }
    }
}

impl From<AllocError> for RawError {
    fn from(error: AllocError) -> Self {
        Self { bytes: error.bytes as f64, ..Self::new(ErrorKind::OutOfMemory) }
    }
}

impl From<InvalidHyperparameter> for RawError {
    fn from(error: InvalidHyperparameter) -> Self {
        match error {
            InvalidHyperparameter::Field { slot, value, rule } => {
                Self { slot: Some(slot), rule: Some(rule.into()), value, ..Self::new(ErrorKind::Hyperparameter) }
            }
            InvalidHyperparameter::Cross(rule) => Self { cross: Some(rule.into()), ..Self::new(ErrorKind::CrossRule) },
        }
    }
}

impl From<StepError> for RawError {
    fn from(error: StepError) -> Self {
        match error {
            StepError::Hyperparameter { group, error } => Self { group: Some(group), ..Self::from(error) },
            StepError::Disposed { param } => Self { param: Some(param), ..Self::new(ErrorKind::Disposed) },
            StepError::StepLimit { param, step } => Self { param: Some(param), value: step, ..Self::new(ErrorKind::StepLimit) },
            StepError::NoSuchParameter { param: index } | StepError::NoSuchGroup { group: index } => {
                Self::out_of_range(index as f64)
            }
            StepError::OutOfMemory { param, error } => Self { param, ..Self::from(error) },
            StepError::GradLayout { param, sparse } => {
                Self { param: Some(param), value: f64::from(u8::from(sparse)), ..Self::new(ErrorKind::GradLayout) }
            }
            StepError::NotAMatrix { param, ndim } => {
                Self { param: Some(param), value: ndim as f64, ..Self::new(ErrorKind::NotAMatrix) }
            }
            StepError::WorkerDied => Self::new(ErrorKind::WorkerDied),
        }
    }
}

impl From<AverageError> for RawError {
    fn from(error: AverageError) -> Self {
        let at = |kind, index| Self { param: Some(index), ..Self::new(kind) };
        match error {
            AverageError::TooMany { count } => Self::out_of_range(count as f64),
            AverageError::NoSuchParameter { index } | AverageError::Mismatch { index } => at(ErrorKind::OutOfRange, index),
            AverageError::Disposed { index } => at(ErrorKind::Disposed, index),
        }
    }
}

impl From<ClipError> for RawError {
    fn from(error: ClipError) -> Self {
        let at = |kind, index| Self { param: Some(index), ..Self::new(kind) };
        match error {
            ClipError::MaxNorm { value } => Self { value, ..Self::new(ErrorKind::MaxNorm) },
            ClipError::NormType { value } => Self { value, ..Self::new(ErrorKind::NormType) },
            ClipError::TooMany { count } => Self::out_of_range(count as f64),
            ClipError::NoSuchParameter { index } => at(ErrorKind::OutOfRange, index),
            ClipError::Disposed { index } => at(ErrorKind::Disposed, index),
            ClipError::SparseGrad { index } => at(ErrorKind::GradLayout, index),
            ClipError::NonFinite { total } => Self { value: f64::from(total), ..Self::new(ErrorKind::NonFinite) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optim_core::schema;

    #[test]
    fn step_errors_carry_their_kind_and_indices() {
        let error = RawError::from(StepError::OutOfMemory { param: None, error: AllocError { bytes: 64 } });
        assert_eq!((error.kind(), error.param(), error.bytes()), (ErrorKind::OutOfMemory, None, 64.0));
        let invalid = InvalidHyperparameter::Field { slot: 2, value: 1.0, rule: schema::Rule::UnitInterval };
        let error = RawError::from(StepError::Hyperparameter { group: 3, error: invalid });
        assert_eq!(
            (error.kind(), error.group(), error.slot(), error.rule(), error.value()),
            (ErrorKind::Hyperparameter, Some(3), Some(2), Some(Rule::UnitInterval), 1.0)
        );
        let cross = InvalidHyperparameter::Cross(schema::CrossRule::NesterovNeedsMomentum);
        let error = RawError::from(StepError::Hyperparameter { group: 1, error: cross });
        assert_eq!(
            (error.kind(), error.group(), error.cross(), error.slot()),
            (ErrorKind::CrossRule, Some(1), Some(CrossRule::NesterovNeedsMomentum), None)
        );
    }
}
