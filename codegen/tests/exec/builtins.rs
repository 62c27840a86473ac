//! The builtins of the test loader: the runtime entry points compiled code calls through
//! `vmctx->builtins` (see `stagec_runtime::Builtin`). A failing bulk operation records its
//! trap kind and returns a non-zero status, as the runtime does.

use super::{Instance, pending};
use stagec_runtime::{Builtin, TrapKind, VMOffsets};

pub(super) fn builtin_address(b: Builtin) -> usize {
    let f: *const () = match b {
        Builtin::MemoryGrow => builtin_memory_grow as *const (),
        Builtin::MemoryFill => builtin_memory_fill as *const (),
        Builtin::MemoryCopy => builtin_memory_copy as *const (),
        Builtin::MemoryInit => builtin_memory_init as *const (),
        Builtin::DataDrop => builtin_data_drop as *const (),
        Builtin::TableGrow => builtin_table_grow as *const (),
        Builtin::TableFill => builtin_table_fill as *const (),
        Builtin::TableCopy => builtin_table_copy as *const (),
        Builtin::TableInit => builtin_table_init as *const (),
        Builtin::ElemDrop => builtin_elem_drop as *const (),
    };
    f as usize
}

/// # Safety
/// `vmctx` must be the vmctx of a live [`Instance`].
unsafe fn instance<'a>(vmctx: *mut u8) -> &'a mut Instance {
    // SAFETY: per the contract, the instance field holds the instance.
    unsafe { &mut *(*(vmctx.add(VMOffsets::instance() as usize) as *const *mut Instance)) }
}

fn range(start: u32, len: u32, size: usize) -> Option<std::ops::Range<usize>> {
    let end = start as usize + len as usize;
    (end <= size).then_some(start as usize..end)
}

unsafe extern "C" fn builtin_memory_grow(vmctx: *mut u8, mem: u32, delta: u32) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let inst = unsafe { instance(vmctx) };
    inst.memory(mem)
        .grow(delta as usize)
        .map_or(u32::MAX, |old| old as u32)
}

unsafe extern "C" fn builtin_memory_fill(
    vmctx: *mut u8,
    mem: u32,
    dst: u32,
    val: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let inst = unsafe { instance(vmctx) };
    let bytes = inst.memory(mem).bytes();
    match range(dst, len, bytes.len()) {
        Some(r) => {
            bytes[r].fill(val as u8);
            0
        }
        None => pending(TrapKind::MemoryOutOfBounds),
    }
}

unsafe extern "C" fn builtin_memory_copy(
    vmctx: *mut u8,
    dst_mem: u32,
    src_mem: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let inst = unsafe { instance(vmctx) };
    let dst_len = inst.memory(dst_mem).def.current_length;
    let src_len = inst.memory(src_mem).def.current_length;
    let (Some(d), Some(s)) = (range(dst, len, dst_len), range(src, len, src_len)) else {
        return pending(TrapKind::MemoryOutOfBounds);
    };
    let dst_base = inst.memory(dst_mem).def.base;
    let src_base = inst.memory(src_mem).def.base;
    // SAFETY: both ranges are in bounds; `copy` handles overlap.
    unsafe { std::ptr::copy(src_base.add(s.start), dst_base.add(d.start), d.len()) };
    0
}

unsafe extern "C" fn builtin_memory_init(
    vmctx: *mut u8,
    mem: u32,
    seg: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let inst = unsafe { instance(vmctx) };
    let data = &inst.datas[seg as usize];
    let Some(s) = range(src, len, data.len()) else {
        return pending(TrapKind::MemoryOutOfBounds);
    };
    let data = data[s].to_vec();
    let bytes = inst.memory(mem).bytes();
    let Some(d) = range(dst, len, bytes.len()) else {
        return pending(TrapKind::MemoryOutOfBounds);
    };
    bytes[d].copy_from_slice(&data);
    0
}

unsafe extern "C" fn builtin_data_drop(vmctx: *mut u8, seg: u32) {
    // SAFETY: called by compiled code with its vmctx.
    let inst = unsafe { instance(vmctx) };
    inst.datas[seg as usize] = Vec::new();
}

unsafe extern "C" fn builtin_table_grow(
    vmctx: *mut u8,
    table: u32,
    init: usize,
    delta: u32,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let inst = unsafe { instance(vmctx) };
    let table = inst.table(table);
    let old = table.elements.len();
    let new = old as u64 + delta as u64;
    if new > table.max {
        return u32::MAX;
    }
    table.elements.resize(new as usize, init);
    table.sync();
    old as u32
}

unsafe extern "C" fn builtin_table_fill(
    vmctx: *mut u8,
    table: u32,
    dst: u32,
    val: usize,
    len: u32,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let inst = unsafe { instance(vmctx) };
    let table = inst.table(table);
    match range(dst, len, table.elements.len()) {
        Some(r) => {
            table.elements[r].fill(val);
            0
        }
        None => pending(TrapKind::TableOutOfBounds),
    }
}

unsafe extern "C" fn builtin_table_copy(
    vmctx: *mut u8,
    dst_table: u32,
    src_table: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let inst = unsafe { instance(vmctx) };
    let src_elems = inst.table(src_table).elements.clone();
    let Some(s) = range(src, len, src_elems.len()) else {
        return pending(TrapKind::TableOutOfBounds);
    };
    let table = inst.table(dst_table);
    let Some(d) = range(dst, len, table.elements.len()) else {
        return pending(TrapKind::TableOutOfBounds);
    };
    table.elements[d].copy_from_slice(&src_elems[s]);
    0
}

unsafe extern "C" fn builtin_table_init(
    vmctx: *mut u8,
    table: u32,
    seg: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let inst = unsafe { instance(vmctx) };
    let items = &inst.elems[seg as usize];
    let Some(s) = range(src, len, items.len()) else {
        return pending(TrapKind::TableOutOfBounds);
    };
    let items = items[s].to_vec();
    let table = inst.table(table);
    let Some(d) = range(dst, len, table.elements.len()) else {
        return pending(TrapKind::TableOutOfBounds);
    };
    table.elements[d].copy_from_slice(&items);
    0
}

unsafe extern "C" fn builtin_elem_drop(vmctx: *mut u8, seg: u32) {
    // SAFETY: called by compiled code with its vmctx.
    let inst = unsafe { instance(vmctx) };
    inst.elems[seg as usize] = Vec::new();
}
