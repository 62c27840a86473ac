//! The one definition of the instance context (`vmctx`) layout, shared by codegen (which
//! emits loads and stores at these offsets) and the runtime (which fills the context in).
//!
//! ```text
//!  vmctx (8-byte aligned; defined globals 16-byte aligned)
//!  +--------------------------------------------+ 0
//!  | store_ctx   : *mut VMStoreContext           |   stack limit, interrupt, fuel; per Store
//!  | builtins    : *const VMBuiltins             |   table of runtime entry points
//!  | instance    : *mut Instance                 |   back pointer for builtins
//!  | type_ids    : *const VMSharedTypeId (u32)   |   module type index -> engine-wide id
//!  | funcrefs    : *const VMFuncRef              |   one per function index (ref.func)
//!  +--------------------------------------------+ header_size() = 40
//!  | imported functions: VMFuncImport {code, vmctx} x num_imported_funcs        (16 B each)
//!  | memories:  VMMemoryImport {base, def} x all memories (imported + defined)  (16 B each)
//!  | tables:    *mut VMTableDefinition x all tables (imported + defined)        ( 8 B each)
//!  | imported globals: *mut VMGlobal x num_imported_globals                     ( 8 B each)
//!  | (pad to 16)
//!  | defined globals: VMGlobal (16 B, value in the low bytes) x num_defined     (16 B each)
//!  +--------------------------------------------+ size()
//! ```
//!
//! A memory's `base` never moves (32-bit memories reserve their whole 4 GiB up front), so
//! codegen may load it once and treat it as read-only; `def` points at the memory's
//! `VMMemoryDefinition`, whose length changes with `memory.grow`.
//!
//! The `#[repr(C)]` structures these offsets describe live in `stagec_runtime::vm`; the
//! runtime's tests check every offset here against `offset_of!` on them.

use stagec_frontend::ModuleInfo;

/// Size of a pointer on the host.
pub const PTR: u32 = 8;

/// Offsets inside a module's `vmctx`, computed from the counts of its entities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VMOffsets {
    /// Number of imported functions.
    pub num_imported_funcs: u32,
    /// Number of memories (imported and defined).
    pub num_memories: u32,
    /// Number of tables (imported and defined).
    pub num_tables: u32,
    /// Number of imported globals.
    pub num_imported_globals: u32,
    /// Number of defined globals.
    pub num_defined_globals: u32,
}

impl VMOffsets {
    /// Layout for `module`.
    pub fn new(module: &ModuleInfo) -> Self {
        VMOffsets {
            num_imported_funcs: module.num_imported_funcs,
            num_memories: module.memories.len() as u32,
            num_tables: module.tables.len() as u32,
            num_imported_globals: module.num_imported_globals,
            num_defined_globals: module.globals.len() as u32 - module.num_imported_globals,
        }
    }

    /// Offset of the `*mut VMStoreContext` field.
    pub const fn store_ctx() -> u32 {
        0
    }
    /// Offset of the `*const VMBuiltins` field.
    pub const fn builtins() -> u32 {
        PTR
    }
    /// Offset of the `*mut Instance` back pointer.
    pub const fn instance() -> u32 {
        2 * PTR
    }
    /// Offset of the `*const u32` engine-wide type-id array.
    pub const fn type_ids() -> u32 {
        3 * PTR
    }
    /// Offset of the `*const VMFuncRef` array (one per function index).
    pub const fn funcrefs() -> u32 {
        4 * PTR
    }
    /// Size of the fixed header.
    pub const fn header_size() -> u32 {
        5 * PTR
    }

