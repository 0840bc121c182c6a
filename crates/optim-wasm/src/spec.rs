//! Each algorithm's spec (optim-core's `Spec`), exported for the TypeScript facade, which builds
//! its validation, messages, state dicts and the TensorFlow.js bridge from it instead of retyping
//! fields, defaults and rules. Enums cross the boundary as types: each has a test that ties it to
//! optim-core's, variant for variant.

use optim_core::schema::{self, BufferUse as CoreBufferUse, FieldKind as CoreFieldKind, FieldSpec, Spec};
use optim_core::AlgorithmId;
use wasm_bindgen::prelude::*;

use crate::error::RawError;

/// The index of the algorithm whose torch class name is `name` (`"RMSprop"`), which the other
/// exports take; `undefined` for no such algorithm. The facade's classes name their algorithm by
/// torch's name, so no list of algorithms is kept anywhere but optim-core's registry.
#[wasm_bindgen(js_name = algorithmIndex)]
pub fn algorithm_index(name: &str) -> Option<u8> {
    AlgorithmId::from_name(name).map(|id| id as u8)
}

/// The algorithm at `index` (from [`algorithm_index`]).
///
/// # Panics
/// If there is none: JavaScript passes only indices it was given.
pub(crate) fn algorithm(index: u8) -> AlgorithmId {
    AlgorithmId::from_index(usize::from(index)).expect("an algorithm index from algorithmIndex")
}

/// What kind of option a field is (optim-core's `FieldKind`).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A number, one slot.
    Number = 0,
    /// Numbers in as many slots (`betas`, Muon's `ns_coefficients`): see `fieldWidth`.
    Tuple = 1,
    /// A boolean, one slot holding 0 or 1.
    Flag = 2,
    /// One of torch's execution-strategy flags: no slot, not an option.
    TorchOnly = 3,
    /// One of a few names or None (Muon's `adjust_lr_fn`), its index in one slot: see
    /// `fieldChoice`.
    Choice = 4,
}

/// A rule of one slot (optim-core's `Rule`).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A finite number `>= 0`.
    NonNegative = 0,
    /// In `[0, 1)`.
    UnitInterval = 1,
    /// Any finite number.
    Finite = 2,
    /// 0 or 1.
    Flag = 3,
    /// In `[0, 1]`.
    ClosedUnitInterval = 4,
    /// In `(0, 1)`.
    OpenUnitInterval = 5,
    /// A finite number `> 1`.
    AboveOne = 6,
    /// An integer in `[0, 99]`.
    IterationCount = 7,
    /// The index of one of a choice field's choices.
    Choice = 8,
    /// A finite number `<= 0`.
    NonPositive = 9,
    /// A finite number `>= 1`.
    AtLeastOne = 10,
    /// A finite number `>= 0`, or None (NaN in a row).
    NonNegativeOrNone = 11,
    /// A finite number `> 0`.
    Positive = 12,
}

impl From<schema::Rule> for Rule {
    fn from(rule: schema::Rule) -> Self {
        match rule {
            schema::Rule::NonNegative => Self::NonNegative,
            schema::Rule::UnitInterval => Self::UnitInterval,
            schema::Rule::Finite => Self::Finite,
            schema::Rule::Flag => Self::Flag,
            schema::Rule::ClosedUnitInterval => Self::ClosedUnitInterval,
            schema::Rule::OpenUnitInterval => Self::OpenUnitInterval,
            schema::Rule::AboveOne => Self::AboveOne,
            schema::Rule::IterationCount => Self::IterationCount,
            schema::Rule::Choice => Self::Choice,
            schema::Rule::NonPositive => Self::NonPositive,
            schema::Rule::AtLeastOne => Self::AtLeastOne,
            schema::Rule::NonNegativeOrNone => Self::NonNegativeOrNone,
            schema::Rule::Positive => Self::Positive,
        }
    }
}

