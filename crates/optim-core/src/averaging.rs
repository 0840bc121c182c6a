//! `torch.optim.swa_utils.AveragedModel.update_parameters` over parameters a host names by id (see
//! [`ParamRegistry`]): each averaged parameter moves toward its source parameter, all of them in
//! one call, with torch's arithmetic for its two averages:
//!
//! - the running mean of stochastic weight averaging, torch's default `avg_fn` on the CPU
//!   (`get_swa_avg_fn`): `averaged + (current - averaged) / (n_averaged + 1)`, three `f32`
//!   operations, the count converted to `f32` (an `int64` tensor divides a `float32` one);
//! - the exponential moving average of `multi_avg_fn=get_ema_multi_avg_fn(decay)`:
//!   `torch._foreach_lerp_(averaged, current, 1 - decay)`, torch's lerp with the weight
//!   `1 - decay` computed in `f64` and rounded to `f32`.
//!
//! The first update copies (torch: `if self.n_averaged == 0: p_averaged.copy_(p_model)`).

use crate::kernel::torch_ops::Lerp;
use crate::kernel::{F32x4, Kernel, Lanes};
use crate::ParamRegistry;

/// What one update does to every averaged parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Averaging {
    /// `averaged = current`: the first update, whatever the average.
    Copy,
    /// The running mean, after `n_averaged` models: `averaged + (current - averaged) / (n_averaged + 1)`.
    Swa {
        /// How many models the average holds (torch's `n_averaged`, at least 1 here).
        n_averaged: u64,
    },
    /// `averaged.lerp_(current, 1 - decay)`.
    Ema {
        /// The decay, e.g. 0.999.
        decay: f64,
    },
}

/// Why [`ParamRegistry::average`] changed nothing. `index` is a position in the id list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AverageError {
    /// More ids than the id buffer holds.
    TooMany {
        /// The count asked for.
        count: usize,
    },
    /// An id no live parameter has.
    NoSuchParameter {
        /// Its position in the list.
        index: usize,
    },
    /// A parameter was disposed.
    Disposed {
        /// Its position in the list.
        index: usize,
    },
    /// An averaged parameter whose source has another length, or is itself.
    Mismatch {
        /// The averaged parameter's position in the list.
        index: usize,
    },
}

impl ParamRegistry {
    /// One update of `pairs` averaged parameters from their sources, whose ids are the first
    /// `2 * pairs` of the id buffer: averaged, source, averaged, source, .... All or nothing:
    /// every id and every pair is checked before any parameter changes. Allocates nothing.
    #[inline]
    pub fn average(&self, pairs: usize, how: Averaging, kernel: Kernel) -> Result<(), AverageError> {
        let count =
            pairs.checked_mul(2).filter(|&count| count <= self.ids().len()).ok_or(AverageError::TooMany { count: pairs })?;
        let ids = &self.ids()[..count];
        // Phase 1: check.
        for (index, &id) in ids.iter().enumerate() {
            let Some(param) = self.get(id) else { return Err(AverageError::NoSuchParameter { index }) };
            if param.borrow().is_disposed() {
                return Err(AverageError::Disposed { index });
            }
        }
        for (pair, ids) in ids.chunks_exact(2).enumerate() {
            // Phase 1 found both live: the lookups succeed.
            let (Some(averaged), Some(source)) = (self.get(ids[0]), self.get(ids[1])) else { continue };
            if std::rc::Rc::ptr_eq(&averaged, &source) || averaged.borrow().len() != source.borrow().len() {
                return Err(AverageError::Mismatch { index: 2 * pair });
            }
        }
        // Phase 2: update. Nothing here can fail.
        for ids in ids.chunks_exact(2) {
            if let (Some(averaged), Some(source)) = (self.get(ids[0]), self.get(ids[1])) {
                let source = source.borrow();
                update(averaged.borrow_mut().data_mut(), source.data(), how, kernel);
            }
        }
        Ok(())
    }
}

/// `averaged` moved toward `current` as `how` says.
pub fn update(averaged: &mut [f32], current: &[f32], how: Averaging, kernel: Kernel) {
    match (how, kernel) {
        (Averaging::Copy, _) => averaged.copy_from_slice(current),
        (Averaging::Swa { n_averaged }, Kernel::Simd) => running_mean::<F32x4>(averaged, current, (n_averaged + 1) as f32),
        #[cfg(feature = "reference-kernel")]
        (Averaging::Swa { n_averaged }, Kernel::Reference) => running_mean::<f32>(averaged, current, (n_averaged + 1) as f32),
        (Averaging::Ema { decay }, Kernel::Simd) => lerp::<F32x4>(averaged, current, Lerp::new(1.0 - decay)),
        #[cfg(feature = "reference-kernel")]
        (Averaging::Ema { decay }, Kernel::Reference) => lerp::<f32>(averaged, current, Lerp::new(1.0 - decay)),
    }
}

/// `averaged + (current - averaged) / count` (torch's `get_swa_avg_fn`), element by element.
fn running_mean<L: Lanes>(averaged: &mut [f32], current: &[f32], count: f32) {
    each::<L>(averaged, current, |a, c| a + (c - a) / L::splat(count), |a, c| a + (c - a) / count);
}