    /// Offset of the `VMFuncImport` of imported function `index`.
    pub fn func_import(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_imported_funcs);
        Self::header_size() + index * 16
    }
    fn memories_begin(&self) -> u32 {
        Self::header_size() + self.num_imported_funcs * 16
    }
    /// Offset of `VMMemoryImport::base` for memory `index`.
    pub fn memory_base(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_memories);
        self.memories_begin() + index * 16
    }
    /// Offset of `VMMemoryImport::def` (a `*mut VMMemoryDefinition`) for memory `index`.
    pub fn memory_def(&self, index: u32) -> u32 {
        self.memory_base(index) + PTR
    }
    fn tables_begin(&self) -> u32 {
        self.memories_begin() + self.num_memories * 16
    }
    /// Offset of the `*mut VMTableDefinition` for table `index`.
    pub fn table_def(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_tables);
        self.tables_begin() + index * PTR
    }
    fn imported_globals_begin(&self) -> u32 {
        self.tables_begin() + self.num_tables * PTR
    }
    /// Offset of the `*mut VMGlobal` of imported global `index`.
    pub fn imported_global(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_imported_globals);
        self.imported_globals_begin() + index * PTR
    }
    fn defined_globals_begin(&self) -> u32 {
        (self.imported_globals_begin() + self.num_imported_globals * PTR).next_multiple_of(16)
    }
    /// Offset of the inline `VMGlobal` of defined global `defined_index`.
    pub fn defined_global(&self, defined_index: u32) -> u32 {
        debug_assert!(defined_index < self.num_defined_globals);
        self.defined_globals_begin() + defined_index * 16
    }
    /// Total size of the vmctx in bytes.
    pub fn size(&self) -> u32 {
        self.defined_globals_begin() + self.num_defined_globals * 16
    }
}

/// Offsets inside `stagec_runtime::vm::VMFuncRef`.
pub mod funcref {
    /// `code: *const u8` — native entry of the function (wasm calling convention).
    pub const CODE: u32 = 0;
    /// `vmctx: *mut VMContext` — the callee's context (or host-function context).
    pub const VMCTX: u32 = 8;
    /// `type_id: u32` — engine-wide signature id.
    pub const TYPE_ID: u32 = 16;
    /// Size of a `VMFuncRef`.
    pub const SIZE: u32 = 24;
}

/// Offsets inside `stagec_runtime::vm::VMFuncImport`.
pub mod func_import {
    /// `code: *const u8`
    pub const CODE: u32 = 0;
    /// `vmctx: *mut VMContext`
    pub const VMCTX: u32 = 8;
}

/// Offsets inside `stagec_runtime::vm::VMMemoryDefinition`.
pub mod memory_def {
    /// `base: *mut u8`
    pub const BASE: u32 = 0;
    /// `current_length: usize` in bytes.
    pub const CURRENT_LENGTH: u32 = 8;
}

/// Offsets inside `stagec_runtime::vm::VMTableDefinition`.
pub mod table_def {
    /// `base: *mut usize` — elements, one pointer-sized word each.
    pub const BASE: u32 = 0;
    /// `current_elements: u32`
    pub const CURRENT_ELEMENTS: u32 = 8;
    /// Size of one table element.
    pub const ELEMENT_SIZE: u32 = 8;
}

/// Offsets inside `stagec_runtime::vm::VMStoreContext`.
pub mod store_ctx {
    /// `stack_limit: usize` — the lowest stack address wasm code may use.
    pub const STACK_LIMIT: u32 = 0;
    /// `interrupt: u32` — non-zero when interruptible code must trap with "interrupt".
    pub const INTERRUPT: u32 = 8;
    /// `fuel: i64` — fuel left; code that consumes fuel traps once it is negative.
    pub const FUEL: u32 = 16;
}

/// Offsets inside `stagec_runtime::vm::VMHostFuncContext`.
pub mod host_ctx {
    /// `callback: HostCallback` — the Rust entry point called by a host adapter.
    pub const CALLBACK: u32 = 0;
}

/// Size of one `stagec_runtime::vm::ValRaw` slot in argument/result buffers.
pub const VAL_RAW_SIZE: u32 = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmctx_regions_do_not_overlap() {
        let o = VMOffsets {
            num_imported_funcs: 2,
            num_memories: 1,
            num_tables: 3,
            num_imported_globals: 1,
            num_defined_globals: 2,
        };
        assert_eq!(o.func_import(0), VMOffsets::header_size());
        assert_eq!(o.memory_base(0), o.func_import(1) + 16);
        assert_eq!(o.memory_def(0), o.memory_base(0) + 8);
        assert_eq!(o.table_def(0), o.memory_base(0) + 16);
        assert_eq!(o.imported_global(0), o.table_def(2) + 8);
        assert_eq!(o.defined_global(0) % 16, 0);
        assert!(o.defined_global(0) >= o.imported_global(0) + 8);
        assert_eq!(o.size(), o.defined_global(1) + 16);
    }
}
