//! The SGD step against values derived by hand, and the 4-lane kernel against the scalar reference.
//!
//! Hand derivations follow torch's `_single_tensor_sgd` (see `src/algorithms/sgd.rs`). Every
//! expected value is written as the same f32 operations in the same order, each rounded on its
//! own (torch's kernels without FMA), so the comparisons are exact.

// The derivations spell torch's operations out literally (`buf * momentum + 1.0 * g` with `g = -1`).
#![allow(clippy::neg_multiply, clippy::identity_op)]

// See the convention atop tests/adam.rs: every test also runs on wasm32 with simd128.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use optim_core::algorithms::sgd::{step_scalar, step_simd, Hyperparameters, Sgd, SGD};
use optim_core::algorithms::step_param;
use optim_core::kernel::Kernel;
use optim_core::ParamState;

fn step(hyper: &Hyperparameters, state: &mut Option<ParamState>, param: &mut [f32], grad: &[f32]) {
    step_param::<Sgd>(&SGD, &hyper.to_row(), state, param, grad, Kernel::Simd);
}

#[test]
fn plain_sgd_is_p_minus_lr_g_and_keeps_no_buffer() {
    let hyper = Hyperparameters { lr: 0.1, ..Hyperparameters::default() };
    let mut state = None;
    let mut param = vec![1.0_f32, -2.0, 0.0];
    step(&hyper, &mut state, &mut param, &[0.5, -4.0, 3.0]);
    // param.add_(grad, alpha=-lr): p + f32(-0.1) * g
    let lr = -0.1_f32;
    assert_eq!(param, [1.0 + lr * 0.5, -2.0 + lr * -4.0, 0.0 + lr * 3.0]);
    assert!(state.is_none(), "torch keeps no state while momentum is 0");
}

#[test]
fn momentum_starts_from_the_gradient_then_accumulates_with_dampening() {
    // torch.optim.SGD(lr=0.1, momentum=0.9, dampening=0.25, weight_decay=0.5)
    let hyper = Hyperparameters { lr: 0.1, momentum: 0.9, dampening: 0.25, weight_decay: 0.5, ..Hyperparameters::default() };
    let (lr, m, wd, one_minus_d) = (-0.1_f32, 0.9_f32, 0.5_f32, 0.75_f32);
    let mut state = None;
    let mut param = vec![2.0_f32];
    step(&hyper, &mut state, &mut param, &[1.0]);
    // g = 1 + 0.5 * 2 = 2;  buf = g.clone() = 2 (no dampening at the first step);  p = 2 - 0.1 * 2
    let g1 = 1.0 + wd * 2.0;
    let p1 = 2.0 + lr * g1;
    assert_eq!((param[0], state.as_ref().unwrap().buffer(0).unwrap()[0]), (p1, g1));

    step(&hyper, &mut state, &mut param, &[-3.0]);
    // g = -3 + 0.5 * p1;  buf = buf * 0.9 + 0.75 * g;  p = p1 - 0.1 * buf
    let g2 = -3.0 + wd * p1;
    let buf2 = g1 * m + one_minus_d * g2;
    assert_eq!((param[0], state.as_ref().unwrap().buffer(0).unwrap()[0]), (p1 + lr * buf2, buf2));
}

#[test]
fn nesterov_steps_along_the_gradient_plus_momentum_times_the_buffer() {
    let hyper = Hyperparameters { lr: 0.5, momentum: 0.75, nesterov: true, ..Hyperparameters::default() };
    let (lr, m) = (-0.5_f32, 0.75_f32);
    let mut state = None;
    let mut param = vec![1.0_f32, 1.0];
    step(&hyper, &mut state, &mut param, &[1.0, -1.0]);
    // buf = g;  d = g + 0.75 * buf;  p = 1 - 0.5 * d
    let d = [1.0 + m * 1.0, -1.0 + m * -1.0];
    let p1 = [1.0 + lr * d[0], 1.0 + lr * d[1]];
    assert_eq!(param, p1);
    step(&hyper, &mut state, &mut param, &[2.0, 0.0]);
    // buf = buf * 0.75 + 1 * g;  d = g + 0.75 * buf
    let buf = [1.0 * m + 1.0 * 2.0, -1.0 * m + 1.0 * 0.0];
    let d = [2.0 + m * buf[0], 0.0 + m * buf[1]];
    assert_eq!(param, [p1[0] + lr * d[0], p1[1] + lr * d[1]]);
    assert_eq!(state.as_ref().unwrap().buffer(0).unwrap(), buf);
}

