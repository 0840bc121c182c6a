//! The Adam step against values derived by hand, and the 4-lane kernel against the scalar reference.
//!
//! Hand derivations follow PyTorch's single-tensor Adam (see `src/algorithms/adam/kernel.rs`). Expected values
//! are written as the f64 result of the derivation and compared with an f32 tolerance of a few ulp
//! of the value, since the kernel rounds every operation to f32.

// Every test of optim-core, unit or integration, also runs on wasm32 with simd128
// (scripts/test-wasm32.sh, under Node through wasm-bindgen-test-runner), where the built-in
// `#[test]` does not run. The convention: write plain `#[test]` (and `#[should_panic]`), and give
// each test module or test file this one import, which makes `#[test]` wasm-bindgen-test's on
// wasm32 only (wasm-bindgen-test is a wasm32-only dev-dependency):
//
//     #[cfg(target_arch = "wasm32")]
//     use wasm_bindgen_test::wasm_bindgen_test as test;
//
// Without it a test still compiles on wasm32 but is skipped there, so scripts/test-wasm32.sh fails
// when a test that runs natively did not run on wasm32. A test that cannot run there (threads, say)
// is `#[cfg(not(target_arch = "wasm32"))]` and has `native_only` in its path (module or name).
// Panics abort on wasm32, so `std::panic::catch_unwind` catches nothing: use `#[should_panic]`.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use optim_core::algorithms::adam::kernel::{step_scalar, step_simd, Moments, StepScalars, WeightDecay};
use optim_core::algorithms::adam::{Adam, Hyperparameters, ADAM};
use optim_core::algorithms::step_param;
use optim_core::kernel::Kernel;
use optim_core::ParamState;

/// One parameter's Adam state, stepped as the optimizer steps it (`step_param`: step count, then
/// the spec's buffers, then the kernel).
#[derive(Clone, Debug, PartialEq, Default)]
struct AdamState(Option<ParamState>);

impl AdamState {
    fn from_parts(step: u64, exp_avg: Vec<f32>, exp_avg_sq: Vec<f32>, max_exp_avg_sq: Option<Vec<f32>>) -> Self {
        Self(Some(ParamState::from_parts(step, Default::default(), [Some(exp_avg), Some(exp_avg_sq), max_exp_avg_sq])))
    }
    fn step(&mut self, hyper: &Hyperparameters, param: &mut [f32], grad: &[f32]) {
        step_param::<Adam>(&ADAM, &hyper.to_row(), &mut self.0, param, grad, Kernel::Simd);
    }
    fn step_reference(&mut self, hyper: &Hyperparameters, param: &mut [f32], grad: &[f32]) {
        step_param::<Adam>(&ADAM, &hyper.to_row(), &mut self.0, param, grad, Kernel::Reference);
    }
    fn step_count(&self) -> u64 {
        self.0.as_ref().unwrap().step_count()
    }
    fn exp_avg(&self) -> &[f32] {
        self.0.as_ref().unwrap().buffer(0).unwrap()
    }
    fn exp_avg_sq(&self) -> &[f32] {
        self.0.as_ref().unwrap().buffer(1).unwrap()
    }
    fn max_exp_avg_sq(&self) -> Option<&[f32]> {
        self.0.as_ref().unwrap().buffer(2)
    }
}

fn assert_close(actual: &[f32], expected: &[f64], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        // 4 ulp of the expected value (f32 epsilon is 2^-23), with a floor for values near 0.
        let tolerance = 4.0 * f64::from(f32::EPSILON) * e.abs().max(1e-30);
        assert!((f64::from(a) - e).abs() <= tolerance, "{what}[{i}]: got {a}, expected {e}");
    }
}

