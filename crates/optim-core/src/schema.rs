//! What an algorithm is, as data: its options (torch's names, defaults and the rules that check
//! them), the flat row of `f64`s a group's options travel in, and its per-parameter state buffers.
//!
//! Each algorithm module (`algorithms/*.rs`) declares one [`Spec`]. Everything that is not the
//! step's arithmetic is derived from it: the engine validates rows and creates state from it, the
//! WebAssembly crate exports it, and the TypeScript facade builds its validation, messages, both
//! state-dict shapes and the TensorFlow.js bridge from that export. A field is declared once.

use core::fmt;

use crate::param::Dims;

/// A range rule of one slot of a row: what torch's constructor accepts, tightened to refuse NaN
/// and infinities (torch lets `lr=nan` through; it can only poison the weights).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A finite number `>= 0` (`-0.0` included): `lr`, `eps`, `weight_decay`, `momentum`.
    NonNegative,
    /// In `[0, 1)`: each of Adam's betas.
    UnitInterval,
    /// In `[0, 1]`: Adadelta's `rho`.
    ClosedUnitInterval,
    /// In `(0, 1)`: Rprop's `etas[0]` (torch: `0.0 < etas[0] < 1.0 < etas[1]`).
    OpenUnitInterval,
    /// A finite number `> 1`: Rprop's `etas[1]`.
    AboveOne,
    /// Any finite number: torch checks nothing (SGD's `dampening`).
    Finite,
    /// Exactly `0.0` (false) or `1.0` (true): a flag.
    Flag,
    /// A finite number `> 0`: SparseAdam's `lr` and `eps` (torch: `0.0 < lr`).
    Positive,
    /// A finite number `<= 0` (`+0.0` included): Adafactor's `beta2_decay`.
    NonPositive,
    /// A finite number `>= 1`: Adafactor's `d`.
    AtLeastOne,
    /// A finite number `>= 0`, or Python's None, which a row holds as NaN (Adafactor's
    /// `eps[0]`; hosts refuse a NaN given as a number).
    NonNegativeOrNone,
    /// An integer in `[0, MAX_ITERATIONS]`: Muon's `ns_steps` (torch: "Number of steps must be
    /// less than 100 for computational efficiency"; a negative count runs none, as `range` does).
    IterationCount,
    /// The index of one of a [`FieldKind::Choice`]'s choices ([`Spec::check_row`] checks it
    /// against their number; hosts map the choice's name to it).
    Choice,
}

/// The most iterations [`Rule::IterationCount`] allows (torch's Muon: fewer than 100).
pub const MAX_ITERATIONS: f64 = 99.0;

impl Rule {
    /// Whether `value` follows the rule.
    pub fn allows(self, value: f64) -> bool {
        match self {
            Rule::NonNegative => value.is_finite() && value >= 0.0,
            Rule::UnitInterval => (0.0..1.0).contains(&value),
            Rule::ClosedUnitInterval => (0.0..=1.0).contains(&value),
            Rule::OpenUnitInterval => value > 0.0 && value < 1.0,
            Rule::AboveOne => value.is_finite() && value > 1.0,
            Rule::Finite => value.is_finite(),
            Rule::Flag => value == 0.0 || value == 1.0,
            Rule::Positive => value.is_finite() && value > 0.0,
            Rule::NonPositive => value.is_finite() && value <= 0.0,
            Rule::AtLeastOne => value.is_finite() && value >= 1.0,
            Rule::NonNegativeOrNone => value.is_nan() || (value.is_finite() && value >= 0.0),
            Rule::IterationCount => (0.0..=MAX_ITERATIONS).contains(&value) && value.fract() == 0.0,
            // The number of choices is the field's: `Spec::check_row` checks the upper end.
            Rule::Choice => value >= 0.0 && value.fract() == 0.0,
        }
    }
}

impl Rule {
    /// What a value following the rule is, as a message says it: "must be {text}".
    pub const fn text(self) -> &'static str {
        match self {
            Rule::NonNegative => "a finite number >= 0",
            Rule::UnitInterval => "in [0, 1)",
            Rule::ClosedUnitInterval => "in [0, 1]",
            Rule::OpenUnitInterval => "in (0, 1)",
            Rule::AboveOne => "a finite number > 1",
            Rule::Finite => "a finite number",
            Rule::Flag => "0 or 1",
            Rule::Positive => "a finite number > 0",
            Rule::NonPositive => "a finite number <= 0",
            Rule::AtLeastOne => "a finite number >= 1",
            Rule::NonNegativeOrNone => "a finite number >= 0, or null (torch's None)",
            Rule::IterationCount => "an integer in [0, 99]",
            Rule::Choice => "one of the choices",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "must be {}", self.text())
    }
}

