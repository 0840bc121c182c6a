//! The element-wise parts of `torch.nn.utils.clip_grad_norm_`: a gradient's p-norm, the total norm
//! of the per-gradient norms, the clipping coefficient, and the in-place scaling.
//!
//! torch computes each gradient's norm (`torch._foreach_norm`, on CPU `linalg.vector_norm` per
//! tensor, in float32), then the same norm of the vector of those norms, then
//! `clamp(max_norm / (total + 1e-6), max=1)`, and multiplies every gradient by it.
//!
//! The 2-norm squares in `f32`, as torch does (so it overflows to infinity for gradients near
//! 1e19 and underflows to 0 near 1e-23, as torch's does), but sums only four squares in `f32`
//! before it widens the sum to `f64`: a block of [`BLOCK`] elements is sixteen interleaved `f32`
//! sums of four squares each, and those are added in `f64`. Each `f32` sum of four rounded squares
//! is within `4u` of the exact one (`u = 2^-24`, all terms positive), and the `f64` sums add
//! nothing visible, so the sum of squares is within `4u` relative and the norm within `2u` before
//! its final rounding to `f32`: at most 2.5 ulps in all, within an ulp of the exact norm in
//! practice (and of torch's, whose float32 running sums drift with the length: see the README).
//! That costs an `f32` multiply and add per element, with the widening amortised over four:
//! squaring in `f64` cost twice as much, more than a clipped step can afford. The other orders
//! accumulate in `f64`. The coefficient and the scaling are torch's float32 operations exactly.
//!
//! The order of every sum is fixed (element `i` goes to partial sum `i % 16` in blocks of 64), and
//! the partial sums combine in a fixed tree. The 4-lane loops ([`Kernel::Simd`]) keep the partial
//! sums in their lanes; the scalar reference ([`Kernel::Reference`]) is a plain loop over the
//! elements that states the same order, and the two are bitwise equal (tested). The reference is
//! not unrolled, unlike the step's: the `.wasm` (which has a size budget) does not ship it.

use super::lanes::{F32x4, Lanes, WideLanes};
use super::Kernel;

/// Partial maxima of the infinity norm: element `i` goes to partial `i % PARTIALS`. One `f32x4`
/// (an integer maximum takes a cycle: no latency to hide).
const PARTIALS: usize = 4;

/// Partial sums of squares: element `i` goes to partial sum `i % SUMS`. Sixteen are four `f32x4`
/// accumulators, enough to hide the latency of the additions (~4 cycles each).
const SUMS: usize = 16;

/// Elements summed in `f32` before widening: each of the [`SUMS`] partial sums adds four squares.
const BLOCK: usize = 4 * SUMS;

/// Which p-norm: torch's `norm_type`, restricted to the ones that are norms.
///
/// The 2-norm and the infinity norm have 4-lane loops. Any other order, 1 included, is a plain
/// loop over `pow` (exact for `p = 1`, where `pow(x, 1)` is `x`): orders other than 2 and infinity
/// are rare in clipping, and loops of their own did not fit the `.wasm`'s size budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NormType {
    /// `norm_type = 2` (torch's default): the Euclidean norm.
    Two,
    /// `norm_type = inf`: the largest magnitude.
    Inf,
    /// Any other finite `p > 0` (1 included): `(sum |x|^p)^(1/p)`.
    P(f64),
}

impl NormType {
    /// The norm of order `p`, if `p > 0` (`f64::INFINITY` included). torch's `vector_norm` also
    /// takes `0`, negative orders and `-inf` (a count of non-zeros, "norms" that shrink as values
    /// grow, the smallest magnitude): clipping by them makes no sense, so they are refused; so is NaN.
    pub fn new(p: f64) -> Option<Self> {
        match p {
            2.0 => Some(Self::Two),
            f64::INFINITY => Some(Self::Inf),
            p if p > 0.0 && p.is_finite() => Some(Self::P(p)),
            _ => None,
        }
    }
}