#[test]
fn first_two_steps_with_defaults_match_the_hand_derivation() {
    let hyper = Hyperparameters::default(); // lr 1e-3, betas (0.9, 0.999), eps 1e-8
    let mut param = vec![1.0_f32, -2.0];
    let mut state = AdamState::default();

    state.step(&hyper, &mut param, &[0.5, -4.0]);
    // m = 0 + 0.1 * (g - 0)                  = [0.05, -0.4]
    // v = 0 * 0.999 + 0.001 * g * g          = [0.00025, 0.016]
    // bias_correction1 = 0.1, bias_correction2 = 0.001, step_size = 1e-3 / 0.1 = 0.01
    // denom = sqrt(v) / sqrt(0.001) + 1e-8   = [0.5 + 1e-8, 4 + 1e-8]
    // p = p - 0.01 * m / denom               = [1 - 0.0005 / (0.5 + 1e-8), -2 + 0.004 / (4 + 1e-8)]
    assert_close(state.exp_avg(), &[0.05, -0.4], "exp_avg after step 1");
    assert_close(state.exp_avg_sq(), &[0.00025, 0.016], "exp_avg_sq after step 1");
    assert_close(&param, &[1.0 - 0.0005 / (0.5 + 1e-8), -2.0 + 0.004 / (4.0 + 1e-8)], "param after step 1");
    assert_eq!(state.step_count(), 1);

    let p1: Vec<f64> = param.iter().map(|&x| f64::from(x)).collect();
    state.step(&hyper, &mut param, &[0.5, 0.0]);
    // m = 0.9 * m + 0.1 * g                  = [0.095, -0.36]
    // v = 0.999 * v + 0.001 * g * g          = [0.00049975, 0.015984]
    // bias_correction1 = 0.19, bias_correction2 = 0.001999, step_size = 1e-3 / 0.19
    let step_size = 1e-3 / 0.19;
    let denom = |v: f64| v.sqrt() / 0.001999_f64.sqrt() + 1e-8;
    assert_close(state.exp_avg(), &[0.095, -0.36], "exp_avg after step 2");
    assert_close(state.exp_avg_sq(), &[0.00049975, 0.015984], "exp_avg_sq after step 2");
    assert_close(
        &param,
        &[p1[0] - step_size * 0.095 / denom(0.00049975), p1[1] + step_size * 0.36 / denom(0.015984)],
        "param after step 2",
    );
}

#[test]
fn weight_decay_is_l2_added_to_the_gradient() {
    let hyper = Hyperparameters { weight_decay: 0.5, lr: 0.1, ..Hyperparameters::default() };
    let mut param = vec![2.0_f32];
    let mut state = AdamState::default();
    state.step(&hyper, &mut param, &[1.0]);
    // g = 1 + 0.5 * 2 = 2;  m = 0.2;  v = 0.004;  denom = sqrt(0.004) / sqrt(0.001) + 1e-8 = 2 + 1e-8
    // p = 2 - (0.1 / 0.1) * 0.2 / (2 + 1e-8)
    assert_close(state.exp_avg(), &[0.2], "exp_avg");
    assert_close(state.exp_avg_sq(), &[0.004], "exp_avg_sq");
    assert_close(&param, &[2.0 - 0.2 / (2.0 + 1e-8)], "param");
}

#[test]
fn decoupled_weight_decay_scales_the_parameter_first_and_never_reaches_the_moments() {
    // torch.optim.AdamW(lr=0.1, weight_decay=0.5), i.e. Adam(..., decoupled_weight_decay=True).
    let hyper = Hyperparameters { lr: 0.1, weight_decay: 0.5, decoupled_weight_decay: true, ..Hyperparameters::default() };
    let mut param = vec![2.0_f32, -4.0];
    let mut state = AdamState::default();

    state.step(&hyper, &mut param, &[1.0, 0.0]);
    // param.mul_(1 - 0.1 * 0.5):  p = 0.95 * [2, -4]                   = [1.9, -3.8]
    // g = [1, 0] (no decay term); m = 0.1 * g = [0.1, 0]; v = 0.001 * g * g = [0.001, 0]
    // (with L2 weight decay g would be 1 + 0.5 * 2 = 2: see weight_decay_is_l2_added_to_the_gradient)
    // step_size = 0.1 / 0.1 = 1;  denom = sqrt(v) / sqrt(0.001) + 1e-8  = [1 + 1e-8, 1e-8]
    // p = p - m / denom                                                = [1.9 - 0.1 / (1 + 1e-8), -3.8]
    // The second element has a zero gradient, not none: it is decayed and otherwise left alone.
    assert_close(state.exp_avg(), &[0.1, 0.0], "exp_avg after step 1");
    assert_close(state.exp_avg_sq(), &[0.001, 0.0], "exp_avg_sq after step 1");
    assert_close(&param, &[1.9 - 0.1 / (1.0 + 1e-8), -3.8], "param after step 1");

    let p1: Vec<f64> = param.iter().map(|&x| f64::from(x)).collect();
    state.step(&hyper, &mut param, &[0.5, 0.0]);
    // p = 0.95 * p1;  m = 0.9 * 0.1 + 0.1 * 0.5 = 0.14;  v = 0.999 * 0.001 + 0.001 * 0.25 = 0.001249
    // bias_correction1 = 0.19, bias_correction2 = 0.001999, step_size = 0.1 / 0.19
    // p = 0.95 * p1 - (0.1 / 0.19) * 0.14 / (sqrt(0.001249) / sqrt(0.001999) + 1e-8);  0.95 * -3.8 = -3.61
    assert_close(state.exp_avg(), &[0.14, 0.0], "exp_avg after step 2");
    assert_close(state.exp_avg_sq(), &[0.001249, 0.0], "exp_avg_sq after step 2");
    let update = (0.1 / 0.19) * 0.14 / (0.001249_f64.sqrt() / 0.001999_f64.sqrt() + 1e-8);
    assert_close(&param, &[0.95 * p1[0] - update, 0.95 * p1[1]], "param after step 2");
}

