//! A parameter's data and gradient buffers, as a handle JavaScript holds.

use std::cell::RefCell;
use std::rc::Rc;

use optim_core::{ParamBuffers, SharedParam, SparseGradError};
use wasm_bindgen::prelude::*;

use crate::clip::REGISTRY;
use crate::error::RawError;
use crate::memory::Headroom;

/// The most elements one buffer can hold: a wasm32 allocation is at most `isize::MAX` bytes.
pub const MAX_ELEMENTS: usize = (i32::MAX as usize) / 4;

/// The most elements a parameter (or one of its state buffers) can hold ([`MAX_ELEMENTS`]).
#[wasm_bindgen(js_name = maxElements)]
pub fn max_elements() -> f64 {
    MAX_ELEMENTS as f64
}

/// A parameter's `data` (and, once set, `grad`) as f32 buffers in linear memory, shared with
/// every optimizer that holds it, and registered under an [`id`](Self::id) for `clipGradNorm`
/// until it is freed.
#[wasm_bindgen]
#[derive(Debug)]
pub struct RawParameter {
    pub(crate) buffers: SharedParam,
    id: u32,
}

#[wasm_bindgen]
impl RawParameter {
    /// A zero-filled parameter of `len` elements; an error (not a trap) if `len` is not an
    /// integer in `[0, maxElements()]` or memory cannot hold it. `len` is a JavaScript number, so
    /// that a length beyond 2^32 cannot wrap around to a small one on the way in.
    #[wasm_bindgen(constructor)]
    pub fn new(len: f64) -> Result<RawParameter, RawError> {
        if !(len >= 0.0 && len.fract() == 0.0 && len <= MAX_ELEMENTS as f64) {
            return Err(RawError::out_of_range(len));
        }
        let buffers = ParamBuffers::zeros(len as usize, &Headroom)?;
        // A small allocation, within the headroom the policy left.
        let buffers = Rc::new(RefCell::new(buffers));
        // On error the buffers are dropped here: nothing stays allocated.
        let id = REGISTRY.with_borrow_mut(|registry| registry.register(&buffers, &Headroom))?;
        Ok(Self { buffers, id })
    }

    /// The parameter's id in `clipGradNorm`'s registry: JavaScript writes it into the id list
    /// ([`crate::clip::clip_ids`]) instead of a pointer. Reused by another parameter once this one
    /// is freed.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Gives the parameter its logical shape (each dimension a non-negative integer, their
    /// product its length), which algorithms that take matrices read. An error, changing nothing,
    /// otherwise or once disposed.
    #[wasm_bindgen(js_name = setShape)]
    pub fn set_shape(&self, shape: &[f64]) -> Result<(), RawError> {
        let mut buffers = self.buffers.borrow_mut();
        if buffers.is_disposed() {
            return Err(RawError::disposed());
        }
        if let Some(&bad) = shape.iter().find(|&&d| !(d >= 0.0 && d.fract() == 0.0 && d <= MAX_ELEMENTS as f64)) {
            return Err(RawError::out_of_range(bad));
        }
        if buffers.set_shape(shape.iter().map(|&d| d as usize)) {
            Ok(())
        } else {
            Err(RawError::out_of_range(shape.iter().product()))
        }
    }

    /// Number of elements (0 once disposed).
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.buffers.borrow().len()
    }

    /// Byte address of `data` in linear memory. Stable for the parameter's life.
    #[wasm_bindgen(js_name = dataPtr)]
    pub fn data_ptr(&self) -> usize {
        self.buffers.borrow().data().as_ptr() as usize
    }

    /// Byte address of the gradient buffer, allocating it (zero-filled) on first use.
    /// Does not mark the gradient as present; see [`Self::set_has_grad`].
    #[wasm_bindgen(js_name = gradPtr)]
    pub fn grad_ptr(&self) -> Result<usize, RawError> {
        let mut buffers = self.buffers.borrow_mut();
        if buffers.is_disposed() {
            return Err(RawError::disposed());
        }
        Ok(buffers.grad_buffer(&Headroom)?.as_ptr() as usize)
    }

    /// Whether the parameter has a gradient (`grad !== null`): optimizers skip it otherwise.
    #[wasm_bindgen(getter, js_name = hasGrad)]
    pub fn has_grad(&self) -> bool {
        self.buffers.borrow().has_grad()
    }

    /// Marks the gradient present or absent. Present requires [`Self::grad_ptr`] to have
    /// allocated the buffer; returns false (and changes nothing) otherwise.
    #[wasm_bindgen(js_name = setHasGrad)]
    pub fn set_has_grad(&self, has_grad: bool) -> bool {
        self.buffers.borrow_mut().set_has_grad(has_grad)
    }

    /// Sets a sparse gradient: `values` holds `indices.length` rows of the first dimension, in
    /// order, repeats allowed. An error (not a trap), changing nothing, if the lengths disagree
    /// (`OutOfRange`, `value`: `values.length`), an index is not a row (`OutOfRange`, `value`: the
    /// index, `param`: its position), memory cannot hold it, or the parameter was disposed.
    #[wasm_bindgen(js_name = setSparseGrad)]
    pub fn set_sparse_grad(&self, indices: &[u32], values: &[f32]) -> Result<(), RawError> {
        let mut buffers = self.buffers.borrow_mut();
        if buffers.is_disposed() {
            return Err(RawError::disposed());
        }
        buffers.set_sparse_grad(indices, values, &Headroom).map_err(|error| match error {
            SparseGradError::Length { values } => RawError::out_of_range(values as f64),
            SparseGradError::Row { position, row } => RawError::out_of_range(f64::from(row)).at_param(position),
            SparseGradError::OutOfMemory(error) => RawError::from(error),
        })
    }

    /// Whether the gradient (if any) is sparse.
    #[wasm_bindgen(getter, js_name = isSparse)]
    pub fn is_sparse(&self) -> bool {
        self.buffers.borrow().is_sparse()
    }

    /// A copy of the sparse gradient's rows (empty if the gradient is not sparse).
    #[wasm_bindgen(js_name = sparseIndices)]
    pub fn sparse_indices(&self) -> Vec<u32> {
        self.buffers.borrow().sparse_grad().map_or_else(Vec::new, |(indices, _)| indices.to_vec())
    }

    /// A copy of the sparse gradient's values (empty if the gradient is not sparse).
    #[wasm_bindgen(js_name = sparseValues)]
    pub fn sparse_values(&self) -> Vec<f32> {
        self.buffers.borrow().sparse_grad().map_or_else(Vec::new, |(_, values)| values.to_vec())
    }

    /// Frees both buffers now, even while optimizers still hold the parameter: they refuse to
    /// step it afterwards. Calling it again does nothing.
    pub fn dispose(&self) {
        self.buffers.borrow_mut().dispose();
    }

    /// Whether [`Self::dispose`] was called.
    #[wasm_bindgen(getter)]
    pub fn disposed(&self) -> bool {
        self.buffers.borrow().is_disposed()
    }
}

impl Drop for RawParameter {
    /// Unregisters the id (allocating nothing). Runs when JavaScript frees the handle.
    fn drop(&mut self) {
        // try_with: the registry may already be gone if this runs at thread teardown (native tests).
        let _ = REGISTRY.try_with(|registry| registry.borrow_mut().unregister(self.id));
    }
}
