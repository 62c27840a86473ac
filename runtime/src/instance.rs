//! Instances: a vmctx laid out by [`VMOffsets`], the function references of the module,
//! and the instantiation-time initialisation of globals, tables and memories.

use crate::code::CodeMemory;
use crate::memory::Memory;
use crate::table::Table;
use crate::traphandlers::TrapReason;
use crate::vm::*;
use stagec_environ::{TrapKind, VMOffsets};
use stagec_frontend::{ConstExpr, DataMode, ElemMode, IndexType, ModuleInfo};
use std::alloc::Layout;
use std::sync::Arc;

/// The entities an instance imports, in import order per kind.
#[derive(Debug, Default)]
pub struct InstanceImports {
    /// Imported functions.
    pub funcs: Vec<VMFuncImport>,
    /// Imported tables.
    pub tables: Vec<*mut Table>,
    /// Imported memories.
    pub memories: Vec<*mut Memory>,
    /// Imported globals.
    pub globals: Vec<*mut VMGlobal>,
}

/// Everything needed to create an instance.
pub struct InstanceConfig<'a> {
    /// The module.
    pub module: Arc<ModuleInfo>,
    /// Its loaded code.
    pub code: Arc<CodeMemory>,
    /// Engine-wide signature id of each module type index.
    pub type_ids: Box<[u32]>,
    /// Resolved imports.
    pub imports: InstanceImports,
    /// The module's own memories, created by the owner of the instance.
    pub defined_memories: Vec<*mut Memory>,
    /// The module's own tables, created by the owner of the instance.
    pub defined_tables: Vec<*mut Table>,
    /// Per-store context shared by all instances of the store.
    pub store_ctx: *mut VMStoreContext,
    /// Per memory index: the memory was created from its
    /// [`MemoryImage`](crate::MemoryImage), so the active data segments that target it
    /// are already in place (they are only marked dropped). Shorter than the number of
    /// memories: the rest have no image.
    pub images_applied: Vec<bool>,
    /// Marker for the borrowed configuration.
    pub _marker: std::marker::PhantomData<&'a ()>,
}

/// A module instance. Lives in a `Box` whose address is stored in its vmctx.
pub struct Instance {
    module: Arc<ModuleInfo>,
    code: Arc<CodeMemory>,
    offsets: VMOffsets,
    vmctx: *mut u8,
    vmctx_layout: Layout,
    funcrefs: Box<[VMFuncRef]>,
    type_ids: Box<[u32]>,
    memories: Vec<*mut Memory>,
    tables: Vec<*mut Table>,
    /// Evaluated element segments; `None` once dropped.
    elems: Vec<Option<Box<[usize]>>>,
    dropped_data: Vec<bool>,
    /// See [`InstanceConfig::images_applied`].
    images_applied: Vec<bool>,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("vmctx", &self.vmctx)
            .finish_non_exhaustive()
    }
}

/// The builtins table shared by every instance.
struct BuiltinsTable(VMBuiltins);
// SAFETY: the table only holds addresses of functions.
unsafe impl Sync for BuiltinsTable {}
static BUILTINS: BuiltinsTable = BuiltinsTable(crate::builtins::table());