/// A rule across fields of one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrossRule {
    /// SGD: `nesterov` needs `momentum > 0` and `dampening == 0` (torch's ValueError "Nesterov
    /// momentum requires a momentum and zero dampening").
    NesterovNeedsMomentum,
}

/// What kind of option a field is, with torch 2.15's default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldKind {
    /// A number, in one slot.
    Number {
        /// torch's default.
        default: f64,
        /// What it may be.
        rule: Rule,
    },
    /// `len` numbers (torch's tuples: `betas`, Muon's three `ns_coefficients`), in `len` slots.
    Tuple {
        /// How many (2 or 3; at most [`MAX_TUPLE`]).
        len: usize,
        /// torch's default (the first `len`).
        default: [f64; MAX_TUPLE],
        /// What each may be (the first `len`).
        rules: [Rule; MAX_TUPLE],
    },
    /// One of a few names, or Python's None (Muon's `adjust_lr_fn`): its slot holds the index of
    /// the choice in `choices`.
    Choice {
        /// The index of torch's default.
        default: usize,
        /// Every value torch accepts, `None` for Python's None.
        choices: &'static [Option<&'static str>],
    },
    /// A boolean, `0.0` or `1.0` in its slot.
    Flag {
        /// torch's default.
        default: bool,
        /// Not an option of this class: always `default` in the groups it is given and the ones
        /// it loads, as `torch.optim.AdamW`'s `decoupled_weight_decay` (it has no such argument,
        /// and its `__setstate__` sets it on every loaded group). A step still follows the flag in
        /// the row, as torch's `AdamW.step` (which is `Adam.step`) follows the group's.
        fixed: bool,
    },
    /// One of torch's execution-strategy flags (`foreach`, `fused`, `capturable`,
    /// `differentiable`): in torch's param groups, not an option of lucid-optim (which always
    /// computes the single-tensor path those defaults select on CPU), and in no slot. Hosts write
    /// `saved` in torch-shaped state dicts and check, then drop, the value of a loaded one.
    TorchOnly {
        /// What a default torch optimizer saves: `None` (Python's None, and then a loaded one may
        /// be None, True or False) or `Some(false)` (True or False).
        saved: Option<bool>,
    },
}

impl FieldKind {
    /// Slots the field takes in a row.
    pub const fn width(&self) -> usize {
        match self {
            FieldKind::Number { .. } | FieldKind::Flag { .. } | FieldKind::Choice { .. } => 1,
            FieldKind::Tuple { len, .. } => *len,
            FieldKind::TorchOnly { .. } => 0,
        }
    }
}

/// One key of torch's param groups.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldSpec {
    /// torch's name (`weight_decay`); JavaScript spells it in camelCase (`weightDecay`).
    pub name: &'static str,
    /// What it is, with torch's default.
    pub kind: FieldKind,
}

impl FieldSpec {
    /// A number with a default and a rule.
    pub const fn number(name: &'static str, default: f64, rule: Rule) -> Self {
        Self { name, kind: FieldKind::Number { default, rule } }
    }

    /// A pair of numbers, one rule for both.
    pub const fn pair(name: &'static str, default: [f64; 2], rule: Rule) -> Self {
        Self::pair_with(name, default, [rule, rule])
    }

    /// A pair of numbers with a rule each (Rprop's `etas`: `0 < etas[0] < 1 < etas[1]`).
    pub const fn pair_with(name: &'static str, default: [f64; 2], rules: [Rule; 2]) -> Self {
        let kind = FieldKind::Tuple { len: 2, default: [default[0], default[1], 0.0], rules: [rules[0], rules[1], Rule::Finite] };
        Self { name, kind }
    }

    /// Three numbers, one rule for all.
    pub const fn triple(name: &'static str, default: [f64; 3], rule: Rule) -> Self {
        Self { name, kind: FieldKind::Tuple { len: 3, default, rules: [rule, rule, rule] } }
    }

