//! `torch.nn.utils.clip_grad_norm_` over parameters that a host names by small integer ids.
//!
//! A host that keeps parameters in its own objects (JavaScript's `Parameter`s) cannot hand Rust a
//! list of them without allocating, and must not hand it raw pointers. So each parameter is
//! registered once, when it is created, and gets an id ([`ParamRegistry::register`]); to clip, the
//! host writes the ids into a buffer the registry keeps ([`ParamRegistry::id_buffer`], reused from
//! call to call) and makes one call ([`ParamRegistry::clip_grad_norm`]), which checks every id
//! before it reads or changes anything. The registry holds [`Weak`] handles: it never keeps a
//! parameter alive, and an id whose parameter is gone is refused, never followed.
//!
//! The math is [`kernel::norm`](crate::kernel::norm)'s.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use crate::kernel::norm::{clip_coefficient, grad_norm, scale, NormType, TotalNorm};
use crate::kernel::Kernel;
use crate::memory::{reserve_admitted, AllocError, MemoryPolicy};
use crate::param::{ParamBuffers, SharedParam};

/// Why [`ParamRegistry::clip_grad_norm`] changed nothing. `index` is a position in the id list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClipError {
    /// `max_norm` is NaN or negative.
    MaxNorm {
        /// The value.
        value: f64,
    },
    /// `norm_type` is not a norm's order (see [`NormType::new`]).
    NormType {
        /// The value.
        value: f64,
    },
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
    /// A parameter has a sparse gradient (SparseAdam's). torch's `clip_grad_norm_` takes the norm
    /// of the coalesced gradient; this does not do that yet, and refuses rather than skip it.
    SparseGrad {
        /// Its position in the list.
        index: usize,
    },
    /// With `error_if_nonfinite`: the total norm is NaN or infinite.
    NonFinite {
        /// The total norm.
        total: f32,
    },
}

/// A registered parameter, or a free slot in the list of free slots.
#[derive(Debug)]
enum Slot {
    Used(Weak<RefCell<ParamBuffers>>),
    Free { next: Option<u32> },
}

/// Parameters by id, and the buffer of ids a clipping call reads. Ids are reused after
/// [`ParamRegistry::unregister`] (the last freed first).
///
/// When the last parameter is unregistered the registry gives its table back to the allocator, so
/// that creating and disposing parameters leaves the allocator's counters where they were. The id
/// buffer stays: a host keeps its address between calls.
#[derive(Debug, Default)]
pub struct ParamRegistry {
    slots: Vec<Slot>,
    free: Option<u32>,
    /// Registered parameters (used slots).
    used: usize,
    ids: Vec<u32>,
}

impl ParamRegistry {
    /// An empty registry.
    pub const fn new() -> Self {
        Self { slots: Vec::new(), free: None, used: 0, ids: Vec::new() }
    }

    /// Registers `param` and returns its id. Allocates only when no freed id is left to reuse,
    /// admitted by `policy`; changes nothing on error.
    pub fn register(&mut self, param: &SharedParam, policy: &impl MemoryPolicy) -> Result<u32, AllocError> {
        let used = Slot::Used(Rc::downgrade(param));
        if let Some(id) = self.free {
            // The free list holds free slots only.
            if let Slot::Free { next } = self.slots[id as usize] {
                self.free = next;
            }
            self.slots[id as usize] = used;
            self.used += 1;
            return Ok(id);
        }
        let id = u32::try_from(self.slots.len()).map_err(|_| AllocError { bytes: usize::MAX })?;
        reserve_admitted(&mut self.slots, 1, policy)?;
        self.slots.push(used); // within the capacity reserved above: cannot allocate
        self.used += 1;
        Ok(id)
    }

    /// Forgets id `id` (it may be handed out again). Allocates nothing, so that it can run in a
    /// destructor; an id that is not registered is ignored.
    pub fn unregister(&mut self, id: u32) {
        if let Some(slot @ Slot::Used(_)) = self.slots.get_mut(id as usize) {
            *slot = Slot::Free { next: self.free };
            self.free = Some(id);
            self.used -= 1;
            if self.used == 0 {
                // Frees the table (a deallocation, never an allocation); ids start from 0 again.
                self.slots = Vec::new();
                self.free = None;
            }
        }
    }

    /// Number of registered parameters.
    pub fn len(&self) -> usize {
        self.used
    }

    /// True if no parameter is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id buffer, with room for at least `len` ids, for the host to write the ids of the next
    /// [`Self::clip_grad_norm`] into. Allocates only when it must grow (it moves then), admitted by
    /// `policy`; changes nothing on error.
    pub fn id_buffer(&mut self, len: usize, policy: &impl MemoryPolicy) -> Result<&mut [u32], AllocError> {
        if len > self.ids.len() {
            let more = len - self.ids.len();
            reserve_admitted(&mut self.ids, more, policy)?;
            self.ids.resize(len, u32::MAX); // within the capacity reserved above
        }
        Ok(&mut self.ids)
    }