impl Instance {
    /// Allocates an instance and fills in its vmctx. Nothing is initialised yet: call
    /// [`Instance::initialize`] next.
    ///
    /// # Safety
    /// Every pointer in `config` must stay valid for the instance's lifetime.
    pub unsafe fn new(config: InstanceConfig<'_>) -> Box<Instance> {
        let module = config.module;
        let offsets = VMOffsets::new(&module);
        let vmctx_layout =
            Layout::from_size_align(offsets.size().max(16) as usize, 16).expect("vmctx layout");
        // SAFETY: the layout has non-zero size.
        let vmctx = unsafe { std::alloc::alloc_zeroed(vmctx_layout) };
        if vmctx.is_null() {
            std::alloc::handle_alloc_error(vmctx_layout);
        }
        let memories: Vec<*mut Memory> = config
            .imports
            .memories
            .iter()
            .chain(config.defined_memories.iter())
            .copied()
            .collect();
        let tables: Vec<*mut Table> = config
            .imports
            .tables
            .iter()
            .chain(config.defined_tables.iter())
            .copied()
            .collect();
        let mut funcrefs = Vec::with_capacity(module.functions.len());
        for (index, &ty) in module.functions.iter().enumerate() {
            let type_id = config.type_ids[ty as usize];
            let (code, callee_vmctx) = match module.defined_func_index(index as u32) {
                None => {
                    let import = config.imports.funcs[index];
                    (import.code, import.vmctx)
                }
                Some(def) => (config.code.function(def), vmctx as *mut VMContext),
            };
            funcrefs.push(VMFuncRef {
                code,
                vmctx: callee_vmctx,
                type_id,
            });
        }
        let mut instance = Box::new(Instance {
            elems: vec![None; module.elems.len()],
            dropped_data: vec![false; module.datas.len()],
            images_applied: config.images_applied,
            module,
            code: config.code,
            offsets,
            vmctx,
            vmctx_layout,
            funcrefs: funcrefs.into_boxed_slice(),
            type_ids: config.type_ids,
            memories,
            tables,
        });
        let this: *mut Instance = &mut *instance;
        // SAFETY: every offset written below lies inside the vmctx allocation, as laid out
        // by `offsets`, and is suitably aligned.
        unsafe {
            instance.write(VMOffsets::store_ctx(), config.store_ctx);
            instance.write(VMOffsets::builtins(), &BUILTINS.0 as *const VMBuiltins);
            instance.write(VMOffsets::instance(), this);
            instance.write(VMOffsets::type_ids(), instance.type_ids.as_ptr());
            instance.write(VMOffsets::funcrefs(), instance.funcrefs.as_ptr());
            for (i, import) in config.imports.funcs.iter().enumerate() {
                instance.write(instance.offsets.func_import(i as u32), *import);
            }
            for i in 0..instance.memories.len() {
                let memory = &mut *instance.memories[i];
                let import = VMMemoryImport {
                    base: memory.base(),
                    def: memory.definition(),
                };
                instance.write(instance.offsets.memory_base(i as u32), import);
            }
            for i in 0..instance.tables.len() {
                let def = (*instance.tables[i]).definition();
                instance.write(instance.offsets.table_def(i as u32), def);
            }
            for (i, global) in config.imports.globals.iter().enumerate() {
                instance.write(instance.offsets.imported_global(i as u32), *global);
            }
        }
        instance
    }