#[test]
fn maximize_is_a_step_on_the_negated_gradient() {
    let grad = [0.3_f32, -1.5, 0.0, 7.0, -0.25];
    let negated: Vec<f32> = grad.iter().map(|g| -g).collect();
    let hyper = Hyperparameters { lr: 0.05, momentum: 0.9, weight_decay: 1e-2, ..Hyperparameters::default() };
    let (mut up, mut down) = (vec![1.0_f32, 2.0, 3.0, -4.0, 5.0], vec![1.0_f32, 2.0, 3.0, -4.0, 5.0]);
    let (mut s_up, mut s_down) = (None, None);
    for _ in 0..3 {
        step(&Hyperparameters { maximize: true, ..hyper }, &mut s_up, &mut up, &grad);
        step(&hyper, &mut s_down, &mut down, &negated);
    }
    assert_eq!(up, down);
    assert_eq!(s_up, s_down);
}

#[test]
fn the_scalars_are_python_floats_rounded_once_to_f32() {
    // `1 - dampening` is computed in f64 and rounded once: 1 - 0.6 = 0.4 (f64) -> 0.4f32, where f32
    // arithmetic would give 1 - 0.6f32 = 0.39999998. The check: a momentum step's buffer.
    let hyper = Hyperparameters { lr: 0.0, momentum: 1.0, dampening: 0.6, ..Hyperparameters::default() };
    assert_ne!(0.4_f32, 1.0 - 0.6_f32);
    let mut state = None;
    let mut param = vec![0.0_f32];
    step(&hyper, &mut state, &mut param, &[1.0]);
    step(&hyper, &mut state, &mut param, &[1.0]);
    assert_eq!(state.as_ref().unwrap().buffer(0).unwrap()[0], 1.0 * 1.0 + 0.4_f32 * 1.0);
    // lr 0: `alpha=-0.0`; the parameter is unchanged (p + -0 * d).
    assert_eq!(param, [0.0]);
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
    fn values(&mut self, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| {
                let (u, sign) = (self.next_f64(), if self.next_f64() < 0.5 { -1.0 } else { 1.0 });
                if u < 0.05 {
                    0.0
                } else {
                    (sign * 10f64.powf(-8.0 + 12.0 * self.next_f64())) as f32
                }
            })
            .collect()
    }
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn four_lane_kernel_is_bitwise_equal_to_the_scalar_reference() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let base = Hyperparameters { lr: 0.05, ..Hyperparameters::default() };
    let variants = [
        base,
        Hyperparameters { weight_decay: 1e-2, maximize: true, ..base },
        Hyperparameters { momentum: 0.9, ..base },
        Hyperparameters { momentum: 0.9, dampening: 0.3, weight_decay: 1e-2, ..base },
        Hyperparameters { momentum: 0.9, nesterov: true, ..base },
        Hyperparameters { momentum: 1.5, nesterov: true, weight_decay: 0.1, maximize: true, ..base },
    ];
    for hyper in variants {
        for len in (0..=37).chain([1000, 1023]) {
            let init = rng.values(len);
            let (mut p_simd, mut p_ref) = (init.clone(), init);
            let (mut b_simd, mut b_ref) = (vec![0.0_f32; len], vec![0.0_f32; len]);
            let momentum = hyper.momentum != 0.0;
            for step in 0..5 {
                let grad = rng.values(len);
                let first = step == 0;
                step_simd(&hyper, &mut p_simd, &grad, momentum.then_some(&mut b_simd[..]), first);
                step_scalar(&hyper, &mut p_ref, &grad, momentum.then_some(&mut b_ref[..]), first);
            }
            assert_eq!(bits(&p_simd), bits(&p_ref), "param, len {len}, {hyper:?}");
            assert_eq!(bits(&b_simd), bits(&b_ref), "momentum_buffer, len {len}, {hyper:?}");
        }
    }
}

#[test]
#[should_panic(expected = "buffer lengths differ")]
fn kernels_reject_mismatched_lengths() {
    let hyper = Hyperparameters { momentum: 0.9, ..Hyperparameters::default() };
    let mut buf = vec![0.0_f32; 3];
    step_simd(&hyper, &mut [0.0; 4], &[0.0; 4], Some(&mut buf), false);
}
