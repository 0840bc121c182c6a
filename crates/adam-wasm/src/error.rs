//! What a failed export tells JavaScript: an error *kind* with the indices, field and numbers it
//! concerns. The facade writes the sentence (naming the user's fields) and picks `TypeError` or
//! `RangeError`; no message is formatted here, so reporting exhausted memory needs no memory.

use adam_core::{AllocError, ClipError, Field, StepError};
use wasm_bindgen::prelude::*;

/// What went wrong.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Memory could not be allocated (`bytes`; `param` if it was a parameter's state).
    OutOfMemory = 0,
    /// A group's hyperparameter broke its rule (`group`, `field`, `rule`, `value`).
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
}

/// A field of a hyperparameter row; its value is the field's slot in the row (`hyperRowLen()`
/// f64 per group, at `RawAdam.hyperPtr()`).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HyperField {
    /// `lr`.
    Lr = 0,
    /// `betas[0]`.
    Beta1 = 1,
    /// `betas[1]`.
    Beta2 = 2,
    /// `eps`.
    Eps = 3,
    /// `weightDecay`.
    WeightDecay = 4,
    /// `amsgrad`, written as 0 or 1.
    Amsgrad = 5,
    /// `maximize`, written as 0 or 1.
    Maximize = 6,
    /// `decoupledWeightDecay` (AdamW), written as 0 or 1.
    DecoupledWeightDecay = 7,
}

impl From<Field> for HyperField {
    fn from(field: Field) -> Self {
        match field {
            Field::Lr => Self::Lr,
            Field::Beta1 => Self::Beta1,
            Field::Beta2 => Self::Beta2,
            Field::Eps => Self::Eps,
            Field::WeightDecay => Self::WeightDecay,
            Field::Amsgrad => Self::Amsgrad,
            Field::Maximize => Self::Maximize,
            Field::DecoupledWeightDecay => Self::DecoupledWeightDecay,
        }
    }
}

impl From<HyperField> for Field {
    fn from(field: HyperField) -> Self {
        match field {
            HyperField::Lr => Self::Lr,
            HyperField::Beta1 => Self::Beta1,
            HyperField::Beta2 => Self::Beta2,
            HyperField::Eps => Self::Eps,
            HyperField::WeightDecay => Self::WeightDecay,
            HyperField::Amsgrad => Self::Amsgrad,
            HyperField::Maximize => Self::Maximize,
            HyperField::DecoupledWeightDecay => Self::DecoupledWeightDecay,
        }
    }
}

/// `undefined` if `value` follows the rule of hyperparameter `field`, otherwise that rule. The
/// facade asks this when a group is created or loaded, rather than retyping adam-core's ranges
/// (a step checks every row itself).
#[wasm_bindgen(js_name = brokenRule)]
pub fn broken_rule(field: HyperField, value: f64) -> Option<Rule> {
    Field::from(field).check(value).err().map(|e| e.rule().into())
}

/// The rule a hyperparameter broke (adam-core's `Rule`).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A finite number `>= 0`.
    FiniteNonNegative = 0,
    /// In `[0, 1)`.
    UnitInterval = 1,
    /// 0 or 1.
    Flag = 2,
}

impl From<adam_core::Rule> for Rule {
    fn from(rule: adam_core::Rule) -> Self {
        match rule {
            adam_core::Rule::FiniteNonNegative => Self::FiniteNonNegative,
            adam_core::Rule::UnitInterval => Self::UnitInterval,
            adam_core::Rule::Flag => Self::Flag,
        }
    }
}

/// A failed export's reason, thrown to JavaScript (or returned by `RawAdam.takeError()`).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawError {
    kind: ErrorKind,
    group: Option<usize>,
    param: Option<usize>,
    field: Option<Field>,
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

    /// The hyperparameter concerned, if any.
    #[wasm_bindgen(getter)]
    pub fn field(&self) -> Option<HyperField> {
        self.field.map(HyperField::from)
    }

    /// The rule that hyperparameter broke, if any.
    #[wasm_bindgen(getter)]
    pub fn rule(&self) -> Option<Rule> {
        self.field.map(|f| Rule::from(f.rule()))
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
        Self { kind, group: None, param: None, field: None, value: f64::NAN, bytes: 0.0 }
    }

    /// A disposed parameter was used.
    pub fn disposed() -> Self {
        Self::new(ErrorKind::Disposed)
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

impl From<StepError> for RawError {
    fn from(error: StepError) -> Self {
        match error {
            StepError::Hyperparameter { group, error } => {
                Self { group: Some(group), field: Some(error.field), value: error.value, ..Self::new(ErrorKind::Hyperparameter) }
            }
            StepError::Disposed { param } => Self { param: Some(param), ..Self::new(ErrorKind::Disposed) },
            StepError::StepLimit { param, step } => Self { param: Some(param), value: step, ..Self::new(ErrorKind::StepLimit) },
            StepError::NoSuchParameter { param: index } | StepError::NoSuchGroup { group: index } => {
                Self::out_of_range(index as f64)
            }
            StepError::OutOfMemory { param, error } => Self { param, ..Self::from(error) },
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
            ClipError::NonFinite { total } => Self { value: f64::from(total), ..Self::new(ErrorKind::NonFinite) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyper_fields_are_numbered_by_their_slot_in_adam_cores_row() {
        for field in Field::ALL {
            assert_eq!(HyperField::from(field) as usize, field.slot(), "{field:?}");
            assert_eq!(Field::from(HyperField::from(field)), field);
        }
    }

    #[test]
    fn broken_rule_is_adam_cores_check() {
        assert_eq!(broken_rule(HyperField::Lr, -0.0), None);
        assert_eq!(broken_rule(HyperField::Lr, f64::NAN), Some(Rule::FiniteNonNegative));
        assert_eq!(broken_rule(HyperField::Beta2, 1.0), Some(Rule::UnitInterval));
        assert_eq!(broken_rule(HyperField::Beta1, 1.0 - f64::EPSILON / 2.0), None);
    }

    #[test]
    fn step_errors_carry_their_kind_and_indices() {
        let error = RawError::from(StepError::OutOfMemory { param: None, error: AllocError { bytes: 64 } });
        assert_eq!((error.kind(), error.param(), error.bytes()), (ErrorKind::OutOfMemory, None, 64.0));
        let invalid = adam_core::InvalidHyperparameter { field: Field::Beta2, value: 1.0 };
        let error = RawError::from(StepError::Hyperparameter { group: 3, error: invalid });
        assert_eq!(
            (error.kind(), error.group(), error.field(), error.rule(), error.value()),
            (ErrorKind::Hyperparameter, Some(3), Some(HyperField::Beta2), Some(Rule::UnitInterval), 1.0)
        );
    }
}
