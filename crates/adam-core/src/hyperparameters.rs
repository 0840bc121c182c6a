//! One parameter group's options, with PyTorch's validation rules, and the flat row of `f64`s a
//! group's options travel in (so that a host can write every group's options into memory and
//! step them all with one call).

use core::fmt;

/// The options of one Adam parameter group, with the meaning `torch.optim.Adam` gives them.
///
/// `weight_decay` is L2 regularisation added to the gradient (`g + weight_decay * p`), what
/// PyTorch's `Adam` does by default; with `decoupled_weight_decay` it is AdamW's decay instead, the
/// parameter multiplied by `1 - lr * weight_decay` before the update and the gradient left alone
/// (torch 2.x's `Adam(decoupled_weight_decay=True)`, which is `torch.optim.AdamW`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyperparameters {
    /// Learning rate, `>= 0`.
    pub lr: f64,
    /// `(beta1, beta2)`: decay rates of the first and second moment estimates, each in `[0, 1)`.
    pub betas: (f64, f64),
    /// Added to the bias-corrected `sqrt(v)` before dividing, `>= 0`.
    pub eps: f64,
    /// L2 penalty added to the gradient, or with `decoupled_weight_decay` AdamW's decay rate, `>= 0`.
    pub weight_decay: f64,
    /// Keep the running maximum of the raw second moment and divide by its square root.
    pub amsgrad: bool,
    /// Ascend the objective instead of descending it (the gradient is negated).
    pub maximize: bool,
    /// Decay the parameter (`p * (1 - lr * weight_decay)`) instead of adding `weight_decay * p` to
    /// the gradient: AdamW.
    pub decoupled_weight_decay: bool,
}

impl Default for Hyperparameters {
    /// PyTorch's `Adam` defaults: `lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0`, every
    /// switch off.
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            maximize: false,
            decoupled_weight_decay: false,
        }
    }
}

impl Hyperparameters {
    /// PyTorch's `AdamW` defaults: Adam's, with `weight_decay=1e-2` and the decay decoupled.
    pub fn adamw() -> Self {
        Self { weight_decay: 1e-2, decoupled_weight_decay: true, ..Self::default() }
    }
}

/// A field of [`Hyperparameters`]; its discriminant is its slot in a [`Row`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `lr`.
    Lr = 0,
    /// `betas.0`.
    Beta1 = 1,
    /// `betas.1`.
    Beta2 = 2,
    /// `eps`.
    Eps = 3,
    /// `weight_decay`.
    WeightDecay = 4,
    /// `amsgrad`, as `0.0` or `1.0`.
    Amsgrad = 5,
    /// `maximize`, as `0.0` or `1.0`.
    Maximize = 6,
    /// `decoupled_weight_decay`, as `0.0` or `1.0`.
    DecoupledWeightDecay = 7,
}

impl Field {
    /// Every field, in slot order (which is also the order they are checked in).
    pub const ALL: [Field; 8] = [
        Field::Lr,
        Field::Beta1,
        Field::Beta2,
        Field::Eps,
        Field::WeightDecay,
        Field::Amsgrad,
        Field::Maximize,
        Field::DecoupledWeightDecay,
    ];

    /// The field's slot in a [`Row`].
    pub fn slot(self) -> usize {
        self as usize
    }

    /// The field's name in Rust (`weight_decay`); hosts name it their own way.
    pub fn name(self) -> &'static str {
        match self {
            Field::Lr => "lr",
            Field::Beta1 => "beta1",
            Field::Beta2 => "beta2",
            Field::Eps => "eps",
            Field::WeightDecay => "weight_decay",
            Field::Amsgrad => "amsgrad",
            Field::Maximize => "maximize",
            Field::DecoupledWeightDecay => "decoupled_weight_decay",
        }
    }

    /// The rule the field's values must follow.
    pub fn rule(self) -> Rule {
        match self {
            Field::Lr | Field::Eps | Field::WeightDecay => Rule::FiniteNonNegative,
            Field::Beta1 | Field::Beta2 => Rule::UnitInterval,
            Field::Amsgrad | Field::Maximize | Field::DecoupledWeightDecay => Rule::Flag,
        }
    }

    /// `Ok` if `value` follows the field's [`Rule`].
    pub fn check(self, value: f64) -> Result<(), InvalidHyperparameter> {
        if self.rule().allows(value) {
            Ok(())
        } else {
            Err(InvalidHyperparameter { field: self, value })
        }
    }
}

