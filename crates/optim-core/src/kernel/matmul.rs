//! Matrix products for Muon's Newton–Schulz iteration: [`Gemm`] is BLAS's `C = beta * C + alpha *
//! (A · B)` (torch's `addmm`) over row-major `f32` matrices, and [`transpose`].
//!
//! Blocked for registers: each tile of 4 rows by 2 lane groups (8 columns with [`F32x4`]) keeps its
//! 8 sums in registers over all of `k`, and the tiles are walked column panel by column panel. Each
//! panel of `B` (`k` rows of 8 floats, `n` apart) is first copied into a contiguous scratch
//! (`pack`), which every row of `A` then reads in order: rows `n` floats apart would fall into the
//! same few cache sets when `n` is a multiple of a power of two (512, 1024), and be evicted
//! before the next tile reads them.
//! Every element of the product is one dot product summed in `k` order, then scaled, so the
//! four-lane kernel and the scalar reference give the same bits. No operation is fused and
//! nothing is allocated.

use super::{F32x4, Kernel, Lanes};

/// One product `c = beta * c + alpha * (a · b)`, where `a` is `m`×`k`, `b` is `k`×`n` and `c` is
/// `m`×`n`, all row-major. With `beta == 0.0`, `c` is not read (a NaN there does not propagate), as
/// BLAS and torch's `addmm` define it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gemm {
    /// Rows of `a` and `c`.
    pub m: usize,
    /// Columns of `a`, rows of `b`.
    pub k: usize,
    /// Columns of `b` and `c`.
    pub n: usize,
    /// The product's factor.
    pub alpha: f32,
    /// `c`'s factor (0: `c` is only written).
    pub beta: f32,
}

/// The most columns of `B` a panel holds: 2 lane groups of [`F32x4`].
const PANEL: usize = 2 * F32x4::WIDTH;

impl Gemm {
    /// The floats [`Self::run`]'s `pack` needs: one panel of `B`, `k` rows of 8.
    pub const fn pack_len(&self) -> usize {
        self.k * PANEL
    }

    /// Computes the product into `c` with `kernel`, copying panels of `b` through `pack` (at least
    /// [`Self::pack_len`] floats; what it held does not matter).
    ///
    /// # Panics
    /// If a slice is not exactly its matrix's size, or `pack` is too short.
    pub fn run(self, a: &[f32], b: &[f32], c: &mut [f32], pack: &mut [f32], kernel: Kernel) {
        assert!(a.len() == self.m * self.k && b.len() == self.k * self.n && c.len() == self.m * self.n, "matrix sizes");
        let pack = &mut pack[..self.pack_len()];
        match kernel {
            Kernel::Simd => self.run_simd(a, b, c, pack),
            #[cfg(feature = "reference-kernel")]
            Kernel::Reference => self.run_lanes::<f32>(a, b, c, pack),
        }
    }

    #[inline(never)]
    fn run_simd(self, a: &[f32], b: &[f32], c: &mut [f32], pack: &mut [f32]) {
        self.run_lanes::<F32x4>(a, b, c, pack);
    }

    /// Panels of `2 * L::WIDTH` columns, then one of `L::WIDTH`, then single columns.
    #[inline(always)]
    fn run_lanes<L: Lanes>(self, a: &[f32], b: &[f32], c: &mut [f32], pack: &mut [f32]) {
        let mut j = 0;
        while j + 2 * L::WIDTH <= self.n {
            self.panel::<L, 2>(j, a, b, c, pack);
            j += 2 * L::WIDTH;
        }
        while j + L::WIDTH <= self.n {
            self.panel::<L, 1>(j, a, b, c, pack);
            j += L::WIDTH;
        }
        while j < self.n {
            self.panel::<f32, 1>(j, a, b, c, pack);
            j += 1;
        }
    }

    /// Columns `j .. j + V * L::WIDTH` of `c`: the panel of `b` packed, then 4 rows at a time,
    /// then the rows left one at a time.
    #[inline(always)]
    fn panel<L: Lanes, const V: usize>(self, j: usize, a: &[f32], b: &[f32], c: &mut [f32], pack: &mut [f32]) {
        let Gemm { m, k, n, alpha, beta } = self;
        let width = V * L::WIDTH;
        debug_assert!(j + width <= n && width <= PANEL && a.len() == m * k && b.len() == k * n && c.len() == m * n);
        for (p, packed) in pack.chunks_exact_mut(width).take(k).enumerate() {
            packed.copy_from_slice(&b[p * n + j..p * n + j + width]);
        }
        let mut i = 0;
        // SAFETY: rows i .. i + R <= m of `a` (k floats each) and of `c` (n floats each), columns
        // j .. j + width <= n of `c`, and k rows of `width` floats of `pack` (k * PANEL >= k *
        // width floats, sliced by `run`): all within the slices (sizes checked by `run`).
        unsafe {
            let (a, b, c) = (a.as_ptr(), pack.as_ptr(), c.as_mut_ptr().add(j));
            while i + 4 <= m {
                tile::<L, 4, V>(k, n, a.add(i * k), b, (alpha, beta), c.add(i * n));
                i += 4;
            }
            while i < m {
                tile::<L, 1, V>(k, n, a.add(i * k), b, (alpha, beta), c.add(i * n));
                i += 1;
            }
        }
    }
}