#[test]
fn adamw_moments_are_adams_bit_for_bit() {
    // The decay touches only the parameter: AdamW's moments are those of Adam without weight decay.
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let init = rng.values(37);
    let (mut p_adam, mut p_adamw) = (init.clone(), init);
    let (mut s_adam, mut s_adamw) = (AdamState::default(), AdamState::default());
    let adam = Hyperparameters { amsgrad: true, ..Hyperparameters::default() };
    let adamw = Hyperparameters { amsgrad: true, ..Hyperparameters::adamw() };
    for _ in 0..5 {
        let grad = rng.values(37);
        s_adam.step(&adam, &mut p_adam, &grad);
        s_adamw.step(&adamw, &mut p_adamw, &grad);
    }
    assert_eq!(bits(s_adam.exp_avg()), bits(s_adamw.exp_avg()));
    assert_eq!(bits(s_adam.exp_avg_sq()), bits(s_adamw.exp_avg_sq()));
    assert_eq!(s_adam.max_exp_avg_sq().map(bits), s_adamw.max_exp_avg_sq().map(bits));
    assert_ne!(bits(&p_adam), bits(&p_adamw));
}

#[test]
fn the_decoupled_factor_is_computed_in_f64_then_rounded_once() {
    // Python computes `1 - lr * weight_decay` in f64 (1 - 0.3 * 0.3 = 0.91), and `param.mul_` rounds
    // that float to the float32 tensor's type: 0.91f32 = 0.91000003. The same in f32 arithmetic
    // would give 0.90999997, one ulp below.
    let hyper = Hyperparameters { lr: 0.3, weight_decay: 0.3, decoupled_weight_decay: true, ..Hyperparameters::default() };
    assert_eq!(StepScalars::new(&hyper, 1).weight_decay, WeightDecay::Decoupled(0.91));
    assert_ne!(0.91_f32, 1.0 - 0.3_f32 * 0.3_f32);
    // As PyTorch's `if weight_decay != 0:`, decided on the f64: none at 0, a branch otherwise
    // (even one whose f32 coefficient is 0 or whose factor is 1).
    for decoupled_weight_decay in [false, true] {
        let zero = Hyperparameters { weight_decay: 0.0, decoupled_weight_decay, ..hyper };
        assert_eq!(StepScalars::new(&zero, 1).weight_decay, WeightDecay::None);
    }
    let tiny = Hyperparameters { weight_decay: 1e-50, ..Hyperparameters::default() };
    assert_eq!(StepScalars::new(&tiny, 1).weight_decay, WeightDecay::L2(0.0));
    assert_eq!(
        StepScalars::new(&Hyperparameters { decoupled_weight_decay: true, ..tiny }, 1).weight_decay,
        WeightDecay::Decoupled(1.0)
    );
}