    /// One of `choices` (`None`: Python's None), torch's default at index `default`.
    pub const fn choice(name: &'static str, default: usize, choices: &'static [Option<&'static str>]) -> Self {
        Self { name, kind: FieldKind::Choice { default, choices } }
    }

    /// A boolean option.
    pub const fn flag(name: &'static str, default: bool) -> Self {
        Self { name, kind: FieldKind::Flag { default, fixed: false } }
    }

    /// A boolean fixed at `value` (see [`FieldKind::Flag`]'s `fixed`).
    pub const fn fixed_flag(name: &'static str, value: bool) -> Self {
        Self { name, kind: FieldKind::Flag { default: value, fixed: true } }
    }

    /// One of torch's execution-strategy flags.
    pub const fn torch_only(name: &'static str, saved: Option<bool>) -> Self {
        Self { name, kind: FieldKind::TorchOnly { saved } }
    }
}

/// When a state buffer exists and the step uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferUse {
    /// Always (Adam's `exp_avg`).
    Always,
    /// While the flag in this slot is on (Adam's `max_exp_avg_sq`, with `amsgrad`).
    WhenFlag(usize),
    /// While the number in this slot is not 0 (SGD's `momentum_buffer`, with `momentum`).
    WhenNonZero(usize),
    /// For a parameter of 2 or more dimensions (Adafactor's factored `row_var` and `col_var`).
    WhenFactored,
    /// For a parameter of fewer (Adafactor's `variance`).
    WhenNotFactored,
}

/// How many elements a state buffer holds, for a parameter of `len` elements and shape `dims`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extent {
    /// As many as the parameter (most buffers).
    Param,
    /// One per row of the last dimension: the shape with its last dimension 1 (Adafactor's
    /// `row_var`), `len / cols`.
    Rows,
    /// One per column of the last two dimensions: the shape with its second-to-last dimension
    /// 1 (Adafactor's `col_var`), `len / rows`.
    Cols,
}

impl Extent {
    /// The buffer's shape for a parameter of shape `shape`, written over it: the last dimension
    /// 1 (`Rows`), the second-to-last 1 (`Cols`, for 2 or more dimensions), or as it is.
    pub fn shape(self, shape: &mut [usize]) {
        let ndim = shape.len();
        match self {
            Extent::Param => {}
            Extent::Rows => shape.iter_mut().skip(ndim.saturating_sub(1)).for_each(|d| *d = 1),
            Extent::Cols if ndim >= 2 => shape[ndim - 2] = 1,
            Extent::Cols => {}
        }
    }

    /// The buffer's length for a parameter of `len` elements and shape `dims`.
    pub fn len(self, len: usize, dims: Dims) -> usize {
        match self {
            Extent::Param => len,
            Extent::Rows => len.checked_div(dims.cols).unwrap_or(0),
            Extent::Cols => len.checked_div(dims.rows).unwrap_or(0),
        }
    }
}

/// What a state buffer holds when it is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferInit {
    /// Zeros (`torch.zeros_like(p)`: most buffers).
    Zeros,
    /// The group's value in this slot, rounded to `f32` (Rprop's `step_size`:
    /// `torch.full_like(grad, group['lr'])`).
    Group(usize),
    /// The optimizer's default in this slot, rounded to `f32`, whatever the group says (Adagrad's
    /// `sum`: `torch.full_like(p, self.defaults['initial_accumulator_value'])`, for every group).
    /// See [`Optimizer::set_defaults`](crate::Optimizer::set_defaults).
    Defaults(usize),
}

/// One per-parameter state buffer, of the parameter's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferSpec {
    /// torch's name in `optimizer.state[p]` (`exp_avg`); JavaScript spells it in camelCase.
    pub name: &'static str,
    /// When it exists.
    pub used: BufferUse,
    /// Whether a loaded state must have it while it is used (torch raises a `KeyError` for a
    /// missing `exp_avg`). If not, a missing one is created at the next step as a first step
    /// creates it (torch's SGD clones the gradient into a `momentum_buffer` it does not find).
    pub required: bool,
    /// What it holds when created.
    pub init: BufferInit,
    /// How many elements it holds.
    pub extent: Extent,
}

impl BufferSpec {
    /// A buffer that always exists, starts as zeros, holds one value per element of its parameter,
    /// and a loaded state must have (most of them); the methods below say how another differs.
    pub const fn zeros(name: &'static str) -> Self {
        Self { name, used: BufferUse::Always, required: true, init: BufferInit::Zeros, extent: Extent::Param }
    }

