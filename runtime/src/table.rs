//! Tables of references. Elements are pointer-sized words: a `*const VMFuncRef` or an
//! externref word, 0 meaning null.

use crate::vm::VMTableDefinition;
use stagec_frontend::TableType;

/// Largest table size stagec accepts (elements).
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A table.
#[derive(Debug)]
pub struct Table {
    elements: Vec<usize>,
    ty: TableType,
    def: Box<VMTableDefinition>,
}

// SAFETY: the table exclusively owns its elements; raw words are plain data.
unsafe impl Send for Table {}
// SAFETY: shared references only read.
unsafe impl Sync for Table {}

impl Table {
    /// Creates a table of type `ty` whose elements are `init`; `None` if too large.
    pub fn new(ty: TableType, init: usize) -> Option<Table> {
        if ty.limits.min > MAX_TABLE_ELEMENTS {
            return None;
        }
        let mut elements = vec![init; ty.limits.min as usize];
        let def = Box::new(VMTableDefinition {
            base: elements.as_mut_ptr(),
            current_elements: elements.len() as u32,
        });
        Some(Table { elements, ty, def })
    }

    /// The table's type.
    pub fn ty(&self) -> TableType {
        self.ty
    }

    /// Current limits (minimum = current size).
    pub fn current_limits(&self) -> stagec_frontend::Limits {
        stagec_frontend::Limits {
            min: self.size() as u64,
            max: self.ty.limits.max,
        }
    }

    /// Number of elements.
    pub fn size(&self) -> u32 {
        self.elements.len() as u32
    }

    /// Element `index`.
    pub fn get(&self, index: u32) -> Option<usize> {
        self.elements.get(index as usize).copied()
    }

    /// Sets element `index`; `false` if out of bounds.
    pub fn set(&mut self, index: u32, value: usize) -> bool {
        match self.elements.get_mut(index as usize) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    /// Grows by `delta` elements set to `init`; returns the old size or `None`.
    pub fn grow(&mut self, delta: u64, init: usize) -> Option<u32> {
        let old = self.size();
        let new = u64::from(old).checked_add(delta)?;
        let max = self.ty.limits.max.unwrap_or(u64::MAX);
        if new > max || new > MAX_TABLE_ELEMENTS {
            return None;
        }
        self.elements.resize(new as usize, init);
        self.sync();
        Some(old)
    }

    /// Elements as a slice.
    pub fn elements(&self) -> &[usize] {
        &self.elements
    }

    /// Elements as a mutable slice.
    pub fn elements_mut(&mut self) -> &mut [usize] {
        &mut self.elements
    }

    /// The definition compiled code reads.
    pub fn definition(&mut self) -> *mut VMTableDefinition {
        &mut *self.def
    }

    fn sync(&mut self) {
        self.def.base = self.elements.as_mut_ptr();
        self.def.current_elements = self.elements.len() as u32;
    }
}