/// A range rule of a hyperparameter: the single definition of what `torch.optim.Adam` accepts,
/// tightened to refuse NaN and infinities (PyTorch lets `lr=nan` through; it can only poison the
/// weights).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A finite number `>= 0` (`-0.0` included): `lr`, `eps`, `weight_decay`.
    FiniteNonNegative,
    /// In `[0, 1)`: each beta.
    UnitInterval,
    /// Exactly `0.0` (false) or `1.0` (true): the flags, in a [`Row`].
    Flag,
}

impl Rule {
    /// Whether `value` follows the rule.
    pub fn allows(self, value: f64) -> bool {
        match self {
            Rule::FiniteNonNegative => value.is_finite() && value >= 0.0,
            Rule::UnitInterval => (0.0..1.0).contains(&value),
            Rule::Flag => value == 0.0 || value == 1.0,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::FiniteNonNegative => "must be a finite number >= 0",
            Rule::UnitInterval => "must be in [0, 1)",
            Rule::Flag => "must be 0 or 1",
        })
    }
}

/// A hyperparameter outside its valid range: the field and the value (the rule is the field's).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InvalidHyperparameter {
    /// The field.
    pub field: Field,
    /// The rejected value.
    pub value: f64,
}

impl InvalidHyperparameter {
    /// The rule the value broke.
    pub fn rule(&self) -> Rule {
        self.field.rule()
    }
}

impl fmt::Display for InvalidHyperparameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}, got {}", self.field.name(), self.rule(), self.value)
    }
}

impl std::error::Error for InvalidHyperparameter {}

/// Slots per group in a row of the hyperparameter table: one per [`Field`] (a row is 64 bytes).
pub const ROW_LEN: usize = Field::ALL.len();

/// One group's hyperparameters as `f64`s, each [`Field`] at its slot; flags are `0.0` or `1.0`.
pub type Row = [f64; ROW_LEN];

fn flag(on: bool) -> f64 {
    f64::from(u8::from(on))
}

impl Hyperparameters {
    /// Checks the ranges `torch.optim.Adam.__init__` checks (see [`Rule`]), field by field in
    /// [`Field::ALL`] order.
    pub fn validate(&self) -> Result<(), InvalidHyperparameter> {
        Self::from_row(&self.to_row()).map(|_| ())
    }

    /// The row holding these hyperparameters.
    pub fn to_row(&self) -> Row {
        let mut row = [0.0; ROW_LEN];
        row[Field::Lr.slot()] = self.lr;
        row[Field::Beta1.slot()] = self.betas.0;
        row[Field::Beta2.slot()] = self.betas.1;
        row[Field::Eps.slot()] = self.eps;
        row[Field::WeightDecay.slot()] = self.weight_decay;
        row[Field::Amsgrad.slot()] = flag(self.amsgrad);
        row[Field::Maximize.slot()] = flag(self.maximize);
        row[Field::DecoupledWeightDecay.slot()] = flag(self.decoupled_weight_decay);
        row
    }

    /// The hyperparameters a row holds, if every field follows its rule.
    pub fn from_row(row: &Row) -> Result<Self, InvalidHyperparameter> {
        for field in Field::ALL {
            field.check(row[field.slot()])?;
        }
        Ok(Self::from_row_unchecked(row))
    }