/// The partial sums, combined pairwise in a fixed order: `p[i] + p[i + w]` for halving `w`.
fn combine<const N: usize>(mut partials: [f64; N]) -> f64 {
    let mut width = N;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            partials[i] += partials[i + width];
        }
    }
    partials[0]
}

/// The sum of squares of `values`, one element at a time: in each block of [`BLOCK`] elements,
/// element `i` is squared and added in `f32` to partial sum `i % SUMS` of the block (four terms
/// each); each block's partial sums are then added in `f64` to the running ones.
#[cfg(feature = "reference-kernel")]
fn sum_squares_reference(values: &[f32]) -> f64 {
    let mut partials = [0.0_f64; SUMS];
    for block in values.chunks(BLOCK) {
        let mut sums = [0.0_f32; SUMS];
        for (i, &x) in block.iter().enumerate() {
            sums[i % SUMS] += x * x;
        }
        for (partial, sum) in partials.iter_mut().zip(sums) {
            *partial += f64::from(sum);
        }
    }
    combine(partials)
}

/// `values` in chunks of `N`, the last one padded with zeros: a padding zero adds `+0` to a sum of
/// squares and cannot raise a maximum, so it changes no result, and there is no scalar tail loop
/// (the `.wasm` has a size budget).
#[inline(always)]
fn for_each_chunk<const N: usize>(values: &[f32], mut chunk: impl FnMut(*const f32)) {
    let (body, tail) = values.split_at(values.len() - values.len() % N);
    let mut padded = [0.0_f32; N];
    padded[..tail.len()].copy_from_slice(tail);
    // One loop whose last chunk may be the padded copy: the loop body is emitted once.
    for start in (0..values.len()).step_by(N) {
        chunk(if start < body.len() { body[start..].as_ptr() } else { padded.as_ptr() });
    }
}

/// [`sum_squares_reference`] with `L`-wide lanes: lane `j` of accumulator `k` is partial sum `k * L::WIDTH + j`.
#[inline(always)]
fn sum_squares_lanes<L: Lanes>(values: &[f32]) -> f64 {
    const { assert!(SUMS % L::WIDTH == 0) };
    // Only the first SUMS / L::WIDTH of each are used; the rest compile away.
    let mut wide = [L::Wide::zero(); SUMS];
    for_each_chunk::<BLOCK>(values, |block| {
        let mut sums = [L::splat(0.0); SUMS];
        for row in 0..BLOCK / SUMS {
            for (k, sum) in sums.iter_mut().take(SUMS / L::WIDTH).enumerate() {
                // SAFETY: a block holds BLOCK floats, and row * SUMS + (k + 1) * L::WIDTH <= BLOCK.
                let x = unsafe { L::load(block.add(row * SUMS + k * L::WIDTH)) };
                *sum = *sum + x * x;
            }
        }
        for (w, sum) in wide.iter_mut().zip(sums).take(SUMS / L::WIDTH) {
            *w = *w + sum.widen();
        }
    });
    let mut partials = [0.0_f64; SUMS];
    for (k, w) in wide.iter().take(SUMS / L::WIDTH).enumerate() {
        // SAFETY: (k + 1) * L::WIDTH <= SUMS: the lanes fit in `partials`.
        unsafe { w.store(partials.as_mut_ptr().add(k * L::WIDTH)) };
    }
    combine(partials)
}

/// The largest magnitude in `values` (`0` if empty), NaN if any element is NaN, as torch's
/// `amax(abs(x))` propagates NaN. A maximum does not depend on the order (nor, compared as bit
/// patterns, does which NaN wins).
fn max_magnitude_reference(values: &[f32]) -> f32 {
    values.iter().fold(0.0_f32, |max, &x| max.max_magnitude(x))
}

