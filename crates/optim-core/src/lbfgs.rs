//! The vector work of `torch.optim.LBFGS` (torch 2.15, `torch/optim/lbfgs.py`): the flat gradient
//! of all parameters, the two-loop recursion over the last `history_size` steps, the update
//! `p += t * d`, and the dot products and maxima the line search and the stopping rules read.
//!
//! LBFGS is not element-wise and not per parameter: its state is one flat vector of every
//! parameter's elements. The loop that drives it (how often the closure runs, the step length,
//! the strong-Wolfe line search, when to stop) is scalar host logic and lives in the facade
//! (`ts/optim/lbfgs.ts`); every operation on vectors is here.
//!
//! Gradients, in the order torch's line search keeps them (the current one, the previous one,
//! the bracket's two ends), live in a few numbered *slots* of `n` values each; the facade says
//! which slot each of its variables holds, and never writes one a variable still holds.
//!
//! Arithmetic: element-wise operations are torch's, in float32 (`y = g - g_prev`, `s = d * t`,
//! `q += -al * y`, `d = q * H_diag`, `r += (al - be) * s`, `p += t * d`); the dot products and the
//! absolute sum are reductions, which torch hands to BLAS in float32 and this sums in float64 and
//! rounds once: near torch's, not its bits (the facade's tests state the bound).

use crate::memory::{zeros_admitted, AllocError, MemoryPolicy};
use crate::param::SharedParam;

/// How many gradient slots the line search needs at most: the first gradient, the previous and
/// the new one, and the two ends of the bracket (some of them the same vector).
pub const GRAD_SLOTS: usize = 6;

/// Why a call was refused (nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LbfgsError {
    /// Parameter `index` was disposed.
    Disposed {
        /// Its position.
        index: usize,
    },
    /// A slot index past [`GRAD_SLOTS`], or a buffer of the wrong length.
    OutOfRange {
        /// The value given.
        value: usize,
    },
    /// Memory could not hold the state.
    Alloc(AllocError),
}

impl From<AllocError> for LbfgsError {
    fn from(error: AllocError) -> Self {
        LbfgsError::Alloc(error)
    }
}

/// LBFGS's parameters and state.
#[derive(Default)]
pub struct Lbfgs {
    params: Vec<SharedParam>,
    /// The total number of elements (torch's `_numel()`).
    n: usize,
    history_size: usize,
    slots: Vec<Vec<f32>>,
    /// torch's `d`, the search direction.
    d: Vec<f32>,
    /// torch's `prev_flat_grad` (`has_prev`: whether torch's is not None).
    prev_flat_grad: Vec<f32>,
    has_prev: bool,
    /// torch's `old_dirs` (the `y`s) and `old_stps` (the `s`s), oldest first, and `ro` (1 / y·s).
    old_dirs: Vec<Vec<f32>>,
    old_stps: Vec<Vec<f32>>,
    ro: Vec<f32>,
    /// torch's `al` (`history_size` entries once the recursion has run; NaN: torch's None).
    al: Vec<f32>,
    /// torch's `H_diag`.
    h_diag: f32,
    /// The parameters saved before a line search (torch's `x_init`).
    saved: Vec<f32>,
    /// Scratch for the next `y` and `s`.
    y: Vec<f32>,
    s: Vec<f32>,
}

/// `Σ a_i b_i`, summed in float64 and rounded once.
#[inline(never)] // one copy for its eight callers (the .wasm has a size budget)
fn dot(a: &[f32], b: &[f32]) -> f32 {
    sum_f64(a.len().min(b.len()), |i| f64::from(a[i]) * f64::from(b[i])) as f32
}

/// `Σ term(i)` for `i < n`, in float64, in a fixed order: four running sums (element `i` into sum
/// `i % 4`), then added pairwise. One running sum waits on each addition's latency; four
/// independent ones keep the adder busy, and the order never depends on anything but `n`.
/// (Each product of two float32s is exact in float64.)
#[inline]
fn sum_f64(n: usize, term: impl Fn(usize) -> f64) -> f64 {
    const LANES: usize = 4;
    let mut sums = [0.0f64; LANES];
    let body = n - n % LANES;
    for start in (0..body).step_by(LANES) {
        for (k, sum) in sums.iter_mut().enumerate() {
            *sum += term(start + k);
        }
    }
    for (k, i) in (body..n).enumerate() {
        sums[k] += term(i);
    }
    let [a, b, c, d] = sums;
    (a + b) + (c + d)
}

