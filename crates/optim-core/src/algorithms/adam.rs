//! `torch.optim.Adam` and `torch.optim.AdamW` (torch 2.15, single-tensor path): their specs, and
//! the step they share ([`kernel`]). torch's `AdamW` is literally `Adam` with
//! `decoupled_weight_decay=True` and `weight_decay=1e-2`; so is lucid-optim's.

pub mod kernel;

use super::{Algorithm, Target};
use crate::kernel::Kernel;
use crate::schema::{slot_of, BufferSpec, BufferUse, FieldSpec, Rule, Spec};

use kernel::{Moments, ScalarMemo};

/// `Adam.__init__`'s `defaults`, in its order.
const FIELDS: &[FieldSpec] = &[
    FieldSpec::number("lr", 1e-3, Rule::NonNegative),
    FieldSpec::pair("betas", [0.9, 0.999], Rule::UnitInterval),
    FieldSpec::number("eps", 1e-8, Rule::NonNegative),
    FieldSpec::number("weight_decay", 0.0, Rule::NonNegative),
    FieldSpec::flag("amsgrad", false),
    FieldSpec::flag("maximize", false),
    FieldSpec::torch_only("foreach", None),
    FieldSpec::torch_only("capturable", Some(false)),
    FieldSpec::torch_only("differentiable", Some(false)),
    FieldSpec::torch_only("fused", None),
    FieldSpec::flag("decoupled_weight_decay", false),
];

/// `AdamW.__init__`: Adam's, with `weight_decay=1e-2` and the decay always decoupled.
const ADAMW_FIELDS: &[FieldSpec] = &[
    FIELDS[0],
    FIELDS[1],
    FIELDS[2],
    FieldSpec::number("weight_decay", 1e-2, Rule::NonNegative),
    FIELDS[4],
    FIELDS[5],
    FIELDS[6],
    FIELDS[7],
    FIELDS[8],
    FIELDS[9],
    FieldSpec::fixed_flag("decoupled_weight_decay", true),
];

const LR: usize = slot_of(FIELDS, "lr");
const BETAS: usize = slot_of(FIELDS, "betas");
const EPS: usize = slot_of(FIELDS, "eps");
const WEIGHT_DECAY: usize = slot_of(FIELDS, "weight_decay");
const AMSGRAD: usize = slot_of(FIELDS, "amsgrad");
const MAXIMIZE: usize = slot_of(FIELDS, "maximize");
const DECOUPLED_WEIGHT_DECAY: usize = slot_of(FIELDS, "decoupled_weight_decay");
const ROW_LEN: usize = ADAM.row_len();

/// torch's `state[p]`: `exp_avg`, `exp_avg_sq`, and with AMSGrad `max_exp_avg_sq` (torch raises a
/// `KeyError` if a loaded state lacks one it uses).
const BUFFERS: &[BufferSpec] = &[
    BufferSpec::zeros("exp_avg"),
    BufferSpec::zeros("exp_avg_sq"),
    BufferSpec::zeros("max_exp_avg_sq").when(BufferUse::WhenFlag(AMSGRAD)),
];
const EXP_AVG: usize = 0;
const EXP_AVG_SQ: usize = 1;
const MAX_EXP_AVG_SQ: usize = 2;

/// `torch.optim.Adam`.
pub static ADAM: Spec = Spec { name: "Adam", fields: FIELDS, buffers: BUFFERS, ..Spec::BASE };

/// `torch.optim.AdamW`.
pub static ADAMW: Spec = Spec { name: "AdamW", fields: ADAMW_FIELDS, buffers: BUFFERS, ..Spec::BASE };

hyperparameters!(
    /// `weight_decay` is L2 regularisation added to the gradient (`g + weight_decay * p`), what
    /// torch's `Adam` does by default; with `decoupled_weight_decay` it is AdamW's decay instead, the
    /// parameter multiplied by `1 - lr * weight_decay` before the update and the gradient left alone.
    ADAM {
        /// Learning rate, `>= 0`.
        lr: number = LR,
        /// `(beta1, beta2)`: decay rates of the first and second moment estimates, each in `[0, 1)`.
        betas: pair = BETAS,
        /// Added to the bias-corrected `sqrt(v)` before dividing, `>= 0`.
        eps: number = EPS,
        /// L2 penalty added to the gradient, or with `decoupled_weight_decay` AdamW's decay rate, `>= 0`.
        weight_decay: number = WEIGHT_DECAY,
        /// Keep the running maximum of the raw second moment and divide by its square root.
        amsgrad: flag = AMSGRAD,
        /// Ascend the objective instead of descending it (the gradient is negated).
        maximize: flag = MAXIMIZE,
        /// Decay the parameter (`p * (1 - lr * weight_decay)`) instead of adding `weight_decay * p`
        /// to the gradient: AdamW.
        decoupled_weight_decay: flag = DECOUPLED_WEIGHT_DECAY,
    }
);