/// [`max_magnitude_reference`] with `L`-wide lanes.
#[inline(always)]
fn max_magnitude_lanes<L: Lanes>(values: &[f32]) -> f32 {
    const { assert!(PARTIALS % L::WIDTH == 0) };
    let mut acc = [L::splat(0.0); PARTIALS];
    for_each_chunk::<PARTIALS>(values, |chunk| {
        for (k, max) in acc.iter_mut().take(PARTIALS / L::WIDTH).enumerate() {
            // SAFETY: as in `sum_lanes`.
            *max = max.max_magnitude(unsafe { L::load(chunk.add(k * L::WIDTH)) });
        }
    });
    let mut partials = [0.0_f32; PARTIALS];
    for (k, max) in acc.iter().take(PARTIALS / L::WIDTH).enumerate() {
        // SAFETY: (k + 1) * L::WIDTH <= PARTIALS.
        unsafe { max.store(partials.as_mut_ptr().add(k * L::WIDTH)) };
    }
    max_magnitude_reference(&partials)
}

/// `sum |x|^p` in `f64`, one element at a time: `pow` has no SIMD form, so both kernels use this.
fn sum_powers(values: &[f32], p: f64) -> f64 {
    let mut sum = 0.0;
    let mut i = 0;
    while i < values.len() {
        sum += f64::from(values[i].abs()).powf(p);
        // Hides the trip count from LLVM, which would otherwise unroll the loop four times around
        // the `pow` calls: a few hundred bytes of the `.wasm`'s budget for nothing (`pow` dominates).
        i = core::hint::black_box(i + 1);
    }
    sum
}

/// The sum of the squares of `values` in `f64`, as [`grad_norm`]'s 2-norm sums them (the same
/// order in both kernels: the same bits).
#[inline(always)]
pub fn sum_squares(values: &[f32], kernel: Kernel) -> f64 {
    match kernel {
        Kernel::Simd => sum_squares_lanes::<F32x4>(values),
        #[cfg(feature = "reference-kernel")]
        Kernel::Reference => sum_squares_reference(values),
    }
}

/// The `norm`-norm of one gradient, rounded once to `f32` (torch's per-tensor norm is a float32
/// tensor). NaN if an element is NaN; infinite if one is.
///
/// Inlined, so that a caller with a constant `kernel` (the `.wasm`'s) holds only that kernel.
#[inline(always)]
pub fn grad_norm(values: &[f32], norm: NormType, kernel: Kernel) -> f32 {
    match (norm, kernel) {
        (NormType::Two, Kernel::Simd) => sum_squares_lanes::<F32x4>(values).sqrt() as f32,
        #[cfg(feature = "reference-kernel")]
        (NormType::Two, Kernel::Reference) => sum_squares_reference(values).sqrt() as f32,
        (NormType::Inf, Kernel::Simd) => max_magnitude_lanes::<F32x4>(values),
        #[cfg(feature = "reference-kernel")]
        (NormType::Inf, Kernel::Reference) => max_magnitude_reference(values),
        (NormType::P(p), _) => sum_powers(values, p).powf(1.0 / p) as f32,
    }
}

/// The total norm: the same norm of the vector of per-gradient norms (torch's
/// `vector_norm(stack(norms), norm_type)`), accumulated in `f64`, rounded once to `f32`.
#[derive(Clone, Copy, Debug)]
pub struct TotalNorm {
    norm: NormType,
    /// The sum of the terms (`Two`, `P`), or the maximum (`Inf`).
    acc: f64,
}

impl TotalNorm {
    /// No gradients yet: a total of 0 (torch returns `tensor(0.)` for no gradients).
    pub fn new(norm: NormType) -> Self {
        Self { norm, acc: 0.0 }
    }

    /// Adds one gradient's norm (from [`grad_norm`]).
    pub fn add(&mut self, grad_norm: f32) {
        let n = f64::from(grad_norm);
        self.acc = match self.norm {
            NormType::Two => self.acc + n * n,
            NormType::P(p) => self.acc + n.powf(p),
            NormType::Inf if n.is_nan() || self.acc.is_nan() => f64::NAN,
            NormType::Inf => self.acc.max(n),
        };
    }

    /// The total norm, as torch's float32 tensor holds it.
    pub fn value(&self) -> f32 {
        match self.norm {
            NormType::Inf => self.acc as f32,
            NormType::Two => self.acc.sqrt() as f32,
            NormType::P(p) => self.acc.powf(1.0 / p) as f32,
        }
    }
}