/// `max |a_i|` (NaN if any is NaN, as torch's `abs().max()`).
fn abs_max(a: &[f32]) -> f32 {
    a.iter().fold(0.0f32, |m, &x| if x.is_nan() || m.is_nan() { f32::NAN } else { m.max(x.abs()) })
}

impl Lbfgs {
    /// An LBFGS over no parameters yet, keeping `history_size` steps (at least 1: torch's step
    /// fails with 0, popping from an empty history).
    pub fn new(history_size: usize) -> Self {
        Lbfgs { history_size: history_size.max(1), h_diag: 1.0, ..Default::default() }
    }

    /// Adds a parameter (in torch's order: the group's). Before any other call.
    pub fn add_param(&mut self, param: SharedParam) {
        self.n += param.borrow().len();
        self.params.push(param);
    }

    /// The number of elements of all parameters.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// `history_size`.
    pub fn history_size(&self) -> usize {
        self.history_size
    }

    fn live(&self) -> Result<(), LbfgsError> {
        match self.params.iter().position(|p| p.borrow().is_disposed()) {
            Some(index) => Err(LbfgsError::Disposed { index }),
            None => Ok(()),
        }
    }

    /// Makes sure the state's vectors exist: the slots, `d`, `prev_flat_grad` and the saved
    /// parameters (the history grows as it fills).
    pub fn reserve(&mut self, policy: &impl MemoryPolicy) -> Result<(), LbfgsError> {
        if self.slots.len() < GRAD_SLOTS {
            // The slots, then d, prev_flat_grad, the saved parameters, y and s: all or nothing.
            let mut vectors = Vec::new();
            for _ in 0..GRAD_SLOTS + 5 {
                vectors.push(zeros_admitted(self.n, policy)?);
            }
            let mut rest = vectors.split_off(GRAD_SLOTS).into_iter();
            let mut next = || rest.next().unwrap_or_default();
            (self.d, self.prev_flat_grad, self.saved, self.y, self.s) = (next(), next(), next(), next(), next());
            self.slots = vectors;
        }
        Ok(())
    }

    fn slot(&self, slot: usize) -> Result<&[f32], LbfgsError> {
        self.slots.get(slot).map(Vec::as_slice).ok_or(LbfgsError::OutOfRange { value: slot })
    }

    /// torch's `_gather_flat_grad()` into `slot`: every parameter's gradient in order (zeros
    /// for none, a sparse one's repeated rows summed in order), negated with `maximize`. Returns
    /// `max |g|` (the optimality test's).
    pub fn gather(&mut self, slot: usize, maximize: bool) -> Result<f32, LbfgsError> {
        self.live()?;
        self.slot(slot)?;
        let out = &mut self.slots[slot];
        let mut at = 0;
        for p in &self.params {
            let p = p.borrow();
            let segment = &mut out[at..at + p.len()];
            if let Some(grad) = p.grad() {
                segment.copy_from_slice(grad);
            } else {
                segment.fill(0.0);
                if let Some((rows, values)) = p.sparse_grad() {
                    // torch: `p.grad.to_dense()`, which sums a repeated row's values in order.
                    let width = p.dims().row_width(p.len());
                    for (k, &row) in rows.iter().enumerate() {
                        let dst = &mut segment[row as usize * width..][..width];
                        for (x, &v) in dst.iter_mut().zip(&values[k * width..][..width]) {
                            *x += v;
                        }
                    }
                }
            }
            at += p.len();
        }
        if maximize {
            out.iter_mut().for_each(|x| *x = -*x);
        }
        Ok(abs_max(out))
    }

    /// `slot`'s `abs().max()` (the optimality test's, on a gradient the line search returned).
    pub fn abs_max(&self, slot: usize) -> Result<f32, LbfgsError> {
        Ok(abs_max(self.slot(slot)?))
    }

    /// `slot`'s `abs().sum()` (the first step length's), summed in float64.
    pub fn abs_sum(&self, slot: usize) -> Result<f32, LbfgsError> {
        let g = self.slot(slot)?;
        Ok(sum_f64(g.len(), |i| f64::from(g[i].abs())) as f32)
    }

    /// `slot · d` (the directional derivative).
    pub fn dot_d(&self, slot: usize) -> Result<f32, LbfgsError> {
        Ok(dot(self.slot(slot)?, &self.d))
    }