impl From<Rule> for schema::Rule {
    fn from(rule: Rule) -> Self {
        match rule {
            Rule::NonNegative => Self::NonNegative,
            Rule::UnitInterval => Self::UnitInterval,
            Rule::Finite => Self::Finite,
            Rule::Flag => Self::Flag,
            Rule::ClosedUnitInterval => Self::ClosedUnitInterval,
            Rule::OpenUnitInterval => Self::OpenUnitInterval,
            Rule::AboveOne => Self::AboveOne,
            Rule::IterationCount => Self::IterationCount,
            Rule::Choice => Self::Choice,
            Rule::NonPositive => Self::NonPositive,
            Rule::AtLeastOne => Self::AtLeastOne,
            Rule::NonNegativeOrNone => Self::NonNegativeOrNone,
            Rule::Positive => Self::Positive,
        }
    }
}

/// What a value following `rule` is, as the facade's messages say it ("must be {text}"):
/// optim-core's words, so that Rust and TypeScript describe a rule the same way.
#[wasm_bindgen(js_name = ruleText)]
pub fn rule_text(rule: Rule) -> String {
    schema::Rule::from(rule).text().into()
}

/// A rule across fields (optim-core's `CrossRule`).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrossRule {
    /// SGD: `nesterov` needs `momentum > 0` and `dampening == 0`.
    NesterovNeedsMomentum = 0,
}

impl From<schema::CrossRule> for CrossRule {
    fn from(rule: schema::CrossRule) -> Self {
        match rule {
            schema::CrossRule::NesterovNeedsMomentum => Self::NesterovNeedsMomentum,
        }
    }
}

/// When a state buffer is in use (optim-core's `BufferUse`, without its slot: see
/// [`RawSpec::buffer_use_slot`]).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferUse {
    /// Always.
    Always = 0,
    /// While a flag is on.
    WhenFlag = 1,
    /// While a number is not 0.
    WhenNonZero = 2,
    /// For a parameter of 2 or more dimensions.
    WhenFactored = 3,
    /// For a parameter of fewer.
    WhenNotFactored = 4,
}

/// How many elements a state buffer holds (optim-core's `Extent`).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extent {
    /// The parameter's (its shape).
    Param = 0,
    /// The shape with its last dimension 1.
    Rows = 1,
    /// The shape with its second-to-last dimension 1.
    Cols = 2,
}

