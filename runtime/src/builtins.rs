//! Implementations of the builtins listed in [`crate::Builtin`], called by compiled code
//! through `vmctx->builtins`. They never unwind: a trap is stored with
//! [`set_pending_trap`] and reported by a non-zero status.

use crate::instance::Instance;
use crate::traphandlers::{TrapReason, set_pending_trap};
use crate::vm::{VMBuiltins, VMContext};
use stagec_environ::{Builtin, TrapKind};

fn status(result: Result<(), TrapKind>) -> u32 {
    match result {
        Ok(()) => 0,
        Err(kind) => {
            set_pending_trap(TrapReason::Wasm {
                kind,
                wasm_offset: None,
            });
            kind as u32
        }
    }
}

macro_rules! instance {
    ($vmctx:ident) => {
        // SAFETY: compiled code passes its own live vmctx.
        unsafe { Instance::from_vmctx($vmctx) }
    };
}

unsafe extern "C" fn memory_grow(vmctx: *mut VMContext, memory: u32, delta: u64) -> u64 {
    instance!(vmctx).memory_grow(memory, delta) as u64
}

unsafe extern "C" fn memory_fill(
    vmctx: *mut VMContext,
    memory: u32,
    dst: u64,
    value: u32,
    len: u64,
) -> u32 {
    status(instance!(vmctx).memory_fill(memory, dst, value as u8, len))
}

unsafe extern "C" fn memory_copy(
    vmctx: *mut VMContext,
    dst_mem: u32,
    src_mem: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    status(instance!(vmctx).memory_copy(dst_mem, src_mem, dst, src, len))
}

unsafe extern "C" fn memory_init(
    vmctx: *mut VMContext,
    memory: u32,
    data: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    status(instance!(vmctx).memory_init(memory, data, dst, src, len))
}

unsafe extern "C" fn data_drop(vmctx: *mut VMContext, data: u32) {
    instance!(vmctx).data_drop(data)
}

unsafe extern "C" fn table_grow(vmctx: *mut VMContext, table: u32, init: usize, delta: u64) -> u64 {
    instance!(vmctx).table_grow(table, init, delta) as u64
}

unsafe extern "C" fn table_fill(
    vmctx: *mut VMContext,
    table: u32,
    dst: u64,
    value: usize,
    len: u64,
) -> u32 {
    status(instance!(vmctx).table_fill(table, dst, value, len))
}

unsafe extern "C" fn table_copy(
    vmctx: *mut VMContext,
    dst_table: u32,
    src_table: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    status(instance!(vmctx).table_copy(dst_table, src_table, dst, src, len))
}

unsafe extern "C" fn table_init(
    vmctx: *mut VMContext,
    table: u32,
    elem: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    status(instance!(vmctx).table_init(table, elem, dst, src, len))
}

unsafe extern "C" fn elem_drop(vmctx: *mut VMContext, elem: u32) {
    instance!(vmctx).elem_drop(elem)
}

/// The builtins table, in [`Builtin::ALL`] order.
pub(crate) const fn table() -> VMBuiltins {
    let mut functions = [std::ptr::null::<u8>(); Builtin::ALL.len()];
    functions[Builtin::MemoryGrow as usize] = memory_grow as *const u8;
    functions[Builtin::MemoryFill as usize] = memory_fill as *const u8;
    functions[Builtin::MemoryCopy as usize] = memory_copy as *const u8;
    functions[Builtin::MemoryInit as usize] = memory_init as *const u8;
    functions[Builtin::DataDrop as usize] = data_drop as *const u8;
    functions[Builtin::TableGrow as usize] = table_grow as *const u8;
    functions[Builtin::TableFill as usize] = table_fill as *const u8;
    functions[Builtin::TableCopy as usize] = table_copy as *const u8;
    functions[Builtin::TableInit as usize] = table_init as *const u8;
    functions[Builtin::ElemDrop as usize] = elem_drop as *const u8;
    VMBuiltins { functions }
}