    /// `max |d|` (the line search's `d_norm`), or with `t`, `max |d * t|` (a stopping rule's).
    pub fn d_abs_max(&self, t: Option<f32>) -> f32 {
        match t {
            None => abs_max(&self.d),
            Some(t) => self.d.iter().fold(0.0f32, |m, &x| {
                let v = (x * t).abs();
                if v.is_nan() || m.is_nan() {
                    f32::NAN
                } else {
                    m.max(v)
                }
            }),
        }
    }

    /// torch's direction: on the first iteration (`first`), `d = -g` and a fresh history;
    /// otherwise the history takes `y = g - g_prev`, `s = d * t` when `y · s > 1e-10` (the
    /// oldest pair dropped once `history_size` are kept), `H_diag = y·s / y·y`, and the two-loop
    /// recursion gives `d`. Then `prev_flat_grad = g`. `g` is `slot`.
    pub fn direction(&mut self, slot: usize, first: bool, t: f32, policy: &impl MemoryPolicy) -> Result<(), LbfgsError> {
        self.slot(slot)?;
        let n = self.n;
        if first {
            for (d, &g) in self.d.iter_mut().zip(&self.slots[slot]) {
                *d = -g;
            }
            self.old_dirs.clear();
            self.old_stps.clear();
            self.ro.clear();
            self.h_diag = 1.0;
        } else {
            // y = g - g_prev and s = d * t, in the scratch pair.
            let g = &self.slots[slot];
            for (y, (&g, &prev)) in self.y.iter_mut().zip(g.iter().zip(&self.prev_flat_grad)) {
                *y = g - prev;
            }
            for (s, &d) in self.s.iter_mut().zip(&self.d) {
                *s = d * t;
            }
            let ys = dot(&self.y, &self.s);
            if ys > 1e-10 {
                // Kept: into the oldest pair's buffers once `history_size` are kept (torch pops it).
                let (mut y, mut s) = if self.old_dirs.len() == self.history_size {
                    self.ro.remove(0);
                    (self.old_dirs.remove(0), self.old_stps.remove(0))
                } else {
                    (zeros_admitted(n, policy)?, zeros_admitted(n, policy)?)
                };
                core::mem::swap(&mut y, &mut self.y);
                core::mem::swap(&mut s, &mut self.s);
                self.h_diag = ys / dot(&y, &y);
                self.ro.push(1.0 / ys);
                self.old_dirs.push(y);
                self.old_stps.push(s);
            }
            let k = self.old_dirs.len();
            debug_assert_eq!(self.ro.len(), k);
            if self.al.len() < self.history_size {
                self.al.resize(self.history_size, f32::NAN);
            }
            // q = -g; al[i] = s_i · q * ro_i; q += -al[i] * y_i, newest first.
            let q = &mut self.d;
            for (q, &g) in q.iter_mut().zip(&self.slots[slot]) {
                *q = -g;
            }
            for i in (0..k).rev() {
                let al = dot(&self.old_stps[i], q) * self.ro[i];
                self.al[i] = al;
                for (q, &y) in q.iter_mut().zip(&self.old_dirs[i]) {
                    *q += -al * y;
                }
            }
            // d = r = q * H_diag; r += (al[i] - be_i) * s_i, oldest first.
            for q in q.iter_mut() {
                *q *= self.h_diag;
            }
            for i in 0..k {
                let be = dot(&self.old_dirs[i], q) * self.ro[i];
                let alpha = self.al[i] - be;
                for (r, &s) in q.iter_mut().zip(&self.old_stps[i]) {
                    *r += alpha * s;
                }
            }
        }
        self.prev_flat_grad.copy_from_slice(&self.slots[slot]);
        self.has_prev = true;
        Ok(())
    }

    /// torch's `_add_grad(t, d)`: every parameter `p += t * d` (its segment of `d`).
    pub fn add_grad(&mut self, t: f32) -> Result<(), LbfgsError> {
        self.live()?;
        let mut at = 0;
        for p in &self.params {
            let mut p = p.borrow_mut();
            let len = p.len();
            for (x, &d) in p.data_mut().iter_mut().zip(&self.d[at..at + len]) {
                *x += t * d;
            }
            at += len;
        }
        Ok(())
    }

    /// Saves the parameters (torch's `x_init = _clone_param()`).
    pub fn save_params(&mut self) -> Result<(), LbfgsError> {
        self.live()?;
        let mut at = 0;
        for p in &self.params {
            let p = p.borrow();
            self.saved[at..at + p.len()].copy_from_slice(p.data());
            at += p.len();
        }
        Ok(())
    }