    /// # Safety
    /// `offset` must be a field of the vmctx of type `T`.
    unsafe fn write<T>(&self, offset: u32, value: T) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.vmctx.add(offset as usize) as *mut T).write(value) }
    }

    /// Recovers the instance from a vmctx passed to a builtin.
    ///
    /// # Safety
    /// `vmctx` must be the context of a live instance.
    pub unsafe fn from_vmctx<'a>(vmctx: *mut VMContext) -> &'a mut Instance {
        // SAFETY: the back pointer was written by `Instance::new`.
        unsafe {
            &mut **((vmctx as *mut u8).add(VMOffsets::instance() as usize) as *mut *mut Instance)
        }
    }

    /// The vmctx pointer.
    pub fn vmctx(&self) -> *mut VMContext {
        self.vmctx as *mut VMContext
    }

    /// The module.
    pub fn module(&self) -> &Arc<ModuleInfo> {
        &self.module
    }

    /// The loaded code.
    pub fn code(&self) -> &Arc<CodeMemory> {
        &self.code
    }

    /// The function reference of function `index`.
    pub fn funcref(&self, index: u32) -> *const VMFuncRef {
        &self.funcrefs[index as usize]
    }

    /// The engine-wide signature id of module type `index`.
    pub fn type_id(&self, index: u32) -> u32 {
        self.type_ids[index as usize]
    }

    /// Memory `index` (imported or defined).
    pub fn memory(&self, index: u32) -> *mut Memory {
        self.memories[index as usize]
    }

    /// Table `index` (imported or defined).
    pub fn table(&self, index: u32) -> *mut Table {
        self.tables[index as usize]
    }

    /// Storage of global `index` (imported or defined).
    pub fn global(&self, index: u32) -> *mut VMGlobal {
        match self.module.defined_global_index(index) {
            // SAFETY: the imported-global slot holds a pointer written in `new`.
            None => unsafe {
                *(self.vmctx.add(self.offsets.imported_global(index) as usize)
                    as *const *mut VMGlobal)
            },
            // SAFETY: defined globals live inline in the vmctx.
            Some(def) => unsafe {
                self.vmctx.add(self.offsets.defined_global(def) as usize) as *mut VMGlobal
            },
        }
    }

    /// Evaluates a constant expression to a raw value.
    pub fn eval_const(&self, expr: &ConstExpr) -> ValRaw {
        match *expr {
            ConstExpr::I32(v) => ValRaw::i32(v),
            ConstExpr::I64(v) => ValRaw::i64(v),
            ConstExpr::F32(v) => ValRaw::f32(v),
            ConstExpr::F64(v) => ValRaw::f64(v),
            ConstExpr::V128(v) => ValRaw::v128(v),
            ConstExpr::RefNull(_) => ValRaw::ptr(0),
            ConstExpr::RefFunc(f) => ValRaw::ptr(self.funcref(f) as usize),
            // SAFETY: global storage is valid for the instance's lifetime.
            ConstExpr::GlobalGet(g) => unsafe { (*self.global(g)).0 },
            ConstExpr::Extended(_) => {
                // SAFETY: as above; integer globals hold their bits in the low 64.
                let global = |g| Some(unsafe { (*self.global(g)).0.0 as u64 });
                let value = expr
                    .eval_int(global)
                    .expect("a validated extended constant expression reads only globals");
                ValRaw(u128::from(value))
            }
        }
    }

    /// An offset expression of a segment, as an address in a table or memory of index
    /// type `index`.
    fn eval_offset(&self, expr: &ConstExpr, index: IndexType) -> u64 {
        let raw = self.eval_const(expr);
        match index {
            IndexType::I32 => u64::from(raw.get_i32() as u32),
            IndexType::I64 => raw.get_i64() as u64,
        }
    }

    /// Initialises defined globals, then element and data segments, in spec order.
    /// A trap leaves earlier writes to shared tables and memories in place, as the spec
    /// requires.
    pub fn initialize(&mut self) -> Result<(), TrapReason> {
        let module = self.module.clone();
        for (i, init) in module.global_inits.iter().enumerate() {
            let value = self.eval_const(init);
            let index = module.num_imported_globals + i as u32;
            // SAFETY: defined global storage lives in the vmctx.
            unsafe { (*self.global(index)).0 = value };
        }
        for (i, seg) in module.elems.iter().enumerate() {
            let items: Box<[usize]> = seg
                .items
                .iter()
                .map(|e| self.eval_const(e).get_ptr())
                .collect();
            match &seg.mode {
                ElemMode::Passive => self.elems[i] = Some(items),
                ElemMode::Declared => {}
                ElemMode::Active { table, offset } => {
                    let table = *table;
                    let dst = self.eval_offset(offset, module.tables[table as usize].index);
                    self.elems[i] = Some(items);
                    let len = seg.items.len() as u32;
                    let status = self.table_init(table, i as u32, dst, 0, len);
                    self.elems[i] = None;
                    if let Err(kind) = status {
                        return Err(TrapReason::Wasm {
                            kind,
                            wasm_offset: None,
                        });
                    }
                }
            }
        }
        for (i, seg) in module.datas.iter().enumerate() {
            if let DataMode::Active { memory, offset } = &seg.mode {
                let memory = *memory;
                if self.images_applied.get(memory as usize) == Some(&true) {
                    self.dropped_data[i] = true;
                    continue;
                }
                let dst = self.eval_offset(offset, module.memories[memory as usize].index);
                let status = self.memory_init(memory, i as u32, dst, 0, seg.data.len() as u32);
                self.dropped_data[i] = true;
                status.map_err(|kind| TrapReason::Wasm {
                    kind,
                    wasm_offset: None,
                })?;
            }
        }
        Ok(())
    }

    /// `memory.init`
    pub fn memory_init(
        &mut self,
        memory: u32,
        data: u32,
        dst: u64,
        src: u32,
        len: u32,
    ) -> Result<(), TrapKind> {
        let segment: &[u8] = if self.dropped_data[data as usize] {
            &[]
        } else {
            &self.module.datas[data as usize].data
        };
        let src_range =
            range(src.into(), len.into(), segment.len()).ok_or(TrapKind::MemoryOutOfBounds)?;
        // SAFETY: memories outlive the instance; no other reference is live during a
        // builtin call.
        let mem = unsafe { &mut *self.memories[memory as usize] }.data_mut();
        let dst_range = range(dst, len.into(), mem.len()).ok_or(TrapKind::MemoryOutOfBounds)?;
        mem[dst_range].copy_from_slice(&segment[src_range]);
        Ok(())
    }

    /// `data.drop`
    pub fn data_drop(&mut self, data: u32) {
        self.dropped_data[data as usize] = true;
    }

    /// `memory.copy`
    pub fn memory_copy(
        &mut self,
        dst_mem: u32,
        src_mem: u32,
        dst: u64,
        src: u64,
        len: u64,
    ) -> Result<(), TrapKind> {
        // SAFETY: memories outlive the instance.
        let (dst_m, src_m) = unsafe {
            (
                &*self.memories[dst_mem as usize],
                &*self.memories[src_mem as usize],
            )
        };
        let src_range = range(src, len, src_m.data().len()).ok_or(TrapKind::MemoryOutOfBounds)?;
        let dst_range = range(dst, len, dst_m.data().len()).ok_or(TrapKind::MemoryOutOfBounds)?;
        // SAFETY: both ranges are in bounds of live memories; `copy` allows overlap.
        unsafe {
            std::ptr::copy(
                src_m.base().add(src_range.start),
                dst_m.base().add(dst_range.start),
                src_range.len(),
            );
        }
        Ok(())
    }

    /// `memory.fill`
    pub fn memory_fill(
        &mut self,
        memory: u32,
        dst: u64,
        value: u8,
        len: u64,
    ) -> Result<(), TrapKind> {
        // SAFETY: memories outlive the instance.
        let mem = unsafe { &mut *self.memories[memory as usize] }.data_mut();
        let dst_range = range(dst, len, mem.len()).ok_or(TrapKind::MemoryOutOfBounds)?;
        mem[dst_range].fill(value);
        Ok(())
    }

    /// `memory.grow`: old size in pages, or -1 (for a 32-bit memory, its low 32 bits are
    /// the `i32` result).
    pub fn memory_grow(&mut self, memory: u32, delta: u64) -> i64 {
        // SAFETY: memories outlive the instance.
        let mem = unsafe { &mut *self.memories[memory as usize] };
        mem.grow(delta).map_or(-1, |old| old as i64)
    }

    /// `table.init`
    pub fn table_init(
        &mut self,
        table: u32,
        elem: u32,
        dst: u64,
        src: u32,
        len: u32,
    ) -> Result<(), TrapKind> {
        let items: &[usize] = self.elems[elem as usize].as_deref().unwrap_or(&[]);
        let src_range =
            range(src.into(), len.into(), items.len()).ok_or(TrapKind::TableOutOfBounds)?;
        // SAFETY: tables outlive the instance.
        let t = unsafe { &mut *self.tables[table as usize] }.elements_mut();
        let dst_range = range(dst, len.into(), t.len()).ok_or(TrapKind::TableOutOfBounds)?;
        t[dst_range].copy_from_slice(&items[src_range]);
        Ok(())
    }

    /// `elem.drop`
    pub fn elem_drop(&mut self, elem: u32) {
        self.elems[elem as usize] = None;
    }

    /// `table.copy`
    pub fn table_copy(
        &mut self,
        dst_table: u32,
        src_table: u32,
        dst: u64,
        src: u64,
        len: u64,
    ) -> Result<(), TrapKind> {
        let (dst_t, src_t) = (
            self.tables[dst_table as usize],
            self.tables[src_table as usize],
        );
        // SAFETY: tables outlive the instance; the two may alias, so only raw copies.
        unsafe {
            let src_len = (*src_t).size() as usize;
            let dst_len = (*dst_t).size() as usize;
            let src_range = range(src, len, src_len).ok_or(TrapKind::TableOutOfBounds)?;
            let dst_range = range(dst, len, dst_len).ok_or(TrapKind::TableOutOfBounds)?;
            let s = (*src_t).elements().as_ptr().add(src_range.start);
            let d = (*dst_t).elements_mut().as_mut_ptr().add(dst_range.start);
            std::ptr::copy(s, d, src_range.len());
        }
        Ok(())
    }

    /// `table.fill`
    pub fn table_fill(
        &mut self,
        table: u32,
        dst: u64,
        value: usize,
        len: u64,
    ) -> Result<(), TrapKind> {
        // SAFETY: tables outlive the instance.
        let t = unsafe { &mut *self.tables[table as usize] }.elements_mut();
        let dst_range = range(dst, len, t.len()).ok_or(TrapKind::TableOutOfBounds)?;
        t[dst_range].fill(value);
        Ok(())
    }

    /// `table.grow`: old size, or -1 (for a 32-bit table, its low 32 bits are the `i32`
    /// result).
    pub fn table_grow(&mut self, table: u32, init: usize, delta: u64) -> i64 {
        // SAFETY: tables outlive the instance.
        let t = unsafe { &mut *self.tables[table as usize] };
        t.grow(delta, init).map_or(-1, i64::from)
    }
}

/// `start..start+len` if it fits in `bound`.
fn range(start: u64, len: u64, bound: usize) -> Option<std::ops::Range<usize>> {
    let end = start.checked_add(len)?;
    (end <= bound as u64).then_some(start as usize..end as usize)
}

impl Drop for Instance {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.vmctx, self.vmctx_layout) }
    }
}
