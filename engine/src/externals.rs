//! Globals, memories and tables: creating them and using them through their store.

use crate::error::{ResourceError, Result, UsageError, ValueRole};
use crate::handles::{Global, Memory, Table};
use crate::store::Store;
use crate::values::{Val, check_vals};
use stagec_frontend::{GlobalType, MemoryType, TableType, ValType};
use stagec_runtime::vm::VMGlobal;
use std::ptr::NonNull;

impl Global {
    /// Creates a host global of type `ty` holding `value`.
    pub fn new(store: &mut Store, ty: GlobalType, value: Val) -> Result<Global> {
        check_vals(ValueRole::Value, &[ty.ty], &[value], Some(store.id))?;
        let mut g = Box::new(VMGlobal(value.to_raw()));
        let ptr = NonNull::from(&mut *g);
        store.globals.push(g);
        Ok(Global {
            store_id: store.id,
            ptr,
            ty,
        })
    }

    /// Current value.
    pub fn get(&self, store: &Store) -> Val {
        store.check(self.store_id);
        // SAFETY: the global lives as long as its store; it holds a value of `ty`.
        unsafe { Val::from_raw(self.store_id, self.ptr.as_ref().0, self.ty.ty) }
    }

    /// Sets the value of a mutable global.
    pub fn set(&self, store: &mut Store, value: Val) -> Result<()> {
        store.check(self.store_id);
        if !self.ty.mutable {
            return Err(UsageError::ImmutableGlobal.into());
        }
        check_vals(ValueRole::Value, &[self.ty.ty], &[value], Some(store.id))?;
        // SAFETY: the global lives as long as its store; no wasm runs concurrently.
        unsafe { (*self.ptr.as_ptr()).0 = value.to_raw() };
        Ok(())
    }
}

impl Memory {
    /// Creates a host memory (bounded by the engine's [`Config::max_memory_bytes`]).
    ///
    /// [`Config::max_memory_bytes`]: crate::Config::max_memory_bytes
    pub fn new(store: &mut Store, ty: MemoryType) -> Result<Memory> {
        Self::new_from(store, ty, None)
    }

    /// A memory for an instance: from the module's copy-on-write image when it has one.
    pub(crate) fn new_from(
        store: &mut Store,
        ty: MemoryType,
        image: Option<&stagec_runtime::MemoryImage>,
    ) -> Result<Memory> {
        let limit = store.engine.config().max_memory_bytes;
        let m = match image {
            Some(image) => stagec_runtime::Memory::with_image(ty, limit, image),
            None => stagec_runtime::Memory::with_limit(ty, limit),
        }
        .map_err(ResourceError::Memory)?;
        let mut m = Box::new(m);
        let ptr = NonNull::from(&mut *m);
        store.memories.push(m);
        Ok(Memory {
            store_id: store.id,
            ptr,
        })
    }

    fn get<'a>(&self, store: &'a Store) -> &'a stagec_runtime::Memory {
        store.check(self.store_id);
        // SAFETY: the memory lives as long as its store.
        unsafe { self.ptr.as_ref() }
    }

    /// The memory's type (current size as minimum).
    pub fn ty(&self, store: &Store) -> MemoryType {
        let m = self.get(store);
        MemoryType {
            limits: m.current_limits(),
            index: m.ty().index,
        }
    }

    /// Size in pages.
    pub fn size(&self, store: &Store) -> u64 {
        self.get(store).pages()
    }

    /// The memory's bytes.
    pub fn data<'a>(&self, store: &'a Store) -> &'a [u8] {
        self.get(store).data()
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'a>(&self, store: &'a mut Store) -> &'a mut [u8] {
        store.check(self.store_id);
        // SAFETY: the memory lives as long as its store, borrowed mutably here.
        unsafe { (*self.ptr.as_ptr()).data_mut() }
    }

    /// Grows by `delta` pages; returns the old size.
    pub fn grow(&self, store: &mut Store, delta: u64) -> Result<u64> {
        store.check(self.store_id);
        // SAFETY: as in `data_mut`.
        unsafe { (*self.ptr.as_ptr()).grow(delta) }
            .ok_or_else(|| ResourceError::MemoryGrow { delta }.into())
    }
}

impl Table {
    /// Creates a host table with every element set to `init`.
    pub fn new(store: &mut Store, ty: TableType, init: Val) -> Result<Table> {
        check_vals(ValueRole::Value, &[ty.element], &[init], Some(store.id))?;
        let mut t = Box::new(
            stagec_runtime::Table::new(ty, init.to_raw().get_ptr())
                .ok_or(ResourceError::TableTooLarge)?,
        );
        let ptr = NonNull::from(&mut *t);
        store.tables.push(t);
        Ok(Table {
            store_id: store.id,
            ptr,
        })
    }

    fn get_table<'a>(&self, store: &'a Store) -> &'a stagec_runtime::Table {
        store.check(self.store_id);
        // SAFETY: the table lives as long as its store.
        unsafe { self.ptr.as_ref() }
    }

    /// The table's type (current size as minimum).
    pub fn ty(&self, store: &Store) -> TableType {
        let t = self.get_table(store);
        TableType {
            element: t.ty().element,
            limits: t.current_limits(),
            index: t.ty().index,
        }
    }

    /// Number of elements.
    pub fn size(&self, store: &Store) -> u32 {
        self.get_table(store).size()
    }

    /// Element `index`.
    pub fn get(&self, store: &Store, index: u32) -> Option<Val> {
        let t = self.get_table(store);
        let raw = t.get(index)?;
        let ty: ValType = t.ty().element;
        // SAFETY: table elements are funcrefs of this store or externref words.
        Some(unsafe { Val::from_raw(self.store_id, stagec_runtime::vm::ValRaw::ptr(raw), ty) })
    }

    /// Grows by `delta` elements set to `init`; returns the old size. Code bound to the
    /// table (as an import or a preimport) sees the new size: it reads the table's
    /// definition, which growing updates in place.
    pub fn grow(&self, store: &mut Store, delta: u32, init: Val) -> Result<u32> {
        let element = self.get_table(store).ty().element;
        check_vals(ValueRole::Value, &[element], &[init], Some(store.id))?;
        // SAFETY: the table lives as long as its store, borrowed mutably here.
        unsafe { (*self.ptr.as_ptr()).grow(u64::from(delta), init.to_raw().get_ptr()) }
            .ok_or_else(|| ResourceError::TableGrow { delta }.into())
    }

    /// Sets element `index`.
    pub fn set(&self, store: &mut Store, index: u32, value: Val) -> Result<()> {
        let element = self.get_table(store).ty().element;
        check_vals(ValueRole::Value, &[element], &[value], Some(store.id))?;
        // SAFETY: the table lives as long as its store, borrowed mutably here.
        let ok = unsafe { (*self.ptr.as_ptr()).set(index, value.to_raw().get_ptr()) };
        if ok {
            Ok(())
        } else {
            Err(UsageError::TableIndex { index }.into())
        }
    }
}