    /// Puts the saved parameters back (torch's `_set_param(x)`).
    pub fn restore_params(&mut self) -> Result<(), LbfgsError> {
        self.live()?;
        let mut at = 0;
        for p in &self.params {
            let mut p = p.borrow_mut();
            let len = p.len();
            p.data_mut().copy_from_slice(&self.saved[at..at + len]);
            at += len;
        }
        Ok(())
    }

    /// Copies slot `from` into slot `to` (a clone torch's line search keeps).
    pub fn copy_slot(&mut self, from: usize, to: usize) -> Result<(), LbfgsError> {
        self.slot(from)?;
        self.slot(to)?;
        if from != to {
            let (a, b) = if from < to { self.slots.split_at_mut(to) } else { self.slots.split_at_mut(from) };
            if from < to {
                b[0].copy_from_slice(&a[from]);
            } else {
                a[to].copy_from_slice(&b[0]);
            }
        }
        Ok(())
    }

    /// `d`.
    pub fn d(&self) -> &[f32] {
        &self.d
    }

    /// `prev_flat_grad`, if torch's is not None.
    pub fn prev_flat_grad(&self) -> Option<&[f32]> {
        self.has_prev.then_some(&self.prev_flat_grad[..])
    }

    /// How many (y, s) pairs the history holds.
    pub fn history_len(&self) -> usize {
        self.old_dirs.len()
    }

    /// Pair `i`'s `y` (`old_dirs[i]`), or with `step` its `s` (`old_stps[i]`), oldest first.
    pub fn history_entry(&self, i: usize, step: bool) -> Option<&[f32]> {
        (if step { &self.old_stps } else { &self.old_dirs }).get(i).map(Vec::as_slice)
    }

    /// `ro`, one per pair.
    pub fn ro(&self) -> &[f32] {
        &self.ro
    }

    /// `al` (empty until the recursion has run; NaN entries are torch's None).
    pub fn al(&self) -> &[f32] {
        &self.al
    }

    /// `H_diag`.
    pub fn h_diag(&self) -> f32 {
        self.h_diag
    }

    /// Loads a saved state: `d`, `prev_flat_grad` (None: `None`), the history (`k` pairs of
    /// `n` values each, row after row, and their `ro`), `al` and `H_diag`. All or nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn load(
        &mut self,
        d: &[f32],
        prev: Option<&[f32]>,
        dirs: &[f32],
        stps: &[f32],
        ro: &[f32],
        al: &[f32],
        h_diag: f32,
        policy: &impl MemoryPolicy,
    ) -> Result<(), LbfgsError> {
        let (n, k) = (self.n, ro.len());
        let bad = |value| Err(LbfgsError::OutOfRange { value });
        if d.len() != n && !d.is_empty() {
            return bad(d.len());
        }
        if prev.is_some_and(|p| p.len() != n) {
            return bad(prev.map_or(0, <[f32]>::len));
        }
        if k > self.history_size || dirs.len() != k * n || stps.len() != k * n || al.len() > self.history_size {
            return bad(k);
        }
        self.reserve(policy)?;
        let mut pairs = (Vec::with_capacity(k), Vec::with_capacity(k));
        for i in 0..k {
            let (mut y, mut s) = (zeros_admitted(n, policy)?, zeros_admitted(n, policy)?);
            y.copy_from_slice(&dirs[i * n..][..n]);
            s.copy_from_slice(&stps[i * n..][..n]);
            pairs.0.push(y);
            pairs.1.push(s);
        }
        if d.is_empty() {
            self.d.fill(0.0);
        } else {
            self.d.copy_from_slice(d);
        }
        self.has_prev = prev.is_some();
        if let Some(p) = prev {
            self.prev_flat_grad.copy_from_slice(p);
        }
        (self.old_dirs, self.old_stps) = pairs;
        self.ro = ro.to_vec();
        self.al = al.to_vec();
        self.h_diag = h_diag;
        Ok(())
    }
}