impl Hyperparameters {
    /// torch's `AdamW` defaults: Adam's, with `weight_decay=1e-2` and the decay decoupled.
    pub fn adamw() -> Self {
        let mut row = [0.0; ROW_LEN];
        ADAMW.write_defaults(&mut row);
        Self::from_row(&row)
    }
}

/// The Adam step (AdamW's too: the row says how weight decay enters).
pub struct Adam;

impl Algorithm for Adam {
    type Hyperparameters = Hyperparameters;
    const SPLITS_BY_ELEMENT: bool = true;
    type Memo = ScalarMemo;

    fn begin_group(memo: &mut ScalarMemo) {
        memo.begin_group();
    }

    fn step(hyper: &Hyperparameters, memo: &mut ScalarMemo, target: Target<'_>, kernel: Kernel) {
        let Target { param, grad, step, buffers, .. } = target;
        let [exp_avg, exp_avg_sq, max_exp_avg_sq] = buffers;
        let moments = Moments {
            exp_avg: exp_avg.expect("exp_avg is always in use"),
            exp_avg_sq: exp_avg_sq.expect("exp_avg_sq is always in use"),
            // In use exactly while AMSGrad is on: a state that once had it keeps its buffer unused.
            max_exp_avg_sq,
        };
        let scalars = memo.get(hyper, step);
        match kernel {
            Kernel::Simd => kernel::step_simd(param, grad, moments, &scalars),
            #[cfg(feature = "reference-kernel")]
            Kernel::Reference => kernel::step_scalar(param, grad, moments, &scalars),
        }
    }
}

// The buffer indices above are the spec's order.
const _: () = assert!(EXP_AVG == 0 && EXP_AVG_SQ == 1 && MAX_EXP_AVG_SQ == 2 && BUFFERS.len() == 3);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::InvalidHyperparameter;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn defaults_are_torchs() {
        let h = Hyperparameters::default();
        assert_eq!((h.lr, h.betas, h.eps, h.weight_decay), (1e-3, (0.9, 0.999), 1e-8, 0.0));
        assert!(!h.amsgrad && !h.maximize && !h.decoupled_weight_decay);
        // torch.optim.AdamW: weight_decay=1e-2, decoupled; everything else Adam's.
        let w = Hyperparameters::adamw();
        assert_eq!((w.lr, w.betas, w.eps, w.weight_decay), (1e-3, (0.9, 0.999), 1e-8, 1e-2));
        assert!(w.decoupled_weight_decay && !w.amsgrad && !w.maximize);
        assert_eq!(ADAM.check_row(&h.to_row()), Ok(()));
        assert_eq!(ADAMW.row_len(), ADAM.row_len());
    }

    #[test]
    fn rejects_each_out_of_range_field_by_slot() {
        let base = Hyperparameters::default();
        let field = |slot, value, rule| Err(InvalidHyperparameter::Field { slot, value, rule });
        let check = |h: Hyperparameters| ADAM.check_row(&h.to_row());
        assert_eq!(check(Hyperparameters { lr: -1e-3, ..base }), field(LR, -1e-3, Rule::NonNegative));
        assert!(matches!(check(Hyperparameters { eps: f64::NAN, ..base }), Err(InvalidHyperparameter::Field { slot: EPS, .. })));
        assert_eq!(check(Hyperparameters { betas: (1.0, 0.999), ..base }), field(BETAS, 1.0, Rule::UnitInterval));
        assert_eq!(check(Hyperparameters { betas: (0.9, -0.1), ..base }), field(BETAS + 1, -0.1, Rule::UnitInterval));
        let inf = Hyperparameters { weight_decay: f64::INFINITY, ..base };
        assert_eq!(check(inf), field(WEIGHT_DECAY, f64::INFINITY, Rule::NonNegative));
        let mut row = base.to_row();
        row[MAXIMIZE] = 0.5;
        assert_eq!(ADAM.check_row(&row), field(MAXIMIZE, 0.5, Rule::Flag));
    }

    #[test]
    fn rows_round_trip() {
        let hyper = Hyperparameters {
            lr: 0.1,
            betas: (0.5, 0.25),
            eps: 1e-6,
            weight_decay: 0.01,
            amsgrad: true,
            maximize: false,
            decoupled_weight_decay: true,
        };
        assert_eq!(hyper.to_row(), [0.1, 0.5, 0.25, 1e-6, 0.01, 1.0, 0.0, 1.0]);
        assert_eq!(Hyperparameters::from_row(&hyper.to_row()), hyper);
    }
}
