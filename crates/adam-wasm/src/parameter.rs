//! A parameter's data and gradient buffers.

use std::cell::RefCell;
use std::rc::Rc;

use adam_core::try_zeros;
use wasm_bindgen::prelude::*;

/// The buffers behind one parameter, shared between the JS handle and every optimizer that holds it.
#[derive(Debug)]
pub(crate) struct ParamBuffers {
    pub(crate) data: Vec<f32>,
    /// Allocated at the first `grad` write and kept afterwards, so clearing and re-setting a
    /// gradient every step never allocates. Meaningful only while `has_grad`.
    pub(crate) grad: Vec<f32>,
    pub(crate) has_grad: bool,
    pub(crate) disposed: bool,
}

/// A parameter's `data` (and, once set, `grad`) as f32 buffers in linear memory.
#[wasm_bindgen]
#[derive(Debug)]
pub struct RawParameter {
    pub(crate) buffers: Rc<RefCell<ParamBuffers>>,
}

#[wasm_bindgen]
impl RawParameter {
    /// A zero-filled parameter of `len` elements; an error (not a trap) if memory cannot hold it.
    #[wasm_bindgen(constructor)]
    pub fn new(len: usize) -> Result<RawParameter, JsError> {
        let data = try_zeros(len).map_err(|e| JsError::new(&e.to_string()))?;
        let buffers = ParamBuffers { data, grad: Vec::new(), has_grad: false, disposed: false };
        Ok(Self { buffers: Rc::new(RefCell::new(buffers)) })
    }

    /// Number of elements (0 once disposed).
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.buffers.borrow().data.len()
    }

    /// Byte address of `data` in linear memory. Stable for the parameter's life.
    #[wasm_bindgen(js_name = dataPtr)]
    pub fn data_ptr(&self) -> usize {
        self.buffers.borrow().data.as_ptr() as usize
    }

    /// Byte address of the gradient buffer, allocating it (zero-filled) on first use.
    /// Does not mark the gradient as present; see [`Self::set_has_grad`].
    #[wasm_bindgen(js_name = gradPtr)]
    pub fn grad_ptr(&self) -> Result<usize, JsError> {
        let mut buffers = self.buffers.borrow_mut();
        if buffers.grad.len() != buffers.data.len() {
            buffers.grad = try_zeros(buffers.data.len()).map_err(|e| JsError::new(&e.to_string()))?;
        }
        Ok(buffers.grad.as_ptr() as usize)
    }

    /// Whether the parameter has a gradient (`grad !== null`): optimizers skip it otherwise.
    #[wasm_bindgen(getter, js_name = hasGrad)]
    pub fn has_grad(&self) -> bool {
        self.buffers.borrow().has_grad
    }

    /// Marks the gradient present or absent. Present requires [`Self::grad_ptr`] to have
    /// allocated the buffer; returns false (and changes nothing) otherwise.
    #[wasm_bindgen(js_name = setHasGrad)]
    pub fn set_has_grad(&self, has_grad: bool) -> bool {
        let mut buffers = self.buffers.borrow_mut();
        if has_grad && buffers.grad.len() != buffers.data.len() {
            return false;
        }
        buffers.has_grad = has_grad;
        true
    }

    /// Frees both buffers now, even while optimizers still hold the parameter: they refuse to
    /// step it afterwards. Calling it again does nothing.
    pub fn dispose(&self) {
        let mut buffers = self.buffers.borrow_mut();
        buffers.data = Vec::new();
        buffers.grad = Vec::new();
        buffers.has_grad = false;
        buffers.disposed = true;
    }

    /// Whether [`Self::dispose`] was called.
    #[wasm_bindgen(getter)]
    pub fn disposed(&self) -> bool {
        self.buffers.borrow().disposed
    }
}
