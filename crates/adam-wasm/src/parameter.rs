//! A parameter's data and gradient buffers.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::memory::{js_error, try_buffer, OutOfMemory};

/// The most elements one buffer can hold: wasm32 allocations are at most `isize::MAX` bytes.
pub const MAX_ELEMENTS: usize = (i32::MAX as usize) / 4;

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
    /// A zero-filled parameter of `len` elements; an error (not a trap) if `len` is not an
    /// integer in `[0, MAX_ELEMENTS]` or memory cannot hold it. `len` is a JavaScript number, so
    /// that a length beyond 2^32 cannot wrap around to a small one on the way in.
    #[wasm_bindgen(constructor)]
    pub fn new(len: f64) -> Result<RawParameter, JsError> {
        if !(len >= 0.0 && len.fract() == 0.0 && len <= MAX_ELEMENTS as f64) {
            return Err(js_error(format_args!("length must be an integer in [0, {MAX_ELEMENTS}], got {len}")));
        }
        Self::try_new(len as usize).map_err(|e| js_error(format_args!("{e}")))
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
        if self.buffers.borrow().disposed {
            return Err(JsError::new("parameter was disposed"));
        }
        self.try_grad_ptr().map_err(|e| js_error(format_args!("{e}")))
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

impl RawParameter {
    /// [`Self::new`] for Rust callers.
    pub fn try_new(len: usize) -> Result<RawParameter, OutOfMemory> {
        let data = try_buffer(len)?;
        let buffers = ParamBuffers { data, grad: Vec::new(), has_grad: false, disposed: false };
        // A small allocation, within the headroom `try_buffer` left.
        Ok(Self { buffers: Rc::new(RefCell::new(buffers)) })
    }

    /// [`Self::grad_ptr`] for Rust callers.
    pub fn try_grad_ptr(&self) -> Result<usize, OutOfMemory> {
        let mut buffers = self.buffers.borrow_mut();
        if buffers.grad.len() != buffers.data.len() {
            buffers.grad = try_buffer(buffers.data.len())?;
        }
        Ok(buffers.grad.as_ptr() as usize)
    }
}