/// An algorithm's spec, read field by field (the facade reads each once, at `init()`).
#[wasm_bindgen]
pub struct RawSpec(&'static Spec);

#[wasm_bindgen]
impl RawSpec {
    /// The spec of `algorithm`.
    #[wasm_bindgen(constructor)]
    pub fn new(algorithm: u8) -> RawSpec {
        RawSpec(self::algorithm(algorithm).spec())
    }

    /// torch's class name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.0.name.into()
    }

    /// f64 slots per group in the hyperparameter table.
    #[wasm_bindgen(getter, js_name = rowLen)]
    pub fn row_len(&self) -> usize {
        self.0.row_len()
    }

    /// Whether the state counts steps (torch's `state['step']`).
    #[wasm_bindgen(getter, js_name = countsSteps)]
    pub fn counts_steps(&self) -> bool {
        self.0.counts_steps
    }

    /// Whether the constructor creates every parameter's state (torch's Adagrad): the facade then
    /// calls `RawOptimizer.createStates` once it has added the groups.
    #[wasm_bindgen(getter, js_name = eagerState)]
    pub fn eager_state(&self) -> bool {
        self.0.eager_state
    }

    /// Whether every parameter must be a matrix (torch's Muon): a step refuses one that is not.
    #[wasm_bindgen(getter, js_name = matricesOnly)]
    pub fn matrices_only(&self) -> bool {
        self.0.matrices_only
    }

    /// Whether the algorithm takes sparse gradients, and only those (torch's SparseAdam).
    #[wasm_bindgen(getter, js_name = sparseGrads)]
    pub fn sparse_grads(&self) -> bool {
        self.0.sparse_grads
    }

    /// Whether torch keeps `step` as a Python int (SparseAdam), not a float32 0-d tensor.
    #[wasm_bindgen(getter, js_name = intStep)]
    pub fn int_step(&self) -> bool {
        self.0.int_step
    }

    /// Number of per-parameter state scalars besides `step` (NAdam's `mu_product`, ...).
    #[wasm_bindgen(getter, js_name = scalarCount)]
    pub fn scalar_count(&self) -> usize {
        self.0.scalars.len()
    }

    /// Scalar `s`'s torch name (empty past the last).
    #[wasm_bindgen(js_name = scalarName)]
    pub fn scalar_name(&self, s: usize) -> String {
        self.0.scalars.get(s).map_or("", |scalar| scalar.name).into()
    }

    /// Number of fields (torch's group keys but `params`, in torch's order).
    #[wasm_bindgen(getter, js_name = fieldCount)]
    pub fn field_count(&self) -> usize {
        self.0.fields.len()
    }

    /// Field `i`'s torch name (empty past the last).
    #[wasm_bindgen(js_name = fieldName)]
    pub fn field_name(&self, i: usize) -> String {
        self.field(i).map_or("", |f| f.name).into()
    }

    /// Field `i`'s kind.
    #[wasm_bindgen(js_name = fieldKind)]
    pub fn field_kind(&self, i: usize) -> FieldKind {
        match self.field(i).map(|f| f.kind) {
            Some(CoreFieldKind::Number { .. }) => FieldKind::Number,
            Some(CoreFieldKind::Tuple { .. }) => FieldKind::Tuple,
            Some(CoreFieldKind::Flag { .. }) => FieldKind::Flag,
            Some(CoreFieldKind::Choice { .. }) => FieldKind::Choice,
            Some(CoreFieldKind::TorchOnly { .. }) | None => FieldKind::TorchOnly,
        }
    }

    /// Slots field `i` takes in a row (a tuple's length; 0 past the last field).
    #[wasm_bindgen(js_name = fieldWidth)]
    pub fn field_width(&self, i: usize) -> usize {
        self.field(i).map_or(0, |f| f.kind.width())
    }

    /// Number of choices of field `i` (0 for a field that is not a choice).
    #[wasm_bindgen(js_name = fieldChoiceCount)]
    pub fn field_choice_count(&self, i: usize) -> usize {
        match self.field(i).map(|f| f.kind) {
            Some(CoreFieldKind::Choice { choices, .. }) => choices.len(),
            _ => 0,
        }
    }

    /// Choice `k` of field `i`: its name, or `undefined` for Python's None (and past the last).
    #[wasm_bindgen(js_name = fieldChoice)]
    pub fn field_choice(&self, i: usize, k: usize) -> Option<String> {
        match self.field(i).map(|f| f.kind) {
            Some(CoreFieldKind::Choice { choices, .. }) => choices.get(k).copied().flatten().map(String::from),
            _ => None,
        }
    }

    /// Field `i`'s first slot in a row (torch-only fields: the slot after the previous field's).
    #[wasm_bindgen(js_name = fieldSlot)]
    pub fn field_slot(&self, i: usize) -> usize {
        self.0.fields.iter().take(i).map(|f| f.kind.width()).sum()
    }

    /// torch's default of element `element` of field `i`: the number; a flag's 0 or 1; a choice's
    /// index; for a
    /// torch-only field what torch saves, NaN for Python's None.
    #[wasm_bindgen(js_name = fieldDefault)]
    pub fn field_default(&self, i: usize, element: usize) -> f64 {
        let flag = |on: bool| f64::from(u8::from(on));
        match self.field(i).map(|f| f.kind) {
            Some(CoreFieldKind::Number { default, .. }) => default,
            Some(CoreFieldKind::Tuple { len, default, .. }) => default[..len].get(element).copied().unwrap_or(f64::NAN),
            Some(CoreFieldKind::Flag { default, .. }) => flag(default),
            Some(CoreFieldKind::Choice { default, .. }) => default as f64,
            Some(CoreFieldKind::TorchOnly { saved }) => saved.map_or(f64::NAN, flag),
            None => f64::NAN,
        }
    }

    /// Whether field `i` is a flag fixed at its default (AdamW's `decoupled_weight_decay`).
    #[wasm_bindgen(js_name = fieldFixed)]
    pub fn field_fixed(&self, i: usize) -> bool {
        matches!(self.field(i).map(|f| f.kind), Some(CoreFieldKind::Flag { fixed: true, .. }))
    }

    /// The rule of slot `slot` (`Flag` past the row's end, which no row has).
    #[wasm_bindgen(js_name = slotRule)]
    pub fn slot_rule(&self, slot: usize) -> Rule {
        self.0.slot_rule(slot).map_or(Rule::Flag, Rule::from)
    }

    /// Number of state buffers.
    #[wasm_bindgen(getter, js_name = bufferCount)]
    pub fn buffer_count(&self) -> usize {
        self.0.buffers.len()
    }

    /// Buffer `b`'s torch name (empty past the last).
    #[wasm_bindgen(js_name = bufferName)]
    pub fn buffer_name(&self, b: usize) -> String {
        self.0.buffers.get(b).map_or("", |buffer| buffer.name).into()
    }

    /// When buffer `b` is in use.
    #[wasm_bindgen(js_name = bufferUse)]
    pub fn buffer_use(&self, b: usize) -> BufferUse {
        match self.0.buffers.get(b).map(|buffer| buffer.used) {
            Some(CoreBufferUse::WhenFlag(_)) => BufferUse::WhenFlag,
            Some(CoreBufferUse::WhenNonZero(_)) => BufferUse::WhenNonZero,
            Some(CoreBufferUse::WhenFactored) => BufferUse::WhenFactored,
            Some(CoreBufferUse::WhenNotFactored) => BufferUse::WhenNotFactored,
            Some(CoreBufferUse::Always) | None => BufferUse::Always,
        }
    }

    /// The slot buffer `b`'s use depends on (0 for `Always`).
    #[wasm_bindgen(js_name = bufferUseSlot)]
    pub fn buffer_use_slot(&self, b: usize) -> usize {
        match self.0.buffers.get(b).map(|buffer| buffer.used) {
            Some(CoreBufferUse::WhenFlag(slot) | CoreBufferUse::WhenNonZero(slot)) => slot,
            Some(CoreBufferUse::Always | CoreBufferUse::WhenFactored | CoreBufferUse::WhenNotFactored) | None => 0,
        }
    }

    /// How many elements buffer `b` holds (its shape: `bufferShape`).
    #[wasm_bindgen(js_name = bufferExtent)]
    pub fn buffer_extent(&self, b: usize) -> Extent {
        match self.0.buffers.get(b).map(|buffer| buffer.extent) {
            Some(schema::Extent::Rows) => Extent::Rows,
            Some(schema::Extent::Cols) => Extent::Cols,
            Some(schema::Extent::Param) | None => Extent::Param,
        }
    }

    /// Whether a loaded state must have buffer `b` while it is in use.
    #[wasm_bindgen(js_name = bufferRequired)]
    pub fn buffer_required(&self, b: usize) -> bool {
        self.0.buffers.get(b).is_some_and(|buffer| buffer.required)
    }
}