#[test]
fn maximize_is_a_step_on_the_negated_gradient() {
    let grad = [0.3_f32, -1.5, 0.0, 7.0, -0.25];
    let negated: Vec<f32> = grad.iter().map(|g| -g).collect();
    let hyper = Hyperparameters { weight_decay: 1e-2, ..Hyperparameters::default() };
    let (mut up, mut down) = (vec![1.0_f32, 2.0, 3.0, -4.0, 5.0], vec![1.0_f32, 2.0, 3.0, -4.0, 5.0]);
    let (mut s_up, mut s_down) = (AdamState::default(), AdamState::default());
    for _ in 0..3 {
        s_up.step(&Hyperparameters { maximize: true, ..hyper }, &mut up, &grad);
        s_down.step(&hyper, &mut down, &negated);
    }
    assert_eq!(up, down);
    assert_eq!(s_up, s_down);
}

#[test]
fn amsgrad_keeps_the_maximum_of_the_raw_second_moment() {
    let hyper = Hyperparameters { amsgrad: true, lr: 0.1, ..Hyperparameters::default() };
    let mut param = vec![0.0_f32];
    let mut state = AdamState::default();
    state.step(&hyper, &mut param, &[1.0]);
    // v1 = 0.001 * 1 = 0.001, max = 0.001; p1 = 0 - 1 * 0.1 / (1 + 1e-8)
    state.step(&hyper, &mut param, &[0.0]);
    // v2 = 0.999 * 0.001 = 0.000999 < max, so max stays 0.001 (the raw v, not v_hat):
    // m2 = 0.09, bias_correction1 = 0.19, bias_correction2 = 0.001999
    // p2 = p1 - (0.1 / 0.19) * 0.09 / (sqrt(0.001) / sqrt(0.001999) + 1e-8)
    // (a max over v_hat would compare v_hat1 = 1 with v_hat2 = 0.4997... and keep 1 instead.)
    assert_close(state.max_exp_avg_sq().unwrap(), &[0.001], "max_exp_avg_sq");
    assert_close(state.exp_avg_sq(), &[0.000999], "exp_avg_sq");
    let p1 = -0.1 / (1.0 + 1e-8);
    let p2 = p1 - (0.1 / 0.19) * 0.09 / (0.001_f64.sqrt() / 0.001999_f64.sqrt() + 1e-8);
    assert_close(&param, &[p2], "param");
}

#[test]
fn step_scalars_are_computed_in_f64_and_rounded_once() {
    let hyper = Hyperparameters { lr: 0.1, betas: (0.9, 0.999), eps: 1e-8, ..Hyperparameters::default() };
    let s = StepScalars::new(&hyper, 3);
    // bias_correction1 = 1 - 0.9^3 = 0.271; bias_correction2 = 1 - 0.999^3 = 0.002997001
    assert_eq!(s.neg_step_size, (-0.1 / (1.0 - 0.9_f64.powi(3))) as f32);
    assert_eq!(s.bias_correction2_sqrt, (1.0 - 0.999_f64.powi(3)).sqrt() as f32);
    assert_eq!((s.exp_avg_weight, s.one_minus_beta2), ((1.0 - 0.9_f64) as f32, (1.0 - 0.999_f64) as f32));
}

#[test]
fn non_finite_gradients_propagate_as_in_pytorch() {
    let mut param = vec![1.0_f32, 1.0];
    let mut state = AdamState::default();
    state.step(&Hyperparameters { amsgrad: true, ..Hyperparameters::default() }, &mut param, &[f32::NAN, 1.0]);
    assert!(param[0].is_nan() && state.exp_avg()[0].is_nan() && state.max_exp_avg_sq().unwrap()[0].is_nan());
    assert!(param[1].is_finite());
}

