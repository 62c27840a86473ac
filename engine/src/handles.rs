//! Handles of a store's objects: [`Func`], [`Global`], [`Memory`], [`Table`] and their
//! union [`Extern`]. A handle is the id of its store and the address of the object, which
//! lives until the store is dropped; every use goes through a [`Store`] that checks the id.
//!
//! This module holds what a handle *is*; what it *does* needs values and the store API
//! and lives above: calls and host functions in `func.rs`, globals, memories and tables in
//! `externals.rs`.

use crate::compiled::BoundImport;
use crate::store::Store;
use stagec_frontend::{Export, ExternKind, GlobalType};
use stagec_runtime::vm::{VMFuncImport, VMFuncRef, VMGlobal};
use std::ptr::NonNull;

/// A function of a store: a wasm function of an instance, or a host function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Func {
    pub(crate) store_id: u64,
    pub(crate) funcref: NonNull<VMFuncRef>,
}

/// A global variable.
#[derive(Clone, Copy, Debug)]
pub struct Global {
    pub(crate) store_id: u64,
    pub(crate) ptr: NonNull<VMGlobal>,
    pub(crate) ty: GlobalType,
}

/// A linear memory.
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    pub(crate) store_id: u64,
    pub(crate) ptr: NonNull<stagec_runtime::Memory>,
}

/// A table.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub(crate) store_id: u64,
    pub(crate) ptr: NonNull<stagec_runtime::Table>,
}

// SAFETY: a handle is an id and an address; every dereference goes through its Store,
// which checks the id.
unsafe impl Send for Func {}
// SAFETY: as above.
unsafe impl Sync for Func {}
// SAFETY: as above.
unsafe impl Send for Global {}
// SAFETY: as above.
unsafe impl Sync for Global {}
// SAFETY: as above.
unsafe impl Send for Memory {}
// SAFETY: as above.
unsafe impl Sync for Memory {}
// SAFETY: as above.
unsafe impl Send for Table {}
// SAFETY: as above.
unsafe impl Sync for Table {}

impl Func {
    /// # Safety
    /// `raw` must be 0 or the address of a live `VMFuncRef` of store `store_id`.
    pub(crate) unsafe fn from_raw(store_id: u64, raw: usize) -> Option<Func> {
        NonNull::new(raw as *mut VMFuncRef).map(|funcref| Func { store_id, funcref })
    }

    /// The address of the function's `VMFuncRef` (its funcref value).
    pub(crate) fn funcref_addr(&self) -> usize {
        self.funcref.as_ptr() as usize
    }

    /// The function's `VMFuncRef`, checked to belong to `store`.
    pub(crate) fn funcref<'a>(&self, store: &'a Store) -> &'a VMFuncRef {
        store.check(self.store_id);
        // SAFETY: the funcref lives as long as its store, borrowed for 'a.
        unsafe { self.funcref.as_ref() }
    }
}

impl Global {
    /// The global's type.
    pub fn ty(&self) -> GlobalType {
        self.ty
    }
}

/// Anything that can be imported or exported.
#[derive(Clone, Copy, Debug)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A global.
    Global(Global),
    /// A memory.
    Memory(Memory),
    /// A table.
    Table(Table),
}

impl Extern {
    /// The id of the store the object belongs to.
    pub(crate) fn store_id(&self) -> u64 {
        match self {
            Extern::Func(f) => f.store_id,
            Extern::Global(g) => g.store_id,
            Extern::Memory(m) => m.store_id,
            Extern::Table(t) => t.store_id,
        }
    }

    /// The object's kind.
    pub(crate) fn kind(&self) -> ExternKind {
        match self {
            Extern::Func(_) => ExternKind::Func,
            Extern::Table(_) => ExternKind::Table,
            Extern::Memory(_) => ExternKind::Memory,
            Extern::Global(_) => ExternKind::Global,
        }
    }

    /// The object's address, for binding it at compile time or as an import; it must
    /// belong to `store` (checked).
    pub(crate) fn address(&self, store: &Store) -> BoundImport {
        store.check(self.store_id());
        match self {
            Extern::Func(f) => {
                let funcref = f.funcref(store);
                BoundImport::Func(VMFuncImport {
                    code: funcref.code,
                    vmctx: funcref.vmctx,
                })
            }
            Extern::Global(g) => BoundImport::Global(g.ptr.as_ptr()),
            // SAFETY: a memory of `store` (checked), which is alive while borrowed.
            Extern::Memory(m) => unsafe { BoundImport::of_memory(m.ptr.as_ptr()) },
            // SAFETY: a table of `store` (checked), which is alive while borrowed.
            Extern::Table(t) => unsafe { BoundImport::of_table(t.ptr.as_ptr()) },
        }
    }

    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func> {
        if let Extern::Func(f) = self {
            Some(f)
        } else {
            None
        }
    }
    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        if let Extern::Global(g) = self {
            Some(g)
        } else {
            None
        }
    }
    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory> {
        if let Extern::Memory(m) = self {
            Some(m)
        } else {
            None
        }
    }
    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table> {
        if let Extern::Table(t) = self {
            Some(t)
        } else {
            None
        }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}
impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}
impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}
impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
    }
}

/// The handle of export `export` of a runtime instance of store `store_id`.
pub(crate) fn extern_of(
    store_id: u64,
    instance: &stagec_runtime::Instance,
    export: &Export,
) -> Extern {
    let module = instance.module();
    match export.kind {
        ExternKind::Func => Extern::Func(Func {
            store_id,
            funcref: NonNull::new(instance.funcref(export.index) as *mut _).expect("funcref"),
        }),
        ExternKind::Global => Extern::Global(Global {
            store_id,
            ptr: NonNull::new(instance.global(export.index)).expect("global"),
            ty: module.globals[export.index as usize],
        }),
        ExternKind::Memory => Extern::Memory(Memory {
            store_id,
            ptr: NonNull::new(instance.memory(export.index)).expect("memory"),
        }),
        ExternKind::Table => Extern::Table(Table {
            store_id,
            ptr: NonNull::new(instance.table(export.index)).expect("table"),
        }),
    }
}