/// `averaged.lerp_(current, weight)`, element by element.
fn lerp<L: Lanes>(averaged: &mut [f32], current: &[f32], weight: Lerp) {
    each::<L>(averaged, current, |a, c| weight.apply(a, c), |a, c| weight.apply(a, c));
}

/// `averaged[i] = lanes(averaged[i], current[i])` in `L::WIDTH` blocks, the tail one by one.
#[inline(always)]
fn each<L: Lanes>(averaged: &mut [f32], current: &[f32], lanes: impl Fn(L, L) -> L, one: impl Fn(f32, f32) -> f32) {
    let n = averaged.len().min(current.len());
    let body = n - n % L::WIDTH;
    let (a, c) = (averaged.as_mut_ptr(), current.as_ptr());
    let mut i = 0;
    while i < body {
        // SAFETY: i + L::WIDTH <= body <= n, within both slices.
        unsafe { lanes(L::load(a.add(i)), L::load(c.add(i))).store(a.add(i)) };
        i += L::WIDTH;
    }
    for (a, &c) in averaged[body..n].iter_mut().zip(&current[body..n]) {
        *a = one(*a, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Unbounded;
    use crate::param::{ParamBuffers, SharedParam};
    use std::cell::RefCell;
    use std::rc::Rc;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn param(values: &[f32]) -> SharedParam {
        Rc::new(RefCell::new(ParamBuffers::from_values(values.to_vec())))
    }

    fn setup(params: &[&SharedParam]) -> ParamRegistry {
        let mut registry = ParamRegistry::new();
        let ids: Vec<u32> = params.iter().map(|p| registry.register(p, &Unbounded).unwrap()).collect();
        registry.id_buffer(ids.len(), &Unbounded).unwrap()[..ids.len()].copy_from_slice(&ids);
        registry
    }

    #[test]
    fn copy_then_running_mean_then_ema() {
        let (avg, src) = (param(&[0.0; 5]), param(&[1.0, 2.0, 3.0, 4.0, 5.0]));
        let registry = setup(&[&avg, &src]);
        registry.average(1, Averaging::Copy, Kernel::Simd).unwrap();
        assert_eq!(avg.borrow().data(), &[1.0, 2.0, 3.0, 4.0, 5.0]);
        src.borrow_mut().data_mut().copy_from_slice(&[3.0, 4.0, 5.0, 6.0, 7.0]);
        // The mean of the two models: 1 + (3 - 1) / 2 = 2, ...
        registry.average(1, Averaging::Swa { n_averaged: 1 }, Kernel::Simd).unwrap();
        assert_eq!(avg.borrow().data(), &[2.0, 3.0, 4.0, 5.0, 6.0]);
        // lerp with weight 1 - 0.75 = 0.25: 2 + 0.25 * (3 - 2) = 2.25, ...
        registry.average(1, Averaging::Ema { decay: 0.75 }, Kernel::Simd).unwrap();
        assert_eq!(avg.borrow().data(), &[2.25, 3.25, 4.25, 5.25, 6.25]);
    }

    #[test]
    fn simd_and_reference_agree_bit_for_bit() {
        let values: Vec<f32> = (0..37).map(|i| (i as f32 * 0.731).sin() * 3.0).collect();
        let current: Vec<f32> = (0..37).map(|i| (i as f32 * 1.37).cos()).collect();
        for how in [Averaging::Swa { n_averaged: 6 }, Averaging::Ema { decay: 0.999 }, Averaging::Ema { decay: 0.3 }] {
            let (mut simd, mut reference) = (values.clone(), values.clone());
            update(&mut simd, &current, how, Kernel::Simd);
            update(&mut reference, &current, how, Kernel::Reference);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&simd), bits(&reference), "{how:?}");
        }
    }

    #[test]
    fn bad_pairs_change_nothing() {
        let (a, b, short) = (param(&[1.0, 1.0]), param(&[3.0, 3.0]), param(&[5.0]));
        let mut registry = setup(&[&a, &b, &a, &short]);
        assert_eq!(registry.average(2, Averaging::Copy, Kernel::Simd), Err(AverageError::Mismatch { index: 2 }));
        assert_eq!(a.borrow().data(), &[1.0, 1.0], "the first pair was checked, not copied");
        registry.id_buffer(4, &Unbounded).unwrap()[..2].copy_from_slice(&[0, 0]);
        assert_eq!(registry.average(1, Averaging::Copy, Kernel::Simd), Err(AverageError::Mismatch { index: 0 }), "itself");
        assert_eq!(registry.average(9, Averaging::Copy, Kernel::Simd), Err(AverageError::TooMany { count: 9 }));
        b.borrow_mut().dispose();
        registry.id_buffer(4, &Unbounded).unwrap()[..2].copy_from_slice(&[0, 1]);
        assert_eq!(registry.average(1, Averaging::Copy, Kernel::Simd), Err(AverageError::Disposed { index: 1 }));
    }
}
