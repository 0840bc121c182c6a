//! The loop every element-wise algorithm shares: one parameter's values, its gradient and `N`
//! state buffers of the same length, walked `L::WIDTH` elements at a time, then the scalar tail.
//! An algorithm writes only its per-element update ([`Update::apply`]), generic over the lane type,
//! so that the scalar reference and the four-lane kernel are the same code and produce the same bits.
//! [`step`] runs one with the kernel asked for.

use super::{F32x4, Kernel, Lanes};

/// One element's update (or `WIDTH` of them): the new parameter and state from the old ones and
/// the gradient. Implemented by a struct holding the step's scalars, already rounded to `f32` where
/// torch rounds them; `apply` splats them (loop-invariant: the compiler hoists the splats).
pub trait Update<const N: usize> {
    /// `(param, state)` after the step, from `param`, `grad` and `state` before it.
    fn apply<L: Lanes>(&self, param: L, grad: L, state: [L; N]) -> (L, [L; N]);
}

/// Runs `update` over every element: `L::WIDTH` at a time, then one at a time for the tail.
///
/// # Panics
/// If `grad` or a state buffer has a different length from `param`.
#[inline(always)]
pub fn run<L: Lanes, U: Update<N> + Copy, const N: usize>(update: &U, param: &mut [f32], grad: &[f32], state: [&mut [f32]; N]) {
    // A local copy: its scalars live in registers (or are splatted once) for the whole loop, which a
    // read through the reference, as far as the optimizer can prove, might not.
    let update = *update;
    let n = param.len();
    // `assert!`, not `assert_eq!`: no Debug formatting in the shipped .wasm.
    assert!(grad.len() == n && state.iter().all(|s| s.len() == n), "buffer lengths differ");
    let (p, g) = (param.as_mut_ptr(), grad.as_ptr());
    let s = state.map(<[f32]>::as_mut_ptr);
    let body = n - n % L::WIDTH;
    let mut i = 0;
    // SAFETY: every buffer holds n floats (checked above); the body reads and writes L::WIDTH
    // floats at i + L::WIDTH <= body <= n, the tail one float at i < n.
    unsafe {
        while i < body {
            let (new_p, new_s) = update.apply(L::load(p.add(i)), L::load(g.add(i)), s.map(|b| L::load(b.add(i))));
            new_p.store(p.add(i));
            for (b, v) in s.iter().zip(new_s) {
                v.store(b.add(i));
            }
            i += L::WIDTH;
        }
        while i < n {
            let (new_p, new_s) = update.apply::<f32>(*p.add(i), *g.add(i), s.map(|b| *b.add(i)));
            *p.add(i) = new_p;
            for (b, v) in s.iter().zip(new_s) {
                *b.add(i) = v;
            }
            i += 1;
        }
    }
}

/// Runs `update` with `kernel`: [`Kernel::Simd`] four lanes at a time (then the tail), or the scalar
/// reference one element at a time. Bitwise the same results either way.
///
/// # Panics
/// As [`run`].
#[inline(always)]
pub fn step<U: Update<N> + Copy, const N: usize>(
    kernel: Kernel,
    update: &U,
    param: &mut [f32],
    grad: &[f32],
    state: [&mut [f32]; N],
) {
    match kernel {
        Kernel::Simd => step_simd(update, param, grad, state),
        #[cfg(feature = "reference-kernel")]
        Kernel::Reference => run::<f32, U, N>(update, param, grad, state),
    }
}

/// The four-lane loop of one update type: a wasm function of its own for each (see
/// KERNELS_STAY_APART in scripts/build-wasm.sh, which keeps every `step_simd` from being inlined).
#[inline(never)]
fn step_simd<U: Update<N> + Copy, const N: usize>(update: &U, param: &mut [f32], grad: &[f32], state: [&mut [f32]; N]) {
    run::<F32x4, U, N>(update, param, grad, state);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::F32x4;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// p - g * b, b + 1: enough to see every element, body and tail, read and written once.
    #[derive(Clone, Copy)]
    struct Probe;
    impl Update<1> for Probe {
        fn apply<L: Lanes>(&self, param: L, grad: L, [b]: [L; 1]) -> (L, [L; 1]) {
            (param - grad * b, [b + L::splat(1.0)])
        }
    }

    #[test]
    fn every_element_once_in_the_body_and_the_tail_alike() {
        for n in 0..11 {
            let grad: Vec<f32> = (0..n).map(|i| i as f32).collect();
            let (mut p4, mut b4) = (vec![100.0_f32; n], vec![2.0_f32; n]);
            let (mut p1, mut b1) = (p4.clone(), b4.clone());
            run::<F32x4, _, 1>(&Probe, &mut p4, &grad, [&mut b4]);
            run::<f32, _, 1>(&Probe, &mut p1, &grad, [&mut b1]);
            let want: Vec<f32> = (0..n).map(|i| 100.0 - 2.0 * i as f32).collect();
            assert_eq!((&p4, &b4), (&want, &vec![3.0; n]), "n = {n}");
            assert_eq!((p1, b1), (p4, b4));
        }
    }
}