/// What every gradient is multiplied by: torch's
/// `clamp(max_norm / (total_norm + 1e-6), max=1.0)`, in its float32 operations.
///
/// `total_norm` is a float32 tensor, so `total_norm + 1e-6` adds `1e-6` rounded to `f32`, and
/// `max_norm / tensor` is `Tensor.__rtruediv__`, which torch writes as `tensor.reciprocal() *
/// max_norm`: a float32 reciprocal, then a product with `max_norm` rounded to `f32`. `clamp`
/// propagates NaN (a NaN total makes every gradient NaN, as in torch).
pub fn clip_coefficient(max_norm: f64, total_norm: f32) -> f32 {
    let coef = (1.0 / (total_norm + 1e-6_f32)) * (max_norm as f32);
    // `min` that returns NaN if either operand is NaN, as `torch.clamp(x, max=1.0)`.
    coef.torch_minimum(1.0)
}

#[inline(always)]
fn scale_lanes<L: Lanes>(values: &mut [f32], coef: f32) {
    // For `L = f32` this is the plain loop `x *= coef`: the reference.
    let n = values.len();
    let body = n - n % L::WIDTH;
    let ptr = values.as_mut_ptr();
    let c = L::splat(coef);
    let mut i = 0;
    while i < body {
        // SAFETY: i + L::WIDTH <= body <= n.
        unsafe { (L::load(ptr.add(i)) * c).store(ptr.add(i)) };
        i += L::WIDTH;
    }
    for x in &mut values[body..] {
        *x *= coef;
    }
}

