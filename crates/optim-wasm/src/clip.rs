//! `clipGradNorm`: optim-core's `ParamRegistry`, one per module instance. Every [`RawParameter`]
//! registers itself when created and unregisters when freed; JavaScript names parameters by their
//! [`RawParameter::id`], writes the ids into the registry's id buffer in linear memory
//! ([`clip_ids`]), and clips them all with one call ([`clip_grad_norm`]), which checks every id.
//!
//! [`RawParameter`]: crate::RawParameter
//! [`RawParameter::id`]: crate::RawParameter::id

use std::cell::{Cell, RefCell};

use optim_core::kernel::Kernel;
use optim_core::ParamRegistry;
use wasm_bindgen::prelude::*;

use crate::error::RawError;
use crate::memory::Headroom;

thread_local! {
    /// Every live parameter of this module instance, by id (WebAssembly is single-threaded: one).
    pub(crate) static REGISTRY: RefCell<ParamRegistry> = const { RefCell::new(ParamRegistry::new()) };
    /// Why the last [`clip_grad_norm`] failed, until [`take_clip_error`].
    static CLIP_ERROR: Cell<Option<RawError>> = const { Cell::new(None) };
}

/// Byte address of room for `len` parameter ids (u32) for the next [`clip_grad_norm`], or 0 if
/// memory cannot hold them ([`take_clip_error`] says why). The buffer is kept from call to call
/// and moves only when this grows it. (A plain number rather than a `Result`: wasm-bindgen's glue
/// for a `Result` is bigger, and the `.wasm` has a size budget.)
#[wasm_bindgen(js_name = clipIds)]
pub fn clip_ids(len: u32) -> usize {
    let result =
        REGISTRY.with_borrow_mut(|registry| registry.id_buffer(len as usize, &Headroom).map(|ids| ids.as_ptr() as usize));
    result.unwrap_or_else(|error| {
        CLIP_ERROR.set(Some(error.into()));
        0
    })
}

/// `torch.nn.utils.clip_grad_norm_` over the parameters whose ids are the first `count` at
/// [`clip_ids`]: the total norm before clipping (a norm: `>= 0`, or NaN), or `-1` if it failed
/// and changed nothing ([`take_clip_error`] says why). A plain number, not a `Result` (which
/// wasm-bindgen hands over as a fresh array): clipping allocates nothing in JavaScript.
///
/// Always the SIMD kernels: optim-core tests them against its scalar reference on wasm32, and
/// leaving the reference out keeps the `.wasm` within its budget.
#[wasm_bindgen(js_name = clipGradNorm)]
pub fn clip_grad_norm(count: usize, max_norm: f64, norm_type: f64, error_if_nonfinite: bool) -> f64 {
    let result =
        REGISTRY.with_borrow(|registry| registry.clip_grad_norm(count, max_norm, norm_type, error_if_nonfinite, Kernel::Simd));
    match result {
        Ok(total) => f64::from(total),
        Err(error) => {
            CLIP_ERROR.set(Some(error.into()));
            -1.0
        }
    }
}

/// Why the last [`clip_grad_norm`] or [`clip_ids`] failed (and forgets it); `undefined` if it did not.
#[wasm_bindgen(js_name = takeClipError)]
pub fn take_clip_error() -> Option<RawError> {
    CLIP_ERROR.take()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::RawParameter;

    // Each test thread has its own registry (a thread-local): these tests do not share it.

    #[test]
    fn parameters_register_on_creation_and_unregister_when_freed() {
        let (a, b) = (RawParameter::new(2.0).unwrap(), RawParameter::new(3.0).unwrap());
        assert_ne!(a.id(), b.id());
        let freed = a.id();
        drop(a); // what JavaScript's free() does
        assert_eq!(RawParameter::new(1.0).unwrap().id(), freed, "the freed id is reused");
        REGISTRY.with_borrow(|registry| assert_eq!(registry.len(), 1, "only b is left"));
    }

    #[test]
    fn one_call_clips_the_parameters_whose_ids_were_written() {
        let p = RawParameter::new(2.0).unwrap();
        let ptr = p.grad_ptr().unwrap() as *mut f32;
        // SAFETY: grad_ptr() points at the parameter's 2-element gradient buffer.
        unsafe { ptr.copy_from_nonoverlapping([3.0_f32, 4.0].as_ptr(), 2) };
        assert!(p.set_has_grad(true));
        let ids = clip_ids(16) as *mut u32;
        // SAFETY: clip_ids(16) returned room for 16 ids.
        unsafe { ids.write(p.id()) };
        assert_eq!(clip_grad_norm(1, 1.0, 2.0, false), 5.0);
        assert_eq!(take_clip_error(), None);
        assert_eq!(clip_grad_norm(1, -1.0, 2.0, false), -1.0);
        assert_eq!(take_clip_error().map(|e| (e.kind(), e.value())), Some((ErrorKind::MaxNorm, -1.0)));
        p.dispose();
        assert_eq!(clip_grad_norm(1, 1.0, 2.0, false), -1.0);
        assert_eq!(take_clip_error().map(|e| (e.kind(), e.param())), Some((ErrorKind::Disposed, Some(0))));
    }
}