    /// The ids the host wrote (the whole buffer; a call reads its first entries).
    pub(crate) fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// The live parameter with id `id`, if any.
    pub(crate) fn get(&self, id: u32) -> Option<SharedParam> {
        match self.slots.get(id as usize) {
            Some(Slot::Used(param)) => param.upgrade(),
            _ => None,
        }
    }

    /// `torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type, error_if_nonfinite)` over the
    /// parameters whose ids are the first `count` of the id buffer: parameters without a gradient
    /// are ignored; the total norm is the `norm_type`-norm of the gradients' norms; every gradient
    /// is multiplied by [`clip_coefficient`]. Returns the total norm (before clipping). As in
    /// torch, a parameter listed twice counts twice in the norm and is scaled twice.
    ///
    /// All or nothing: every argument and every id is checked, and the norm computed, before any
    /// gradient changes. Allocates nothing.
    ///
    /// torch multiplies by the coefficient even when it is 1; this skips that, which changes no
    /// bit: a coefficient of exactly 1 means a finite total, so every gradient is finite, and
    /// `x * 1 == x` for every finite `x` (zeros and subnormals included).
    #[inline] // into a caller with a constant `kernel`: it then holds only that kernel
    pub fn clip_grad_norm(
        &self,
        count: usize,
        max_norm: f64,
        norm_type: f64,
        error_if_nonfinite: bool,
        kernel: Kernel,
    ) -> Result<f32, ClipError> {
        if max_norm.is_nan() || max_norm < 0.0 {
            return Err(ClipError::MaxNorm { value: max_norm });
        }
        let norm = NormType::new(norm_type).ok_or(ClipError::NormType { value: norm_type })?;
        if count > self.ids.len() {
            return Err(ClipError::TooMany { count });
        }
        // Phase 1: check every id and add up the norms.
        let mut total = TotalNorm::new(norm);
        for (index, &id) in self.ids[..count].iter().enumerate() {
            let Some(param) = self.get(id) else { return Err(ClipError::NoSuchParameter { index }) };
            let buffers = param.borrow();
            if buffers.is_disposed() {
                return Err(ClipError::Disposed { index });
            }
            if buffers.sparse_grad().is_some() {
                return Err(ClipError::SparseGrad { index });
            }
            if let Some(grad) = buffers.grad() {
                total.add(grad_norm(grad, norm, kernel));
            }
        }
        let total = total.value();
        if error_if_nonfinite && !total.is_finite() {
            return Err(ClipError::NonFinite { total });
        }
        // Phase 2: scale. Every id was checked above; nothing here can fail.
        let coef = clip_coefficient(max_norm, total);
        if coef != 1.0 {
            for &id in &self.ids[..count] {
                // Phase 1 found every id live (and nothing ran since): the `if` always holds.
                if let Some(param) = self.get(id) {
                    let mut buffers = param.borrow_mut();
                    if let Some(grad) = buffers.grad_mut() {
                        scale(grad, coef, kernel);
                    }
                }
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Unbounded;
    // On wasm32, `#[test]` is wasm-bindgen-test's (see the convention atop tests/adam.rs).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn param(values: &[f32], grad: Option<&[f32]>) -> SharedParam {
        let p = Rc::new(RefCell::new(ParamBuffers::from_values(values.to_vec())));
        if let Some(grad) = grad {
            p.borrow_mut().grad_buffer(&Unbounded).unwrap().copy_from_slice(grad);
            p.borrow_mut().set_has_grad(true);
        }
        p
    }

    fn grad(p: &SharedParam) -> Vec<f32> {
        p.borrow().grad().unwrap().to_vec()
    }

    /// Registers `params` and writes their ids, in order, into the id buffer.
    fn setup(params: &[&SharedParam]) -> ParamRegistry {
        let mut registry = ParamRegistry::new();
        let ids: Vec<u32> = params.iter().map(|p| registry.register(p, &Unbounded).unwrap()).collect();
        registry.id_buffer(ids.len(), &Unbounded).unwrap()[..ids.len()].copy_from_slice(&ids);
        registry
    }

    #[test]
    fn ids_are_reused_and_dead_parameters_are_refused() {
        let (a, b, c) = (param(&[1.0], None), param(&[2.0], None), param(&[3.0], None));
        let mut registry = ParamRegistry::new();
        let ids: Vec<u32> = [&a, &b, &c].iter().map(|p| registry.register(p, &Unbounded).unwrap()).collect();
        assert_eq!(ids, [0, 1, 2]);
        registry.unregister(1);
        registry.unregister(1); // twice: ignored
        registry.unregister(7); // never registered: ignored
        assert_eq!(registry.len(), 2);
        let d = param(&[4.0], None);
        assert_eq!(registry.register(&d, &Unbounded), Ok(1));
        assert_eq!(registry.len(), 3);
        // The registry does not keep a parameter alive: once dropped, its id leads nowhere.
        drop(c);
        registry.id_buffer(1, &Unbounded).unwrap()[0] = 2;
        assert_eq!(registry.clip_grad_norm(1, 1.0, 2.0, false, Kernel::Simd), Err(ClipError::NoSuchParameter { index: 0 }));
        registry.id_buffer(1, &Unbounded).unwrap()[0] = 99;
        assert_eq!(registry.clip_grad_norm(1, 1.0, 2.0, false, Kernel::Simd), Err(ClipError::NoSuchParameter { index: 0 }));
    }

    #[test]
    fn the_last_unregister_gives_the_table_back() {
        let (a, b) = (param(&[1.0], None), param(&[2.0], None));
        let mut registry = ParamRegistry::new();
        let ids = [registry.register(&a, &Unbounded).unwrap(), registry.register(&b, &Unbounded).unwrap()];
        assert!(registry.slots.capacity() > 0);
        registry.unregister(ids[1]);
        registry.unregister(ids[0]);
        assert!(registry.is_empty() && registry.slots.capacity() == 0 && registry.free.is_none());
        assert_eq!(registry.register(&b, &Unbounded), Ok(0));
    }

    #[test]
    fn clips_to_max_norm_as_torch_does() {
        // grads [3, 4] and [12] (norms 5 and 12), [0] has none: total sqrt(25 + 144) = 13.
        // coef = (1 / (13 + 1e-6f)) * 6.5f in float32 operations, as torch's (a hair under 0.5):
        // every gradient is multiplied by that.
        let (a, b, none) = (param(&[0.0, 0.0], Some(&[3.0, 4.0])), param(&[0.0], Some(&[12.0])), param(&[0.0], None));
        let registry = setup(&[&a, &none, &b]);
        assert_eq!(registry.clip_grad_norm(3, 6.5, 2.0, false, Kernel::Simd), Ok(13.0));
        let coef = (1.0 / (13.0 + 1e-6_f32)) * 6.5;
        assert_eq!(grad(&a), [3.0 * coef, 4.0 * coef]);
        assert_eq!(grad(&b), [12.0 * coef]);
        assert!(none.borrow().grad().is_none());
        // Now the total is 13 * coef, a hair under 6.5. Clipping to 6.5 again still shrinks the
        // gradients a little (6.5 / (total + 1e-6) < 1), as in torch; to 7, the coefficient clamps
        // to 1 and nothing changes.
        let before = (grad(&a), grad(&b));
        let total = registry.clip_grad_norm(3, 7.0, 2.0, false, Kernel::Simd).unwrap();
        assert!(total < 6.5 && (total - 6.5).abs() < 1e-5, "{total}");
        assert_eq!((grad(&a), grad(&b)), before);
    }

    #[test]
    fn the_infinity_norm_is_the_largest_magnitude() {
        // max |g| over [3, -4] and [-12]: 12; coef = (1 / (12 + 1e-6f)) * 3 = 0.25 (rounded).
        let (a, b) = (param(&[0.0, 0.0], Some(&[3.0, -4.0])), param(&[0.0], Some(&[-12.0])));
        let registry = setup(&[&a, &b]);
        assert_eq!(registry.clip_grad_norm(2, 3.0, f64::INFINITY, false, Kernel::Simd), Ok(12.0));
        let coef = (1.0 / (12.0 + 1e-6_f32)) * 3.0;
        assert_eq!(grad(&a), [3.0 * coef, -4.0 * coef]);
        assert_eq!(grad(&b), [-12.0 * coef]);
    }

    #[test]
    fn no_gradients_give_a_total_of_zero() {
        let a = param(&[1.0], None);
        let registry = setup(&[&a]);
        assert_eq!(registry.clip_grad_norm(1, 1.0, 2.0, false, Kernel::Simd), Ok(0.0));
        assert_eq!(registry.clip_grad_norm(0, 1.0, 2.0, false, Kernel::Simd), Ok(0.0));
    }

    #[test]
    fn errors_change_nothing() {
        let (a, b) = (param(&[0.0], Some(&[f32::NAN])), param(&[0.0], Some(&[2.0])));
        let registry = setup(&[&b, &a]);
        // error_if_nonfinite: the NaN total is an error, and b's gradient is left alone.
        assert!(
            matches!(registry.clip_grad_norm(2, 1.0, 2.0, true, Kernel::Simd), Err(ClipError::NonFinite { total }) if total.is_nan())
        );
        assert_eq!(grad(&b), [2.0]);
        // Without it, as torch: a NaN total makes every gradient NaN.
        assert!(registry.clip_grad_norm(2, 1.0, 2.0, false, Kernel::Simd).unwrap().is_nan());
        assert!(grad(&b)[0].is_nan());

        let (c, d) = (param(&[0.0], Some(&[2.0])), param(&[0.0], Some(&[3.0])));
        let registry = setup(&[&c, &d]);
        let before = (grad(&c), grad(&d));
        d.borrow_mut().dispose();
        assert_eq!(registry.clip_grad_norm(2, 0.5, 2.0, false, Kernel::Simd), Err(ClipError::Disposed { index: 1 }));
        assert_eq!(registry.clip_grad_norm(2, -1.0, 2.0, false, Kernel::Simd), Err(ClipError::MaxNorm { value: -1.0 }));
        assert!(matches!(registry.clip_grad_norm(2, f64::NAN, 2.0, false, Kernel::Simd), Err(ClipError::MaxNorm { .. })));
        assert_eq!(registry.clip_grad_norm(2, 1.0, 0.0, false, Kernel::Simd), Err(ClipError::NormType { value: 0.0 }));
        assert_eq!(registry.clip_grad_norm(4, 1.0, 2.0, false, Kernel::Simd), Err(ClipError::TooMany { count: 4 }));
        assert_eq!(grad(&c), before.0);

        // A sparse gradient (SparseAdam's) is refused, not skipped: the dense one before it stays.
        let (e, f) = (param(&[0.0], Some(&[2.0])), param(&[0.0, 0.0], None));
        f.borrow_mut().set_sparse_grad(&[1], &[5.0], &Unbounded).unwrap();
        let registry = setup(&[&e, &f]);
        assert_eq!(registry.clip_grad_norm(2, 0.5, 2.0, false, Kernel::Simd), Err(ClipError::SparseGrad { index: 1 }));
        assert_eq!(grad(&e), [2.0]);
    }

    #[test]
    fn a_parameter_listed_twice_counts_twice_and_is_scaled_twice_as_in_torch() {
        // torch: grads = [p.grad for p in parameters] holds the same tensor twice, so the norm is
        // sqrt(3^2 + 4^2 + 3^2 + 4^2) = sqrt(50) and _foreach_mul_ multiplies it twice.
        let a = param(&[0.0, 0.0], Some(&[3.0, 4.0]));
        let mut registry = setup(&[&a]);
        registry.id_buffer(2, &Unbounded).unwrap()[..2].copy_from_slice(&[0, 0]);
        let total = registry.clip_grad_norm(2, 1.0, 2.0, false, Kernel::Simd).unwrap();
        assert_eq!(total, 50.0_f64.sqrt() as f32);
        let coef = clip_coefficient(1.0, total);
        assert_eq!(grad(&a), [3.0 * coef * coef, 4.0 * coef * coef]);
    }

    #[test]
    fn an_infinite_total_zeroes_finite_gradients_as_torch_does() {
        // coef = (1 / inf) * 1 = 0: finite elements become 0, the infinite one NaN (inf * 0).
        let a = param(&[0.0, 0.0], Some(&[f32::INFINITY, -2.0]));
        let registry = setup(&[&a]);
        assert_eq!(registry.clip_grad_norm(1, 1.0, 2.0, false, Kernel::Simd), Ok(f32::INFINITY));
        let g = grad(&a);
        assert!(g[0].is_nan() && g[1] == 0.0 && g[1].is_sign_negative());
    }

    #[test]
    fn both_kernels_clip_bit_for_bit_alike() {
        let values =
            |n: usize, k: f32| (0..n).map(|i| ((i as f32 + k) * 0.7).sin() * 10f32.powi((i % 7) as i32 - 3)).collect::<Vec<_>>();
        for norm_type in [1.0, 2.0, 3.0, f64::INFINITY] {
            let make = || [param(&[0.0; 37], Some(&values(37, 1.0))), param(&[0.0; 1000], Some(&values(1000, 2.0)))];
            let (simd, reference) = (make(), make());
            let r1 = setup(&[&simd[0], &simd[1]]);
            let r2 = setup(&[&reference[0], &reference[1]]);
            let t1 = r1.clip_grad_norm(2, 0.5, norm_type, false, Kernel::Simd).unwrap();
            let t2 = r2.clip_grad_norm(2, 0.5, norm_type, false, Kernel::Reference).unwrap();
            assert_eq!(t1.to_bits(), t2.to_bits(), "norm {norm_type}");
            for (p, q) in simd.iter().zip(&reference) {
                assert_eq!(
                    grad(p).iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    grad(q).iter().map(|x| x.to_bits()).collect::<Vec<_>>()
                );
            }
        }
    }
}
