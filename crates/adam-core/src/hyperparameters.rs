//! One parameter group's options, with PyTorch's validation rules.

use core::fmt;

/// The options of one Adam parameter group, with the meaning `torch.optim.Adam` gives them.
///
/// `weight_decay` is L2 regularisation added to the gradient (`g + weight_decay * p`), not the
/// decoupled decay of AdamW; that is what PyTorch's `Adam` does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyperparameters {
    /// Learning rate, `>= 0`.
    pub lr: f64,
    /// `(beta1, beta2)`: decay rates of the first and second moment estimates, each in `[0, 1)`.
    pub betas: (f64, f64),
    /// Added to the bias-corrected `sqrt(v)` before dividing, `>= 0`.
    pub eps: f64,
    /// L2 penalty added to the gradient, `>= 0`.
    pub weight_decay: f64,
    /// Keep the running maximum of the raw second moment and divide by its square root.
    pub amsgrad: bool,
    /// Ascend the objective instead of descending it (the gradient is negated).
    pub maximize: bool,
}

impl Default for Hyperparameters {
    /// PyTorch's defaults: `lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0`.
    fn default() -> Self {
        Self { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0, amsgrad: false, maximize: false }
    }
}

/// A hyperparameter outside its valid range; names the field and the value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InvalidHyperparameter {
    /// The field as users spell it in the JavaScript API, e.g. `betas[1]`.
    pub field: &'static str,
    /// The rejected value.
    pub value: f64,
    /// The rule it broke, e.g. `must be in [0, 1)`.
    pub rule: &'static str,
}

impl fmt::Display for InvalidHyperparameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}, got {}", self.field, self.rule, self.value)
    }
}

impl std::error::Error for InvalidHyperparameter {}

impl Hyperparameters {
    /// Checks the ranges `torch.optim.Adam.__init__` checks, and additionally rejects NaN and
    /// infinities (PyTorch lets `lr=nan` through; it can only poison the weights).
    pub fn validate(&self) -> Result<(), InvalidHyperparameter> {
        let non_negative = |field, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(())
            } else {
                Err(InvalidHyperparameter { field, value, rule: "must be a finite number >= 0" })
            }
        };
        let unit_interval = |field, value: f64| {
            if (0.0..1.0).contains(&value) {
                Ok(())
            } else {
                Err(InvalidHyperparameter { field, value, rule: "must be in [0, 1)" })
            }
        };
        non_negative("lr", self.lr)?;
        non_negative("eps", self.eps)?;
        unit_interval("betas[0]", self.betas.0)?;
        unit_interval("betas[1]", self.betas.1)?;
        non_negative("weightDecay", self.weight_decay)
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
        assert!(!h.amsgrad && !h.maximize);
        assert_eq!(h.validate(), Ok(()));
    }

    #[test]
    fn rejects_each_out_of_range_field_by_name() {
        let base = Hyperparameters::default();
        let cases = [
            (Hyperparameters { lr: -1e-3, ..base }, "lr must be a finite number >= 0, got -0.001"),
            (Hyperparameters { eps: f64::NAN, ..base }, "eps must be a finite number >= 0, got NaN"),
            (Hyperparameters { betas: (1.0, 0.999), ..base }, "betas[0] must be in [0, 1), got 1"),
            (Hyperparameters { betas: (0.9, -0.1), ..base }, "betas[1] must be in [0, 1), got -0.1"),
            (Hyperparameters { weight_decay: f64::INFINITY, ..base }, "weightDecay must be a finite number >= 0, got inf"),
        ];
        for (hyper, message) in cases {
            assert_eq!(hyper.validate().unwrap_err().to_string(), message);
        }
    }
}
