//! A parameter's data and gradient buffers, shared between the host's handle and the optimizers
//! that hold the parameter.

use std::cell::RefCell;
use std::rc::Rc;

use crate::memory::{reserve_admitted, zeros_admitted, AllocError, MemoryPolicy};

/// Why a sparse gradient was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SparseGradError {
    /// `values` does not hold one row for each index.
    Length {
        /// Its length.
        values: usize,
    },
    /// An index is not a row of the first dimension.
    Row {
        /// Its position among the indices.
        position: usize,
        /// The index.
        row: u32,
    },
    /// Memory for the gradient could not be had.
    OutOfMemory(AllocError),
}

/// What an optimizer knows of a parameter's shape: how many dimensions it has and its last two
/// (a matrix's rows and columns, for Muon); a 1-D parameter of `n` elements is 1 row of `n`
/// columns, a 0-d one 1 of 1. A 3-D or larger one is `len / (rows * cols)` such matrices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dims {
    /// Number of dimensions.
    pub ndim: usize,
    /// The second-to-last dimension (1 for fewer than 2 dimensions).
    pub rows: usize,
    /// The last dimension (1 for a 0-d parameter).
    pub cols: usize,
    /// The first dimension (1 for a 0-d parameter): the rows a sparse gradient indexes
    /// (`nn.Embedding`'s `num_embeddings`).
    pub first: usize,
}

impl Dims {
    /// The dims of `shape`, if its product is `len`.
    pub fn of_shape(shape: impl IntoIterator<Item = usize>, len: usize) -> Option<Dims> {
        let (mut dims, mut product) = (Dims { ndim: 0, rows: 1, cols: 1, first: 1 }, 1usize);
        for d in shape {
            product = product.checked_mul(d)?;
            let first = if dims.ndim == 0 { d } else { dims.first };
            dims = Dims { ndim: dims.ndim + 1, rows: dims.cols, cols: d, first };
        }
        if dims.ndim < 2 {
            dims.rows = 1;
        }
        (product == len).then_some(dims)
    }

    /// The dims of a flat parameter of `len` elements (1-D), as every parameter starts.
    pub fn flat(len: usize) -> Dims {
        Dims { ndim: 1, rows: 1, cols: len, first: len }
    }

    /// Elements per row of the first dimension (a sparse gradient's row): `len / first`.
    pub fn row_width(&self, len: usize) -> usize {
        len.checked_div(self.first).unwrap_or(0)
    }
}

/// One parameter's `data` and (once set) `grad`, as flat f32 buffers.
#[derive(Debug, Default)]
pub struct ParamBuffers {
    data: Vec<f32>,
    dims: Dims,
    /// Allocated at the first gradient and kept afterwards, so that clearing and setting a
    /// gradient every step never allocates. Meaningful only while `has_grad`.
    grad: Vec<f32>,
    has_grad: bool,
    /// Whether the gradient is sparse (`sparse_indices` and `sparse_values`), not `grad`.
    sparse: bool,
    /// A sparse gradient's rows of the first dimension, repeats allowed (torch's COO indices),
    /// and their values, `row_width` each. Kept between gradients so that setting one of no more
    /// rows than before allocates nothing.
    sparse_indices: Vec<u32>,
    sparse_values: Vec<f32>,
    disposed: bool,
}

/// A parameter as optimizers hold it: shared with the host's handle, which writes values and
/// gradients between steps.
pub type SharedParam = Rc<RefCell<ParamBuffers>>;

impl ParamBuffers {
    /// A zero-filled parameter of `len` elements, admitted by `policy`.
    pub fn zeros(len: usize, policy: &impl MemoryPolicy) -> Result<Self, AllocError> {
        Ok(Self { data: zeros_admitted(len, policy)?, dims: Dims::flat(len), ..Self::default() })
    }

    /// A parameter holding `values`, with no gradient.
    pub fn from_values(values: Vec<f32>) -> Self {
        Self { dims: Dims::flat(values.len()), data: values, ..Self::default() }
    }

    /// Gives the parameter the shape `shape` (its product must be the length; it is 1-D until
    /// then). Returns false, changing nothing, otherwise.
    pub fn set_shape(&mut self, shape: impl IntoIterator<Item = usize>) -> bool {
        match Dims::of_shape(shape, self.data.len()) {
            Some(dims) => {
                self.dims = dims;
                true
            }
            None => false,
        }
    }

    /// What the optimizers know of its shape.
    pub fn dims(&self) -> Dims {
        self.dims
    }

    /// The values (empty once disposed).
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The values, to write.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Number of elements (0 once disposed).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True for an empty (or disposed) parameter.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The gradient, if the parameter has a dense one; optimizers skip a parameter without a
    /// gradient.
    pub fn grad(&self) -> Option<&[f32]> {
        (self.has_grad && !self.sparse).then_some(&self.grad[..])
    }

    /// The sparse gradient, if the parameter has one: its rows and their values.
    pub fn sparse_grad(&self) -> Option<(&[u32], &[f32])> {
        (self.has_grad && self.sparse).then_some((&self.sparse_indices[..], &self.sparse_values[..]))
    }