/// Multiplies every element by `coef` in `f32` (torch's `grad.mul_(clip_coef_clamped)`).
#[inline(always)]
pub fn scale(values: &mut [f32], coef: f32, kernel: Kernel) {
    match kernel {
        Kernel::Simd => scale_lanes::<F32x4>(values, coef),
        #[cfg(feature = "reference-kernel")]
        Kernel::Reference => scale_lanes::<f32>(values, coef),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn norm_types_are_the_positive_orders() {
        assert_eq!(NormType::new(2.0), Some(NormType::Two));
        assert_eq!(NormType::new(1.0), Some(NormType::P(1.0)));
        assert_eq!(NormType::new(f64::INFINITY), Some(NormType::Inf));
        assert_eq!(NormType::new(0.5), Some(NormType::P(0.5)));
        assert_eq!(NormType::new(3.0), Some(NormType::P(3.0)));
        for refused in [0.0, -0.0, -1.0, f64::NEG_INFINITY, f64::NAN] {
            assert_eq!(NormType::new(refused), None, "{refused}");
        }
    }

    #[test]
    fn partial_sums_combine_in_a_fixed_tree() {
        let partials: [f64; 8] = core::array::from_fn(|i| i as f64);
        assert_eq!(combine(partials), 28.0);
        // The tree adds p2 + p6 before adding them to p0 + p4: two terms of 3/8 ulp of 1, each lost
        // when added to 1 on its own (as a left-to-right sum would), make 3/4 ulp together and round up.
        let small = 3.0 * f64::EPSILON / 8.0;
        let mut lopsided = [0.0_f64; 8];
        (lopsided[0], lopsided[2], lopsided[6]) = (1.0, small, small);
        assert_eq!(combine(lopsided), 1.0 + f64::EPSILON);
        assert_eq!(lopsided.iter().fold(0.0, |sum, x| sum + x), 1.0);
    }

    #[test]
    fn the_coefficient_is_torchs_float32_reciprocal_times_max_norm_clamped_at_one() {
        // total 3: 1 / (3 + 1e-6f) rounded, times 1.0 -> 0.33333322 (not 1 / 3).
        let eps = 1e-6_f32;
        assert_eq!(clip_coefficient(1.0, 3.0), 1.0 / (3.0 + eps));
        // max_norm 0.7 is rounded to f32 before the product: (1 / (2 + eps)) * 0.7f32.
        assert_eq!(clip_coefficient(0.7, 2.0), (1.0 / (2.0 + eps)) * 0.7_f32);
        // Below max_norm: clamped to exactly 1 (torch still multiplies by it).
        assert_eq!(clip_coefficient(1.0, 0.5), 1.0);
        assert_eq!(clip_coefficient(f64::INFINITY, 5.0), 1.0);
        // An infinite total: 1 / inf = 0, and 0 * max_norm = 0: gradients become zeros (and the
        // infinities in them NaN), as in torch. A NaN total: NaN.
        assert_eq!(clip_coefficient(1.0, f32::INFINITY), 0.0);
        assert!(clip_coefficient(1.0, f32::NAN).is_nan());
        assert!(clip_coefficient(f64::INFINITY, f32::INFINITY).is_nan()); // 0 * inf
                                                                          // max_norm 0 zeroes the gradients; total 0 gives 1 / 1e-6 * max_norm, clamped to 1.
        assert_eq!(clip_coefficient(0.0, 2.0), 0.0);
        assert_eq!(clip_coefficient(1.0, 0.0), 1.0);
    }

    #[test]
    fn hand_derived_norms() {
        // [3, -4]: 2-norm 5, 1-norm 7, inf-norm 4, 3-norm (27 + 64)^(1/3) = 91^(1/3).
        let g = [3.0_f32, -4.0];
        for kernel in [Kernel::Simd, Kernel::Reference] {
            assert_eq!(grad_norm(&g, NormType::Two, kernel), 5.0);
            assert_eq!(grad_norm(&g, NormType::P(1.0), kernel), 7.0);
            assert_eq!(grad_norm(&g, NormType::Inf, kernel), 4.0);
            assert_eq!(grad_norm(&g, NormType::P(3.0), kernel), 91.0_f64.powf(1.0 / 3.0) as f32);
            assert_eq!(grad_norm(&[], NormType::Two, kernel), 0.0);
            assert_eq!(grad_norm(&[], NormType::Inf, kernel), 0.0);
        }
        // Totals of the per-gradient norms 5 and 12: 13, 17, 12.
        let total = |norm| {
            let mut t = TotalNorm::new(norm);
            t.add(5.0);
            t.add(12.0);
            t.value()
        };
        assert_eq!((total(NormType::Two), total(NormType::P(1.0)), total(NormType::Inf)), (13.0, 17.0, 12.0));
        assert_eq!(TotalNorm::new(NormType::Two).value(), 0.0);
        // One gradient: the total is its norm, exactly (sqrt(n^2) = n in f64).
        let mut one = TotalNorm::new(NormType::Two);
        one.add(0.1);
        assert_eq!(one.value(), 0.1);
    }

    #[test]
    fn non_finite_values_make_every_norm_non_finite() {
        for kernel in [Kernel::Simd, Kernel::Reference] {
            for len in [1, 5, 16, 17, 40] {
                for pos in [0, len / 2, len - 1] {
                    let mut g = vec![0.5_f32; len];
                    g[pos] = f32::NAN;
                    for norm in [NormType::P(1.0), NormType::Two, NormType::Inf, NormType::P(3.0)] {
                        assert!(grad_norm(&g, norm, kernel).is_nan(), "NaN at {pos} of {len}, {norm:?}");
                    }
                    g[pos] = f32::NEG_INFINITY;
                    for norm in [NormType::P(1.0), NormType::Two, NormType::Inf, NormType::P(3.0)] {
                        assert_eq!(grad_norm(&g, norm, kernel), f32::INFINITY, "-inf at {pos} of {len}, {norm:?}");
                    }
                }
            }
        }
        let mut t = TotalNorm::new(NormType::Inf);
        t.add(f32::NAN);
        t.add(3.0);
        assert!(t.value().is_nan());
    }

    #[test]
    fn squares_are_float32_as_torchs_but_long_sums_do_not_drift() {
        // Squares in f32, as torch's: 1e20^2 overflows to infinity, 1e-30^2 underflows to 0, and so
        // do the norms (torch's are infinity and 0 too).
        assert_eq!(grad_norm(&[1e20, 1.0], NormType::Two, Kernel::Simd), f32::INFINITY);
        assert_eq!(grad_norm(&[1e-30, -1e-30], NormType::Two, Kernel::Simd), 0.0);
        // 4096 then 2^20 - 1 ones: a float32 running sum of squares stays at 2^24, each 1 lost
        // against it (ulp(2^24) = 2), and its norm is 4096, 3% low. Summed four at a time, then in
        // f64, only the three ones in 4096's own block are lost: within an ulp of
        // sqrt(2^24 + 2^20 - 1) = 4222.06.
        let mut g = vec![1.0_f32; 1 << 20];
        g[0] = 4096.0;
        let running = g.iter().fold(0.0_f32, |sum, x| sum + x * x).sqrt();
        assert_eq!(running, 4096.0);
        let exact = (4096.0_f64 * 4096.0 + ((1 << 20) - 1) as f64).sqrt() as f32;
        let got = grad_norm(&g, NormType::Two, Kernel::Simd);
        assert!(got.to_bits().abs_diff(exact.to_bits()) <= 1, "{got} vs {exact}");
    }

    /// xorshift32, enough for test data.
    fn values(seed: &mut u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 17;
                *seed ^= *seed << 5;
                // Magnitudes over 2^-30..2^30, both signs, some exact zeros.
                let e = (*seed % 61) as i32 - 30;
                if *seed % 23 == 0 {
                    0.0
                } else {
                    (if *seed & 1 == 0 { 1.0 } else { -1.0 }) * (1.0 + (*seed >> 9) as f32 / (1 << 23) as f32) * 2f32.powi(e)
                }
            })
            .collect()
    }

    #[test]
    fn four_lane_reductions_and_scaling_are_bitwise_equal_to_the_scalar_reference() {
        let mut seed = 0x9E37_79B9;
        for len in (0..=70).chain([1000, 1023, 4099]) {
            let g = values(&mut seed, len);
            for norm in [NormType::P(1.0), NormType::Two, NormType::Inf, NormType::P(0.5), NormType::P(3.0)] {
                let (simd, reference) = (grad_norm(&g, norm, Kernel::Simd), grad_norm(&g, norm, Kernel::Reference));
                assert_eq!(simd.to_bits(), reference.to_bits(), "len {len}, {norm:?}");
            }
            for coef in [0.25_f32, 1.0 / 3.0, 0.0, f32::NAN] {
                let (mut simd, mut reference) = (g.clone(), g.clone());
                scale(&mut simd, coef, Kernel::Simd);
                scale(&mut reference, coef, Kernel::Reference);
                let key = |x: &f32| if x.is_nan() { u32::MAX } else { x.to_bits() };
                assert_eq!(simd.iter().map(key).collect::<Vec<_>>(), reference.iter().map(key).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn the_2_norm_is_within_an_ulp_of_the_exact_one() {
        // The bound is 2.5 ulps (see the module docs); with 24-bit values, whose squares all round,
        // it is within one.
        // Against a sum in exact integer arithmetic: values k / 2^10 for integers k, whose squares
        // are integers / 2^20, summed exactly in u128.
        let mut seed = 0x2545_F491;
        for len in [1, 3, 100, 10_000, 100_003] {
            let ks: Vec<i64> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    i64::from(seed % (1 << 24)) - (1 << 23)
                })
                .collect();
            let g: Vec<f32> = ks.iter().map(|&k| k as f32 / 1024.0).collect();
            let exact_sum: u128 = ks.iter().map(|&k| (k * k) as u128).sum();
            // sqrt of the exact sum / 2^20, to f64 then f32: within an ulp of the true norm.
            let exact = ((exact_sum as f64).sqrt() / 1024.0) as f32;
            let got = grad_norm(&g, NormType::Two, Kernel::Simd);
            assert!((got.to_bits() as i64 - exact.to_bits() as i64).abs() <= 1, "len {len}: {got} vs {exact}");
        }
    }
}