    /// This buffer, existing only `when` (RMSprop's `momentum_buffer`: while momentum is not 0).
    pub const fn when(self, used: BufferUse) -> Self {
        Self { used, ..self }
    }

    /// This buffer, created holding `init` (Adagrad's `sum`, Rprop's `step_size`).
    pub const fn starting(self, init: BufferInit) -> Self {
        Self { init, ..self }
    }

    /// This buffer, of `extent` elements (Adafactor's `row_var` and `col_var`).
    pub const fn of(self, extent: Extent) -> Self {
        Self { extent, ..self }
    }

    /// This buffer, which a loaded state may leave out (SGD's `momentum_buffer`: the next step
    /// creates it).
    pub const fn optional(self) -> Self {
        Self { required: false, ..self }
    }
}

/// The most numbers a [`FieldKind::Tuple`] holds.
pub const MAX_TUPLE: usize = 3;

/// The most state buffers an algorithm has.
pub const MAX_BUFFERS: usize = 3;

/// What a per-parameter state scalar holds when the state is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarInit {
    /// `1.0` (NAdam's `mu_product`, ASGD's `mu`).
    One,
    /// The group's value in this slot, rounded to `f32` (ASGD's `eta`, the group's `lr`).
    Group(usize),
}

/// A per-parameter state scalar besides `step`: a float32 0-d tensor in torch's state (NAdam's
/// `mu_product`, ASGD's `eta` and `mu`), kept as an `f32`, as torch keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScalarSpec {
    /// torch's name in `optimizer.state[p]`; JavaScript spells it in camelCase.
    pub name: &'static str,
    /// What it holds when the state is created. A loaded state must have it.
    pub init: ScalarInit,
}

/// The most state scalars an algorithm has.
pub const MAX_SCALARS: usize = 2;

/// Which of a spec's buffers: bit `b` is `spec.buffers[b]`.
pub type BufferMask = u8;

/// The buffers a row uses, for parameters of fewer than 2 dimensions and for the others (the
/// only distinction [`BufferUse`] makes by shape).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuffersByRank([BufferMask; 2]);

impl BuffersByRank {
    /// The buffers a parameter of `ndim` dimensions uses.
    pub fn of(self, ndim: usize) -> BufferMask {
        self.0[usize::from(ndim >= 2)]
    }
}

/// An algorithm's options and state, as data.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// torch's class name: `Adam`, `AdamW`, `SGD`.
    pub name: &'static str,
    /// Every key of a torch param group but `params`, in the order torch's `__init__` builds its
    /// `defaults` dict (and so its `state_dict()` writes them).
    pub fields: &'static [FieldSpec],
    /// Per-parameter state scalars besides `step`, in the order torch creates them (before the
    /// buffers, in every torch.optim class that has them).
    pub scalars: &'static [ScalarSpec],
    /// Per-parameter state buffers, in the order torch creates them.
    pub buffers: &'static [BufferSpec],
    /// Whether the state counts steps (torch's `state['step']`, a float32 0-d tensor). A parameter
    /// whose algorithm counts steps has state from its first step on; otherwise only while a
    /// buffer is in use (torch's SGD keeps none while `momentum` is 0).
    pub counts_steps: bool,
    /// Whether the constructor creates every parameter's state (`step` 0 and its buffers), as
    /// torch's Adagrad does; the host then calls
    /// [`Optimizer::create_states`](crate::Optimizer::create_states) once it has added the
    /// groups. Otherwise (and for parameters added later) a parameter's first step creates it.
    pub eager_state: bool,
    /// The rule across fields a row breaks, if any (checked after every field's own rule).
    pub cross_check: fn(&[f64]) -> Option<CrossRule>,
    /// Whether every parameter must be a matrix (2 dimensions), as torch's Muon requires: the
    /// step is refused for one that is not ([`StepError::NotAMatrix`](crate::StepError)).
    pub matrices_only: bool,
    /// Whether the algorithm takes sparse gradients (rows of the first dimension, as
    /// `nn.Embedding(sparse=True)` makes them) and only those, as torch's SparseAdam; every other
    /// algorithm takes only dense ones. A step is refused for a gradient of the other kind
    /// ([`StepError::GradLayout`](crate::StepError)).
    pub sparse_grads: bool,
    /// Whether torch keeps `step` as a Python int (SparseAdam) rather than a float32 0-d tensor.
    pub int_step: bool,
}