/// xorshift64*: a tiny deterministic generator, enough for test data.
struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Signed values with magnitudes spread over 1e-8..1e4, and some exact zeros.
    fn value(&mut self) -> f32 {
        let (u, sign) = (self.next_f64(), if self.next_f64() < 0.5 { -1.0 } else { 1.0 });
        if u < 0.05 {
            0.0
        } else {
            (sign * 10f64.powf(-8.0 + 12.0 * self.next_f64())) as f32
        }
    }
    fn values(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.value()).collect()
    }
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn four_lane_kernel_is_bitwise_equal_to_the_scalar_reference() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let variants = [
        Hyperparameters::default(),
        Hyperparameters { weight_decay: 1e-2, ..Hyperparameters::default() },
        Hyperparameters { amsgrad: true, ..Hyperparameters::default() },
        Hyperparameters { maximize: true, ..Hyperparameters::default() },
        // beta1 < 0.5 takes torch.lerp's other formula.
        Hyperparameters {
            lr: 5e-2,
            betas: (0.3, 0.95),
            eps: 1e-6,
            weight_decay: 1e-2,
            amsgrad: true,
            maximize: true,
            decoupled_weight_decay: false,
        },
        // AdamW: torch.optim.AdamW's defaults, then every other switch with it.
        Hyperparameters::adamw(),
        Hyperparameters { amsgrad: true, ..Hyperparameters::adamw() },
        Hyperparameters { maximize: true, weight_decay: 0.3, lr: 0.3, ..Hyperparameters::adamw() },
        Hyperparameters { betas: (0.3, 0.95), amsgrad: true, maximize: true, ..Hyperparameters::adamw() },
    ];
    for hyper in variants {
        for len in (0..=37).chain([1000, 1023]) {
            let init = rng.values(len);
            let (mut p_simd, mut p_ref) = (init.clone(), init);
            let mut s_simd = AdamState::default();
            let mut s_ref = s_simd.clone();
            for _ in 0..5 {
                let grad = rng.values(len);
                s_simd.step(&hyper, &mut p_simd, &grad);
                s_ref.step_reference(&hyper, &mut p_ref, &grad);
            }
            assert_eq!(bits(&p_simd), bits(&p_ref), "param, len {len}, {hyper:?}");
            assert_eq!(bits(s_simd.exp_avg()), bits(s_ref.exp_avg()), "exp_avg, len {len}");
            assert_eq!(bits(s_simd.exp_avg_sq()), bits(s_ref.exp_avg_sq()), "exp_avg_sq, len {len}");
            assert_eq!(s_simd.max_exp_avg_sq().map(bits), s_ref.max_exp_avg_sq().map(bits));
        }
    }
}

#[test]
#[should_panic(expected = "buffer lengths differ")]
fn kernels_reject_mismatched_lengths() {
    let scalars = StepScalars::new(&Hyperparameters::default(), 1);
    let (mut p, mut m, mut v) = (vec![0.0_f32; 4], vec![0.0_f32; 4], vec![0.0_f32; 3]);
    let _ = step_scalar; // both entry points are public API
    step_simd(&mut p, &[0.0; 4], Moments { exp_avg: &mut m, exp_avg_sq: &mut v, max_exp_avg_sq: None }, &scalars);
}

#[test]
fn skipping_the_division_by_an_exact_one_late_in_training_changes_no_bit() {
    // Once sqrt(1 - beta2^step) rounds to 1.0 in f32, the 4-lane kernel skips that division.
    // Find where that happens for beta2 = 0.999, and step both kernels across it.
    let hyper = Hyperparameters::default();
    let first_one = (1..100_000u64).find(|&t| StepScalars::new(&hyper, t).bias_correction2_sqrt == 1.0).unwrap();
    assert!((16_000..17_000).contains(&first_one), "threshold at step {first_one}");
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let variants = [
        hyper,
        Hyperparameters { weight_decay: 1e-2, maximize: true, ..hyper },
        Hyperparameters { amsgrad: true, betas: (0.3, 0.999), ..hyper },
        Hyperparameters { maximize: true, ..Hyperparameters::adamw() },
        Hyperparameters { amsgrad: true, betas: (0.3, 0.999), ..Hyperparameters::adamw() },
    ];
    for variant in variants {
        for len in [3, 4, 37, 1000] {
            let init = rng.values(len);
            let (mut p_simd, mut p_ref) = (init.clone(), init);
            let moments = |rng: &mut Rng| rng.values(len).into_iter().map(f32::abs).collect::<Vec<f32>>();
            let max = variant.amsgrad.then(|| moments(&mut rng));
            let mut s_simd = AdamState::from_parts(first_one - 5, rng.values(len), moments(&mut rng), max);
            let mut s_ref = s_simd.clone();
            for _ in 0..10 {
                let grad = rng.values(len);
                s_simd.step(&variant, &mut p_simd, &grad);
                s_ref.step_reference(&variant, &mut p_ref, &grad);
                assert_eq!(bits(&p_simd), bits(&p_ref), "param at step {}, len {len}, {variant:?}", s_simd.step_count());
                assert_eq!(bits(s_simd.exp_avg_sq()), bits(s_ref.exp_avg_sq()));
            }
        }
    }
}
