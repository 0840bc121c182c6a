//! Whether a buffer holds only finite numbers: the check behind the optimizer's opt-in
//! `skipNonFinite` guard, which runs it over every gradient before a step changes anything.
//!
//! Like the update, it is written once over [`Lanes`]: with `f32` it is the scalar reference
//! ([`all_finite_scalar`]), with [`F32x4`] the fast path ([`all_finite`]). The test is
//! arithmetic, with no lane compares or reductions in the loop: `x - x` is `+0` for every finite
//! `x` (subnormals and `±f32::MAX` included) and NaN for `±inf` and NaN, so a running sum of
//! `x - x` ends NaN exactly when some `x` was not finite. Only the final sum is inspected.

use super::lanes::{F32x4, Lanes};

/// Independent accumulators per iteration: enough to hide the latency of the adds.
const UNROLL: usize = 4;

/// The widest lane type this module is instantiated with (`lanes` below is sized for it).
const MAX_WIDTH: usize = 16;

#[inline(always)]
fn all_finite_lanes<L: Lanes>(values: &[f32]) -> bool {
    const { assert!(L::WIDTH <= MAX_WIDTH) };
    let n = values.len();
    let stride = L::WIDTH * UNROLL;
    let body = n - n % stride;
    let ptr = values.as_ptr();
    let mut acc = [L::splat(0.0); UNROLL];
    let mut i = 0;
    while i < body {
        for (k, sum) in acc.iter_mut().enumerate() {
            // SAFETY: i + (k + 1) * L::WIDTH <= i + stride <= body <= n, so the load is in bounds.
            let x = unsafe { L::load(ptr.add(i + k * L::WIDTH)) };
            // Deliberately `x - x`: not zero for non-finite `x` (see the module docs).
            #[allow(clippy::eq_op)]
            let zero_if_finite = x - x;
            *sum = *sum + zero_if_finite;
        }
        i += stride;
    }
    let total = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    let mut lanes = [0.0_f32; MAX_WIDTH];
    // SAFETY: `lanes` holds MAX_WIDTH >= L::WIDTH floats (checked at compile time above).
    unsafe { total.store(lanes.as_mut_ptr()) };
    lanes[..L::WIDTH].iter().all(|x| !x.is_nan()) && values[body..].iter().all(|x| x.is_finite())
}

/// True if every element is finite (no NaN, no infinity); the 4-lane fast path.
///
/// ```
/// use optim_core::kernel::finite::all_finite;
/// assert!(all_finite(&[1.0, -0.0, f32::MAX, f32::MIN_POSITIVE / 2.0]));
/// assert!(!all_finite(&[1.0, 2.0, f32::NAN]));
/// assert!(!all_finite(&[f32::NEG_INFINITY]));
/// ```
pub fn all_finite(values: &[f32]) -> bool {
    all_finite_lanes::<F32x4>(values)
}

/// The scalar reference of [`all_finite`], one element at a time.
pub fn all_finite_scalar(values: &[f32]) -> bool {
    all_finite_lanes::<f32>(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const SPECIAL: [f32; 3] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
    const EDGE_FINITE: [f32; 6] = [0.0, -0.0, f32::MAX, f32::MIN, f32::MIN_POSITIVE, 1e-45];

    #[test]
    fn finite_buffers_of_every_length_pass() {
        for len in 0..80 {
            let values: Vec<f32> =
                (0..len).map(|i| EDGE_FINITE[i % EDGE_FINITE.len()] * if i % 3 == 0 { -1.0 } else { 1.0 }).collect();
            assert!(all_finite(&values), "len {len}");
            assert!(all_finite_scalar(&values), "len {len}");
        }
    }

    #[test]
    fn one_non_finite_value_anywhere_fails_both_paths() {
        // Every length up to several strides, every position (body and tail), every special value.
        for len in 1..70 {
            for pos in 0..len {
                for bad in SPECIAL {
                    let mut values = vec![1.5_f32; len];
                    values[pos] = bad;
                    assert!(!all_finite(&values), "len {len}, {bad} at {pos}");
                    assert!(!all_finite_scalar(&values), "len {len}, {bad} at {pos}");
                }
            }
        }
    }

    #[test]
    fn opposite_infinities_do_not_cancel() {
        // inf - inf is NaN per element, so +inf in one lane and -inf in another still fail.
        let mut values = vec![0.0_f32; 64];
        values[3] = f32::INFINITY;
        values[7] = f32::NEG_INFINITY;
        assert!(!all_finite(&values));
    }

    #[test]
    fn matches_is_finite_on_a_pseudo_random_mix() {
        let mut seed = 0x2545_f491_u32;
        for _ in 0..2_000 {
            let len = (seed % 200) as usize;
            let values: Vec<f32> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    // Mostly finite, with about one in 300 elements a NaN or an infinity.
                    if seed % 300 == 0 {
                        SPECIAL[(seed / 300 % 3) as usize]
                    } else {
                        f32::from_bits(seed & 0x7f7f_ffff) * if seed & 1 == 0 { 1.0 } else { -1.0 }
                    }
                })
                .collect();
            let expected = values.iter().all(|x| x.is_finite());
            assert_eq!(all_finite(&values), expected);
            assert_eq!(all_finite_scalar(&values), expected);
        }
    }
}