/// A row broke a rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InvalidHyperparameter {
    /// The value in `slot` breaks that slot's rule.
    Field {
        /// The slot.
        slot: usize,
        /// The rejected value.
        value: f64,
        /// The rule it breaks.
        rule: Rule,
    },
    /// The row breaks a rule across fields.
    Cross(CrossRule),
}

impl fmt::Display for InvalidHyperparameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Field { slot, value, rule } => write!(f, "slot {slot} {rule}, got {value}"),
            Self::Cross(rule) => write!(f, "{rule:?}"),
        }
    }
}

impl std::error::Error for InvalidHyperparameter {}

/// No rule across fields (most algorithms).
pub fn no_cross_rules(_row: &[f64]) -> Option<CrossRule> {
    None
}

/// The slot of field `name` among `fields` (the sum of the widths before it). A `const fn`, so
/// that algorithms name their slots by torch's names at compile time: an unknown name does not
/// compile.
pub const fn slot_of(fields: &[FieldSpec], name: &str) -> usize {
    let mut slot = 0;
    let mut i = 0;
    while i < fields.len() {
        if str_eq(fields[i].name, name) {
            return slot;
        }
        slot += fields[i].kind.width();
        i += 1;
    }
    panic!("no such field");
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl Spec {
    /// What a spec is unless it says otherwise: state that counts steps, no scalars, state
    /// created at a parameter's first step, no rule across fields, any shape. An algorithm's spec
    /// gives its name, fields and buffers and what differs:
    /// `Spec { name: "Adam", fields: FIELDS, buffers: BUFFERS, ..Spec::BASE }`, so that a field
    /// added here is written once, not in every algorithm.
    pub const BASE: Spec = Spec {
        name: "",
        fields: &[],
        scalars: &[],
        buffers: &[],
        counts_steps: true,
        eager_state: false,
        cross_check: no_cross_rules,
        matrices_only: false,
        sparse_grads: false,
        int_step: false,
    };

    /// Slots per row: the sum of the fields' widths.
    pub const fn row_len(&self) -> usize {
        let mut len = 0;
        let mut i = 0;
        while i < self.fields.len() {
            len += self.fields[i].kind.width();
            i += 1;
        }
        len
    }

    /// The slot of field `name` (see [`slot_of`]).
    pub const fn slot(&self, name: &str) -> usize {
        slot_of(self.fields, name)
    }

    /// The field a slot belongs to, and the slot's position in it (1 for `betas[1]`).
    pub fn field_of_slot(&self, slot: usize) -> Option<(&'static FieldSpec, usize)> {
        let mut start = 0;
        for field in self.fields {
            let width = field.kind.width();
            if slot < start + width {
                return Some((field, slot - start));
            }
            start += width;
        }
        None
    }

    /// The rule of a slot (`None` past the row's end).
    pub fn slot_rule(&self, slot: usize) -> Option<Rule> {
        let (field, element) = self.field_of_slot(slot)?;
        Some(match field.kind {
            FieldKind::Number { rule, .. } => rule,
            FieldKind::Tuple { rules, .. } => rules[element],
            FieldKind::Flag { .. } => Rule::Flag,
            FieldKind::Choice { .. } => Rule::Choice,
            FieldKind::TorchOnly { .. } => unreachable!("torch-only fields take no slot"),
        })
    }

    /// torch's defaults, written into `row` (of [`Self::row_len`] slots).
    ///
    /// # Panics
    /// If `row` is not [`Self::row_len`] long.
    pub fn write_defaults(&self, row: &mut [f64]) {
        assert!(row.len() == self.row_len(), "row length");
        let mut slot = 0;
        for field in self.fields {
            match field.kind {
                FieldKind::Number { default, .. } => row[slot] = default,
                FieldKind::Tuple { len, default, .. } => row[slot..slot + len].copy_from_slice(&default[..len]),
                FieldKind::Flag { default, .. } => row[slot] = f64::from(u8::from(default)),
                FieldKind::Choice { default, .. } => row[slot] = default as f64,
                FieldKind::TorchOnly { .. } => {}
            }
            slot += field.kind.width();
        }
    }

    /// `Ok` if every slot of `row` follows its rule, slot by slot in order, and then the row
    /// follows the rules across fields.
    ///
    /// # Panics
    /// If `row` is not [`Self::row_len`] long.
    pub fn check_row(&self, row: &[f64]) -> Result<(), InvalidHyperparameter> {
        assert!(row.len() == self.row_len(), "row length");
        for (slot, &value) in row.iter().enumerate() {
            let (field, _) = self.field_of_slot(slot).expect("slot within the row");
            let rule = self.slot_rule(slot).expect("slot within the row");
            let within = match field.kind {
                FieldKind::Choice { choices, .. } => value < choices.len() as f64,
                _ => true,
            };
            if !(rule.allows(value) && within) {
                return Err(InvalidHyperparameter::Field { slot, value, rule });
            }
        }
        (self.cross_check)(row).map_or(Ok(()), |rule| Err(InvalidHyperparameter::Cross(rule)))
    }

    /// The buffers a step with `row` uses for a parameter of `ndim` dimensions (a valid row).
    pub fn buffers_in_use(&self, row: &[f64], ndim: usize) -> BufferMask {
        let mut mask = 0;
        for (b, buffer) in self.buffers.iter().enumerate() {
            let used = match buffer.used {
                BufferUse::Always => true,
                BufferUse::WhenFlag(slot) => row[slot] == 1.0,
                BufferUse::WhenNonZero(slot) => row[slot] != 0.0,
                BufferUse::WhenFactored => ndim >= 2,
                BufferUse::WhenNotFactored => ndim < 2,
            };
            if used {
                mask |= 1 << b;
            }
        }
        mask
    }

    /// [`Self::buffers_in_use`] for both kinds of parameter at once (a step computes it once per
    /// group, then picks by each parameter's dimensions).
    pub fn buffers_by_rank(&self, row: &[f64]) -> BuffersByRank {
        BuffersByRank([self.buffers_in_use(row, 1), self.buffers_in_use(row, 2)])
    }

    /// The buffers a loaded state of a parameter of `ndim` dimensions must have when its group's
    /// row is `row`.
    pub fn buffers_required(&self, row: &[f64], ndim: usize) -> BufferMask {
        let required = self.buffers.iter().enumerate().filter(|(_, b)| b.required).fold(0, |m, (b, _)| m | 1 << b);
        self.buffers_in_use(row, ndim) & required
    }

    /// Whether a step with `row` keeps state for a parameter of `ndim` dimensions it steps.
    pub fn keeps_state(&self, row: &[f64], ndim: usize) -> bool {
        self.counts_steps || self.buffers_in_use(row, ndim) != 0
    }

    /// Buffer `b`'s length for a parameter of `len` elements and shape `dims` (0 past the last).
    pub fn buffer_len(&self, b: usize, len: usize, dims: Dims) -> usize {
        self.buffers.get(b).map_or(0, |buffer| buffer.extent.len(len, dims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const FIELDS: &[FieldSpec] = &[
        FieldSpec::number("lr", 1e-3, Rule::NonNegative),
        FieldSpec::pair("betas", [0.9, 0.999], Rule::UnitInterval),
        FieldSpec::torch_only("foreach", None),
        FieldSpec::flag("amsgrad", false),
    ];
    const AMSGRAD: usize = slot_of(FIELDS, "amsgrad");
    fn nesterov_like(row: &[f64]) -> Option<CrossRule> {
        (row[AMSGRAD] == 1.0 && row[0] == 0.0).then_some(CrossRule::NesterovNeedsMomentum)
    }
    static SPEC: Spec = Spec {
        name: "Test",
        fields: FIELDS,
        buffers: &[
            BufferSpec::zeros("m"),
            BufferSpec {
                name: "max",
                used: BufferUse::WhenFlag(AMSGRAD),
                required: true,
                init: BufferInit::Zeros,
                extent: Extent::Param,
            },
            BufferSpec {
                name: "buf",
                used: BufferUse::WhenNonZero(0),
                required: false,
                init: BufferInit::Group(0),
                extent: Extent::Param,
            },
        ],
        scalars: &[],
        counts_steps: true,
        eager_state: false,
        cross_check: nesterov_like,
        matrices_only: false,
        sparse_grads: false,
        int_step: false,
    };

    #[test]
    fn slots_follow_the_widths_and_torch_only_fields_take_none() {
        assert_eq!(SPEC.row_len(), 4);
        assert_eq!((SPEC.slot("lr"), SPEC.slot("betas"), SPEC.slot("amsgrad")), (0, 1, 3));
        assert_eq!(SPEC.field_of_slot(2).map(|(f, e)| (f.name, e)), Some(("betas", 1)));
        assert_eq!(SPEC.field_of_slot(3).map(|(f, e)| (f.name, e)), Some(("amsgrad", 0)));
        assert_eq!(SPEC.field_of_slot(4), None);
        let mut row = [f64::NAN; 4];
        SPEC.write_defaults(&mut row);
        assert_eq!(row, [1e-3, 0.9, 0.999, 0.0]);
    }

    #[test]
    fn rows_are_checked_slot_by_slot_then_across_fields() {
        assert_eq!(SPEC.check_row(&[1e-3, 0.9, 0.999, 0.0]), Ok(()));
        let field = |slot, value, rule| Err(InvalidHyperparameter::Field { slot, value, rule });
        assert_eq!(SPEC.check_row(&[-1.0, 1.0, 0.999, 0.5]), field(0, -1.0, Rule::NonNegative));
        assert_eq!(SPEC.check_row(&[0.0, 0.9, 1.0, 0.5]), field(2, 1.0, Rule::UnitInterval));
        assert_eq!(SPEC.check_row(&[0.0, 0.9, 0.9, 0.5]), field(3, 0.5, Rule::Flag));
        assert_eq!(SPEC.check_row(&[0.0, 0.9, 0.9, 1.0]), Err(InvalidHyperparameter::Cross(CrossRule::NesterovNeedsMomentum)));
    }

    #[test]
    fn an_extent_s_shape_holds_its_length() {
        for shape in [&[2, 3, 4][..], &[5, 7], &[6], &[]] {
            let len = shape.iter().product::<usize>();
            let dims = Dims::of_shape(shape.iter().copied(), len).unwrap();
            for extent in [Extent::Param, Extent::Rows, Extent::Cols] {
                let mut buffer = shape.to_vec();
                extent.shape(&mut buffer);
                assert_eq!(buffer.iter().product::<usize>(), extent.len(len, dims), "{extent:?} of {shape:?}");
            }
        }
        let mut shape = [2, 3, 4];
        Extent::Cols.shape(&mut shape);
        assert_eq!(shape, [2, 1, 4]);
    }

    #[test]
    fn buffers_in_use_follow_their_rules() {
        assert_eq!(SPEC.buffers_in_use(&[0.0, 0.9, 0.9, 0.0], 1), 0b001);
        assert_eq!(SPEC.buffers_in_use(&[0.1, 0.9, 0.9, 1.0], 1), 0b111);
        assert_eq!(SPEC.buffers_required(&[0.1, 0.9, 0.9, 1.0], 1), 0b011);
        assert!(SPEC.keeps_state(&[0.0, 0.9, 0.9, 0.0], 1));
    }

    #[test]
    fn the_edges_of_each_rule() {
        // The values the TypeScript suite also sends through every entry point (test/optim/boundary.test.ts).
        let below_one = 1.0 - f64::EPSILON / 2.0; // the largest f64 below 1
        let above_one = 1.0 + f64::EPSILON; // the smallest f64 above 1
                                            // value: NonNegative, UnitInterval [0, 1), Finite, ClosedUnitInterval [0, 1], OpenUnitInterval (0, 1), AboveOne
        for (value, allowed) in [
            (0.0, [true, true, true, true, false, false]),
            (-0.0, [true, true, true, true, false, false]),
            (f64::MIN_POSITIVE, [true, true, true, true, true, false]),
            (below_one, [true, true, true, true, true, false]),
            (1.0, [true, false, true, true, false, false]),
            (above_one, [true, false, true, false, false, true]),
            (-f64::MIN_POSITIVE, [false, false, true, false, false, false]),
            (f64::MAX, [true, false, true, false, false, true]),
            (-f64::MAX, [false, false, true, false, false, false]),
            (f64::INFINITY, [false, false, false, false, false, false]),
            (f64::NEG_INFINITY, [false, false, false, false, false, false]),
            (f64::NAN, [false, false, false, false, false, false]),
        ] {
            let rules = [
                Rule::NonNegative,
                Rule::UnitInterval,
                Rule::Finite,
                Rule::ClosedUnitInterval,
                Rule::OpenUnitInterval,
                Rule::AboveOne,
            ];
            assert_eq!(rules.map(|rule| rule.allows(value)), allowed, "{value}");
        }
        assert!(Rule::Flag.allows(0.0) && Rule::Flag.allows(-0.0) && Rule::Flag.allows(1.0));
        assert!(!Rule::Flag.allows(0.5) && !Rule::Flag.allows(2.0) && !Rule::Flag.allows(f64::NAN));
    }
}