impl RawSpec {
    fn field(&self, i: usize) -> Option<&'static FieldSpec> {
        self.0.fields.get(i)
    }
}

/// `undefined` if `row` follows every rule of `algorithm`'s spec, otherwise why not: the facade
/// asks this when a group is created or loaded (a step checks every row itself). A row of the
/// wrong length is an `OutOfRange` error (`value`: its length).
#[wasm_bindgen(js_name = checkRow)]
pub fn check_row(algorithm: u8, row: &[f64]) -> Option<RawError> {
    let spec = self::algorithm(algorithm).spec();
    if row.len() != spec.row_len() {
        return Some(RawError::out_of_range(row.len() as f64));
    }
    spec.check_row(row).err().map(RawError::from)
}

/// The state buffers a step with `row` (a checked row of `algorithm`) uses for a parameter of
/// `ndim` dimensions: bit `b` is the spec's buffer `b`. 0 for a row of the wrong length.
#[wasm_bindgen(js_name = buffersInUse)]
pub fn buffers_in_use(algorithm: u8, row: &[f64], ndim: usize) -> u8 {
    let spec = self::algorithm(algorithm).spec();
    if row.len() == spec.row_len() {
        spec.buffers_in_use(row, ndim)
    } else {
        0
    }
}

/// The buffers a loaded state of a parameter of `ndim` dimensions must have when its group's row
/// is `row`. 0 for a row of the wrong length.
#[wasm_bindgen(js_name = buffersRequired)]
pub fn buffers_required(algorithm: u8, row: &[f64], ndim: usize) -> u8 {
    let spec = self::algorithm(algorithm).spec();
    if row.len() == spec.row_len() {
        spec.buffers_required(row, ndim)
    } else {
        0
    }
}