    /// The hyperparameters a row holds, without checking them: for a row [`Self::from_row`]
    /// already accepted.
    pub(crate) fn from_row_unchecked(row: &Row) -> Self {
        Self {
            lr: row[Field::Lr.slot()],
            betas: (row[Field::Beta1.slot()], row[Field::Beta2.slot()]),
            eps: row[Field::Eps.slot()],
            weight_decay: row[Field::WeightDecay.slot()],
            amsgrad: row[Field::Amsgrad.slot()] == 1.0,
            maximize: row[Field::Maximize.slot()] == 1.0,
            decoupled_weight_decay: row[Field::DecoupledWeightDecay.slot()] == 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/step.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn defaults_are_pytorchs() {
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.betas, h.eps, h.weight_decay), (1e-3, (0.9, 0.999), 1e-8, 0.0));
        assert!(!h.amsgrad && !h.maximize && !h.decoupled_weight_decay);
        assert_eq!(h.validate(), Ok(()));
        // torch.optim.AdamW: weight_decay=1e-2, decoupled; everything else Adam's.
        let w = Hyperparameters::adamw();
        assert_eq!((w.lr, w.betas, w.eps, w.weight_decay), (1e-3, (0.9, 0.999), 1e-8, 1e-2));
        assert!(w.decoupled_weight_decay && !w.amsgrad && !w.maximize);
    }

    #[test]
    fn rejects_each_out_of_range_field_by_name() {
        let base = Hyperparameters::default();
        let cases = [
            (Hyperparameters { lr: -1e-3, ..base }, "lr must be a finite number >= 0, got -0.001"),
            (Hyperparameters { eps: f64::NAN, ..base }, "eps must be a finite number >= 0, got NaN"),
            (Hyperparameters { betas: (1.0, 0.999), ..base }, "beta1 must be in [0, 1), got 1"),
            (Hyperparameters { betas: (0.9, -0.1), ..base }, "beta2 must be in [0, 1), got -0.1"),
            (Hyperparameters { weight_decay: f64::INFINITY, ..base }, "weight_decay must be a finite number >= 0, got inf"),
        ];
        for (hyper, message) in cases {
            assert_eq!(hyper.validate().unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn the_edges_of_each_rule() {
        // The values the TypeScript suite also sends through every entry point (test/boundary.test.ts).
        let below_one = 1.0 - f64::EPSILON / 2.0; // the largest f64 below 1
        for (value, finite_non_negative, unit_interval) in [
            (0.0, true, true),
            (-0.0, true, true),
            (below_one, true, true),
            (1.0, true, false),
            (f64::MIN_POSITIVE, true, true),
            (-f64::MIN_POSITIVE, false, false),
            (f64::MAX, true, false),
            (f64::INFINITY, false, false),
            (f64::NEG_INFINITY, false, false),
            (f64::NAN, false, false),
        ] {
            assert_eq!(Rule::FiniteNonNegative.allows(value), finite_non_negative, "{value}");
            assert_eq!(Rule::UnitInterval.allows(value), unit_interval, "{value}");
        }
        assert!(Rule::Flag.allows(0.0) && Rule::Flag.allows(-0.0) && Rule::Flag.allows(1.0));
        assert!(!Rule::Flag.allows(0.5) && !Rule::Flag.allows(2.0) && !Rule::Flag.allows(f64::NAN));
    }

    #[test]
    fn rows_round_trip_and_flags_must_be_zero_or_one() {
        let hyper = Hyperparameters {
            lr: 0.1,
            betas: (0.5, 0.25),
            eps: 1e-6,
            weight_decay: 0.01,
            amsgrad: true,
            maximize: false,
            decoupled_weight_decay: true,
        };
        let row = hyper.to_row();
        assert_eq!(row, [0.1, 0.5, 0.25, 1e-6, 0.01, 1.0, 0.0, 1.0]);
        assert_eq!(Hyperparameters::from_row(&row), Ok(hyper));
        let mut bad = row;
        bad[Field::Maximize.slot()] = f64::NAN;
        assert_eq!(Hyperparameters::from_row(&bad).unwrap_err().field, Field::Maximize);
        bad = row;
        bad[Field::DecoupledWeightDecay.slot()] = 0.5;
        assert_eq!(Hyperparameters::from_row(&bad).unwrap_err().field, Field::DecoupledWeightDecay);
        for (slot, field) in Field::ALL.iter().enumerate() {
            assert_eq!(field.slot(), slot);
        }
    }
}