/// One tile: `R` rows by `V` lane groups of `c` (`n` apart), from `R` rows of `a` (at `a`, `k`
/// apart) and a packed panel of `b` (`k` rows of `V * L::WIDTH` floats, one after the other),
/// scaled by `(alpha, beta)`.
///
/// # Safety
/// `a` must be readable for `R` rows of `k` floats, `b` for `k * V * L::WIDTH` floats, and `c`
/// readable and writable for `R` rows of `V * L::WIDTH` floats `n` apart.
#[inline(always)]
unsafe fn tile<L: Lanes, const R: usize, const V: usize>(
    k: usize,
    n: usize,
    a: *const f32,
    b: *const f32,
    (alpha, beta): (f32, f32),
    c: *mut f32,
) {
    let mut acc = [[L::splat(0.0); V]; R];
    // SAFETY: as the caller guarantees; p < k.
    unsafe {
        for p in 0..k {
            let row = b.add(p * V * L::WIDTH);
            let bv: [L; V] = core::array::from_fn(|v| L::load(row.add(v * L::WIDTH)));
            for (r, acc) in acc.iter_mut().enumerate() {
                let av = L::splat(*a.add(r * k + p));
                for (sum, &bv) in acc.iter_mut().zip(&bv) {
                    *sum = *sum + av * bv;
                }
            }
        }
        let (alpha, beta_is_zero, beta) = (L::splat(alpha), beta == 0.0, L::splat(beta));
        for (r, acc) in acc.iter().enumerate() {
            for (v, &sum) in acc.iter().enumerate() {
                let out = c.add(r * n + v * L::WIDTH);
                let scaled = alpha * sum;
                let value = if beta_is_zero { scaled } else { beta * L::load(out) + scaled };
                value.store(out);
            }
        }
    }
}

/// `to = fromᵀ`: `from` is `rows`×`cols`, `to` becomes `cols`×`rows`, both row-major.
///
/// # Panics
/// If a slice is not exactly `rows * cols` long.
pub fn transpose(rows: usize, cols: usize, from: &[f32], to: &mut [f32]) {
    assert!(from.len() == rows * cols && to.len() == rows * cols, "matrix sizes");
    // Blocks of 16 by 16, so that both sides stay in cache lines already loaded.
    const BLOCK: usize = 16;
    for i0 in (0..rows).step_by(BLOCK) {
        for j0 in (0..cols).step_by(BLOCK) {
            for i in i0..(i0 + BLOCK).min(rows) {
                for j in j0..(j0 + BLOCK).min(cols) {
                    to[j * rows + i] = from[i * cols + j];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A small deterministic generator of values in [-1, 1).
    fn values(seed: u32, len: usize) -> Vec<f32> {
        let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// The definition, summing in `k` order in f32 as the kernel does.
    fn naive(Gemm { m, k, n, alpha, beta }: Gemm, a: &[f32], b: &[f32], c: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut sum = 0.0_f32;
                for p in 0..k {
                    sum += a[i * k + p] * b[p * n + j];
                }
                out[i * n + j] = if beta == 0.0 { alpha * sum } else { beta * c[i * n + j] + alpha * sum };
            }
        }
        out
    }

    #[test]
    fn every_tile_and_tail_is_the_definition_bit_for_bit_in_both_kernels() {
        // Sizes around the tile edges: 4 rows, 4 and 8 columns.
        for (m, k, n) in [(1, 1, 1), (3, 5, 7), (4, 8, 8), (5, 3, 9), (9, 17, 13), (8, 1, 12), (13, 13, 21), (2, 0, 3)] {
            let (a, b, c0) = (values(1, m * k), values(2, k * n), values(3, m * n));
            for (alpha, beta) in [(1.0, 0.0), (2.0315, -4.775), (1.0, 3.4445)] {
                let gemm = Gemm { m, k, n, alpha, beta };
                let want = naive(gemm, &a, &b, &c0);
                for kernel in [Kernel::Simd, Kernel::Reference] {
                    let mut c = c0.clone();
                    let mut pack = vec![f32::NAN; gemm.pack_len()];
                    gemm.run(&a, &b, &mut c, &mut pack, kernel);
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&c), bits(&want), "{m}x{k}x{n}, alpha {alpha}, beta {beta}, {kernel:?}");
                }
            }
        }
    }

    #[test]
    fn beta_zero_ignores_what_c_held() {
        let mut c = vec![f32::NAN; 4];
        Gemm { m: 2, k: 1, n: 2, alpha: 1.0, beta: 0.0 }.run(&[1.0, 2.0], &[3.0, 4.0], &mut c, &mut [0.0; 8], Kernel::Simd);
        assert_eq!(c, [3.0, 4.0, 6.0, 8.0]);
    }

    #[test]
    fn transpose_moves_every_element() {
        for (rows, cols) in [(1, 1), (3, 5), (17, 33), (40, 2)] {
            let from = values(4, rows * cols);
            let mut to = vec![0.0; rows * cols];
            transpose(rows, cols, &from, &mut to);
            for i in 0..rows {
                for j in 0..cols {
                    assert_eq!(to[j * rows + i], from[i * cols + j]);
                }
            }
        }
    }
}