/// The shape of `algorithm`'s buffer `b` for a parameter of shape `shape` (optim-core's
/// `Extent`: Adafactor's `row_var` is the shape with its last dimension 1). `shape` as the
/// facade checked it: non-negative integers.
#[wasm_bindgen(js_name = bufferShape)]
pub fn buffer_shape(algorithm: u8, b: usize, shape: &[f64]) -> Vec<f64> {
    let extent = self::algorithm(algorithm).spec().buffers.get(b).map_or(schema::Extent::Param, |buffer| buffer.extent);
    let mut dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    extent.shape(&mut dims);
    dims.into_iter().map(|d| d as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn algorithms_are_named_by_torchs_class_names() {
        for (i, &id) in AlgorithmId::ALL.iter().enumerate() {
            assert_eq!(algorithm_index(id.spec().name), Some(i as u8));
            assert_eq!(algorithm(i as u8), id);
        }
        assert_eq!(algorithm_index("RMSprop"), Some(AlgorithmId::RmsProp as u8));
        assert_eq!((algorithm_index("Optimizer"), algorithm_index("rmsprop")), (None, None));
    }

    #[test]
    fn the_export_reads_optim_cores_spec() {
        let spec = RawSpec::new(AlgorithmId::AdamW as u8);
        assert_eq!((spec.name(), spec.row_len(), spec.counts_steps()), ("AdamW".into(), 8, true));
        let names: Vec<String> = (0..spec.field_count()).map(|i| spec.field_name(i)).collect();
        assert_eq!(
            names,
            [
                "lr",
                "betas",
                "eps",
                "weight_decay",
                "amsgrad",
                "maximize",
                "foreach",
                "capturable",
                "differentiable",
                "fused",
                "decoupled_weight_decay"
            ]
        );
        assert_eq!((spec.field_kind(1), spec.field_slot(1), spec.field_default(1, 1)), (FieldKind::Tuple, 1, 0.999));
        assert_eq!((spec.field_default(3, 0), spec.field_fixed(10), spec.field_fixed(4)), (1e-2, true, false));
        assert!(spec.field_default(6, 0).is_nan(), "foreach saves None");
        assert_eq!(spec.field_default(7, 0), 0.0, "capturable saves False");
        assert_eq!((spec.field_slot(10), spec.slot_rule(2), spec.slot_rule(7)), (7, Rule::UnitInterval, Rule::Flag));
        assert_eq!(
            (spec.buffer_count(), spec.buffer_name(2), spec.buffer_use(2), spec.buffer_use_slot(2)),
            (3, "max_exp_avg_sq".into(), BufferUse::WhenFlag, 5)
        );
        let sgd = RawSpec::new(AlgorithmId::Sgd as u8);
        assert_eq!(
            (sgd.buffer_use(0), sgd.buffer_use_slot(0), sgd.buffer_required(0), sgd.counts_steps()),
            (BufferUse::WhenNonZero, 1, false, false)
        );
        assert_eq!(
            (sgd.slot_rule(2), sgd.field_name(99), sgd.field_kind(99)),
            (Rule::Finite, String::new(), FieldKind::TorchOnly)
        );
    }

    #[test]
    fn rules_are_numbered_as_their_export_says_and_scalars_are_read() {
        use schema::Rule as Core;
        let rules = [
            Core::NonNegative,
            Core::UnitInterval,
            Core::Finite,
            Core::Flag,
            Core::ClosedUnitInterval,
            Core::OpenUnitInterval,
            Core::AboveOne,
            Core::IterationCount,
            Core::Choice,
            Core::NonPositive,
            Core::AtLeastOne,
            Core::NonNegativeOrNone,
            Core::Positive,
        ];
        assert_eq!(rules.map(|r| Rule::from(r) as u8), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        assert_eq!(rules.map(|r| schema::Rule::from(Rule::from(r))), rules);
        assert_eq!(rule_text(Rule::AboveOne), "a finite number > 1");
        let asgd = RawSpec::new(AlgorithmId::Asgd as u8);
        assert_eq!(
            (asgd.scalar_count(), asgd.scalar_name(0), asgd.scalar_name(1), asgd.scalar_name(2)),
            (2, "eta".into(), "mu".into(), String::new())
        );
        assert!(RawSpec::new(AlgorithmId::Adagrad as u8).eager_state() && !asgd.eager_state());
    }

    #[test]
    fn tuples_and_choices_are_read_as_muon_declares_them() {
        let muon = RawSpec::new(AlgorithmId::Muon as u8);
        assert!(muon.matrices_only() && !RawSpec::new(AlgorithmId::Adam as u8).matrices_only());
        assert_eq!(
            (muon.field_name(4), muon.field_kind(4), muon.field_width(4)),
            ("ns_coefficients".into(), FieldKind::Tuple, 3)
        );
        assert_eq!((muon.field_default(4, 1), muon.field_default(4, 3).is_nan()), (-4.775, true));
        assert_eq!((muon.field_kind(7), muon.field_choice_count(7), muon.field_default(7, 0)), (FieldKind::Choice, 4, 0.0));
        assert_eq!((muon.field_choice(7, 0), muon.field_choice(7, 2)), (None, Some("match_rms_adamw".into())));
        assert_eq!((muon.slot_rule(8), muon.slot_rule(9), muon.row_len()), (Rule::IterationCount, Rule::Choice, 10));
    }

    #[test]
    fn check_row_is_optim_cores_check() {
        assert_eq!(check_row(AlgorithmId::Sgd as u8, &[0.1, 0.9, 0.0, 0.0, 1.0, 0.0]), None);
        let error = check_row(AlgorithmId::Sgd as u8, &[0.1, 0.0, 0.0, 0.0, 1.0, 0.0]).unwrap();
        assert_eq!((error.kind(), error.cross()), (ErrorKind::CrossRule, Some(CrossRule::NesterovNeedsMomentum)));
        let error = check_row(AlgorithmId::Adam as u8, &[0.1, 0.9, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]).unwrap();
        assert_eq!(
            (error.kind(), error.slot(), error.rule(), error.value()),
            (ErrorKind::Hyperparameter, Some(2), Some(Rule::UnitInterval), 1.0)
        );
        assert_eq!(check_row(AlgorithmId::Adam as u8, &[0.1]).map(|e| (e.kind(), e.value())), Some((ErrorKind::OutOfRange, 1.0)));
    }

    #[test]
    fn buffers_in_use_and_required_are_optim_cores() {
        let amsgrad = [0.1, 0.9, 0.999, 1e-8, 0.0, 1.0, 0.0, 0.0];
        assert_eq!(
            (buffers_in_use(AlgorithmId::Adam as u8, &amsgrad, 1), buffers_required(AlgorithmId::Adam as u8, &amsgrad, 1)),
            (0b111, 0b111)
        );
        let momentum = [0.1, 0.9, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(
            (buffers_in_use(AlgorithmId::Sgd as u8, &momentum, 1), buffers_required(AlgorithmId::Sgd as u8, &momentum, 1)),
            (0b1, 0)
        );
        assert_eq!(buffers_in_use(AlgorithmId::Sgd as u8, &[0.1], 1), 0);
        let adafactor = RawSpec::new(AlgorithmId::Adafactor as u8);
        assert_eq!((adafactor.buffer_use(0), adafactor.buffer_use(2)), (BufferUse::WhenFactored, BufferUse::WhenNotFactored));
        assert_eq!(buffer_shape(AlgorithmId::Adafactor as u8, 1, &[2.0, 3.0, 4.0]), [2.0, 1.0, 4.0]);
        assert_eq!(buffer_shape(AlgorithmId::Adafactor as u8, 0, &[3.0, 4.0]), [3.0, 1.0]);
        assert_eq!((0..3).map(|b| adafactor.buffer_extent(b)).collect::<Vec<_>>(), [Extent::Rows, Extent::Cols, Extent::Param]);
    }
}