/// The Euclidean norm of `values`, in float64 (the tests' check of convergence).
#[cfg(test)]
fn norm(values: &[f32]) -> f64 {
    crate::kernel::norm::sum_squares(values, crate::kernel::Kernel::Simd).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::param::ParamBuffers;
    use crate::Unbounded;
    use std::{cell::RefCell, rc::Rc};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn param(values: &[f32], grad: &[f32]) -> SharedParam {
        let p = Rc::new(RefCell::new(ParamBuffers::from_values(values.to_vec())));
        p.borrow_mut().grad_buffer(&Unbounded).unwrap().copy_from_slice(grad);
        p.borrow_mut().set_has_grad(true);
        p
    }

    #[test]
    fn dot_products_sum_in_float64_in_a_fixed_order() {
        // 4 running sums, then pairwise: exact here (small integers), and for 1e8 + 1 - 1e8 the
        // float64 sum keeps what a float32 sum would lose.
        let a: Vec<f32> = (1..=19).map(|i| i as f32).collect();
        assert_eq!(dot(&a, &a), (1..=19).map(|i| (i * i) as f32).sum::<f32>());
        assert_eq!(dot(&[1e8, 1.0, -1e8], &[1.0, 1.0, 1.0]), 1.0);
        assert_eq!(dot(&[], &[]), 0.0);
    }

    #[test]
    fn gathers_steps_and_restores() {
        let (a, b) = (param(&[1.0, 2.0], &[0.5, -1.0]), param(&[3.0], &[2.0]));
        let mut l = Lbfgs::new(3);
        l.add_param(a.clone());
        l.add_param(b.clone());
        l.reserve(&Unbounded).unwrap();
        assert_eq!(l.gather(0, false), Ok(2.0));
        assert_eq!(l.abs_sum(0), Ok(3.5));
        l.direction(0, true, 0.0, &Unbounded).unwrap();
        assert_eq!(l.d(), [-0.5, 1.0, -2.0]);
        assert_eq!(l.dot_d(0), Ok(-(0.25 + 1.0 + 4.0)));
        l.save_params().unwrap();
        l.add_grad(0.5).unwrap();
        assert_eq!((a.borrow().data().to_vec(), b.borrow().data().to_vec()), (vec![0.75, 2.5], vec![2.0]));
        l.restore_params().unwrap();
        assert_eq!(a.borrow().data(), [1.0, 2.0]);
        assert_eq!(l.gather(1, true), Ok(2.0));
        assert_eq!(l.slot(1).unwrap(), [-0.5, 1.0, -2.0]);
    }

    #[test]
    fn on_a_quadratic_the_two_loop_direction_is_newtons_after_n_steps() {
        // f(x) = ½ Σ c_i x_i², g = c ⊙ x: with exact line steps, L-BFGS's inverse Hessian of a
        // diagonal quadratic becomes exact along the directions seen; after a step along each
        // coordinate, d = -H⁻¹ g.
        let c = [1.0f32, 2.0, 4.0];
        let x = param(&[1.0, 1.0, 1.0], &[0.0; 3]);
        let mut l = Lbfgs::new(10);
        l.add_param(x.clone());
        l.reserve(&Unbounded).unwrap();
        let set_grad = |x: &SharedParam| {
            let v: Vec<f32> = x.borrow().data().iter().zip(&c).map(|(x, c)| x * c).collect();
            x.borrow_mut().grad_buffer(&Unbounded).unwrap().copy_from_slice(&v);
        };
        let mut t = 0.25;
        for it in 0..8 {
            set_grad(&x);
            l.gather(0, false).unwrap();
            l.direction(0, it == 0, t, &Unbounded).unwrap();
            t = if it == 0 { 0.25 } else { 1.0 };
            l.add_grad(t).unwrap();
        }
        let final_norm = norm(x.borrow().data());
        assert!(final_norm < 1e-4, "converged: {final_norm}");
    }

    #[test]
    fn the_history_keeps_the_last_history_size_pairs() {
        let x = param(&[1.0, -2.0], &[0.0; 2]);
        let mut l = Lbfgs::new(2);
        l.add_param(x.clone());
        l.reserve(&Unbounded).unwrap();
        for it in 0..5 {
            let g: Vec<f32> = x.borrow().data().iter().map(|v| 3.0 * v).collect();
            x.borrow_mut().grad_buffer(&Unbounded).unwrap().copy_from_slice(&g);
            l.gather(0, false).unwrap();
            l.direction(0, it == 0, 0.1, &Unbounded).unwrap();
            l.add_grad(0.1).unwrap();
            assert_eq!((l.history_len(), l.ro().len()), ((it as usize).min(2), (it as usize).min(2)));
        }
    }
}