    /// Whether the gradient (present or not) is sparse.
    pub fn is_sparse(&self) -> bool {
        self.sparse
    }

    /// Sets a sparse gradient: `values` holds `indices.len()` rows of the first dimension
    /// ([`Dims::row_width`] elements each), in order; a row may repeat (its values are summed,
    /// as torch's `coalesce` sums them). Its buffers grow, admitted by `policy`, only when
    /// the gradient holds more than any before. Changes nothing on error.
    pub fn set_sparse_grad(
        &mut self,
        indices: &[u32],
        values: &[f32],
        policy: &impl MemoryPolicy,
    ) -> Result<(), SparseGradError> {
        let first = self.dims.first;
        if values.len() != indices.len().saturating_mul(self.dims.row_width(self.data.len())) {
            return Err(SparseGradError::Length { values: values.len() });
        }
        if let Some(position) = indices.iter().position(|&row| row as usize >= first) {
            return Err(SparseGradError::Row { position, row: indices[position] });
        }
        if indices.len() > self.sparse_indices.capacity() {
            let more = indices.len() - self.sparse_indices.len();
            reserve_admitted(&mut self.sparse_indices, more, policy).map_err(SparseGradError::OutOfMemory)?;
        }
        if values.len() > self.sparse_values.capacity() {
            let more = values.len() - self.sparse_values.len();
            reserve_admitted(&mut self.sparse_values, more, policy).map_err(SparseGradError::OutOfMemory)?;
        }
        self.sparse_indices.clear();
        self.sparse_indices.extend_from_slice(indices);
        self.sparse_values.clear();
        self.sparse_values.extend_from_slice(values);
        self.sparse = true;
        self.has_grad = true;
        Ok(())
    }

    /// The gradient buffer, allocated (zero-filled, admitted by `policy`) on first use; it keeps its
    /// contents while the gradient is absent. Does not mark the gradient present: see
    /// [`Self::set_has_grad`].
    pub fn grad_buffer(&mut self, policy: &impl MemoryPolicy) -> Result<&mut [f32], AllocError> {
        if self.grad.len() != self.data.len() {
            self.grad = zeros_admitted(self.data.len(), policy)?;
        }
        Ok(&mut self.grad)
    }

    /// Whether the parameter has a gradient.
    pub fn has_grad(&self) -> bool {
        self.has_grad
    }

    /// Marks the gradient present or absent. Present requires [`Self::grad_buffer`] to have
    /// allocated the buffer; returns false (and changes nothing) otherwise.
    pub fn set_has_grad(&mut self, has_grad: bool) -> bool {
        if has_grad && self.grad.len() != self.data.len() {
            return false;
        }
        self.has_grad = has_grad;
        // A dense gradient present, or none: a sparse one is set by `set_sparse_grad`.
        self.sparse = false;
        true
    }

    /// Frees both buffers now, even while optimizers hold the parameter: they refuse to step it
    /// afterwards. Calling it again does nothing.
    pub fn dispose(&mut self) {
        *self = Self { disposed: true, ..Self::default() };
    }

    /// Whether [`Self::dispose`] was called.
    pub fn is_disposed(&self) -> bool {
        self.disposed
    }

    /// The gradient, to write in place, if the parameter has one.
    pub(crate) fn grad_mut(&mut self) -> Option<&mut [f32]> {
        (self.has_grad && !self.sparse).then_some(&mut self.grad[..])
    }

    /// The data and gradient for a step (the gradient only if present: a dense one's values, or
    /// a sparse one's values and rows).
    pub(crate) fn data_and_grad(&mut self) -> (&mut [f32], Option<&[f32]>, Option<&[u32]>) {
        match (self.has_grad, self.sparse) {
            (false, _) => (&mut self.data, None, None),
            (true, false) => (&mut self.data, Some(&self.grad[..]), None),
            (true, true) => (&mut self.data, Some(&self.sparse_values[..]), Some(&self.sparse_indices[..])),
        }
    }

    /// The values of the gradient, dense or sparse, if it has one (the non-finite guard's).
    pub(crate) fn grad_values(&self) -> Option<&[f32]> {
        match (self.has_grad, self.sparse) {
            (false, _) => None,
            (true, false) => Some(&self.grad),
            (true, true) => Some(&self.sparse_values),
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::memory::Unbounded;

    #[test]
    fn a_gradient_is_allocated_once_and_only_marked_present_after() {
        let mut p = ParamBuffers::zeros(3, &Unbounded).unwrap();
        assert_eq!(p.grad(), None);
        assert!(!p.set_has_grad(true), "no buffer yet");
        p.grad_buffer(&Unbounded).unwrap().copy_from_slice(&[1.0, 2.0, 3.0]);
        assert!(p.set_has_grad(true));
        assert_eq!(p.grad(), Some(&[1.0, 2.0, 3.0][..]));
        p.set_has_grad(false);
        assert_eq!(p.grad(), None);
        let ptr = p.grad_buffer(&Unbounded).unwrap().as_ptr();
        assert!(p.set_has_grad(true));
        assert_eq!(p.grad().unwrap().as_ptr(), ptr, "kept, not reallocated");
        p.dispose();
        assert!(p.is_disposed() && p.is_empty() && p.grad().is_none());
    }
}
