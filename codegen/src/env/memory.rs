//! Linear memories: where a memory's bytes and length are, and the address of an access —
//! with no bounds check for a 32-bit memory, and with the cheapest check the memory's
//! layout ([`stagec_environ::memory`]) allows for a 64-bit one.

use super::{FuncEnvironment, POINTER, runtime_flags};
use crate::translate::consts;
use crate::traps::trap_code;
use crate::units::MemoryPlace;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, Value, types};
use cranelift_frontend::FunctionBuilder;
use stagec_environ::TrapKind;
use stagec_environ::memory::{GUARD_BYTES, RESERVATION_32};
use stagec_environ::vmoffsets;
use stagec_frontend::IndexType;

impl FuncEnvironment<'_> {
    /// The index type of memory `memory`.
    pub(crate) fn memory_index_type(&self, memory: u32) -> IndexType {
        self.module.memories[memory as usize].index
    }

    /// The base address of a linear memory's bytes.
    pub(crate) fn heap_base(&self, builder: &mut FunctionBuilder<'_>, memory: u32) -> Value {
        match self.plan.memories[memory as usize] {
            MemoryPlace::At { base, .. } => self.fixed_address(builder, base),
            MemoryPlace::Vmctx => self.load_vmctx_field(builder, self.offsets.memory_base(memory)),
        }
    }

    /// The address of a linear memory's `VMMemoryDefinition`.
    fn memory_def(&self, builder: &mut FunctionBuilder<'_>, memory: u32) -> Value {
        match self.plan.memories[memory as usize] {
            MemoryPlace::At { def, .. } => self.fixed_address(builder, def),
            MemoryPlace::Vmctx => self.load_vmctx_field(builder, self.offsets.memory_def(memory)),
        }
    }

    /// The address of a linear-memory access of `size` bytes and the immediate offset to
    /// use with it; for a 64-bit memory, after its bounds check.
    pub(crate) fn heap_address(
        &self,
        builder: &mut FunctionBuilder<'_>,
        memory: u32,
        index: Value,
        offset: u64,
        size: u32,
    ) -> (Value, i32) {
        match self.memory_index_type(memory) {
            IndexType::I32 => self.heap_address_32(builder, memory, index, offset),
            IndexType::I64 => self.heap_address_64(builder, memory, index, offset, size),
        }
    }

    /// [`Self::heap_address`] in a 32-bit memory.
    ///
    /// No bounds check: the runtime reserves 8 GiB per 32-bit memory, so
    /// `base + u32 index + u32 offset` always lands inside the reservation and an
    /// out-of-bounds access faults (see [`heap_flags`](super::heap_flags)).
    ///
    /// The wasm effective address is `zext(index) + offset` (no wrap). Two shapes move
    /// work into the displacement:
    /// - a constant `index`: `base + (index + offset)`, no address arithmetic at all;
    /// - `index = x + C` (32-bit add, `C` constant) where `x <= u32::MAX - C` is provable
    ///   ([`consts::non_wrapping_add`]): then `zext(x + C) == zext(x) + C`, so the access
    ///   is `base + zext(x)` with displacement `C + offset`. Without the proof the 32-bit
    ///   add may wrap, and folding would change which address is accessed.
    ///
    /// Either only when the displacement fits the 32-bit signed immediate.
    fn heap_address_32(
        &self,
        builder: &mut FunctionBuilder<'_>,
        memory: u32,
        index: Value,
        offset: u64,
    ) -> (Value, i32) {
        let base = self.heap_base(builder, memory);
        let displacement = |c: u64| c.checked_add(offset).filter(|&d| i32::try_from(d).is_ok());
        if let Some(disp) = consts::known_int(builder.func, index).and_then(displacement) {
            return (base, disp as i32);
        }
        let (index, offset) = match consts::non_wrapping_add(builder.func, index) {
            Some((x, c)) if displacement(c).is_some() => (x, c + offset),
            _ => (index, offset),
        };
        let index = builder.ins().uextend(POINTER, index);
        let addr = builder.ins().iadd(base, index);
        match i32::try_from(offset) {
            Ok(offset) => (addr, offset),
            Err(_) => (builder.ins().iadd_imm_s(addr, offset as i64), 0),
        }
    }

    /// [`Self::heap_address`] in a 64-bit memory: the access covers
    /// `[index + offset, index + offset + size)` of a 64-bit address space.
    ///
    /// - No check when the access provably ends inside the memory's known minimum length
    ///   (a constant address, a preimported memory's length at compile time) or inside
    ///   the first 8 GiB of its reservation, where everything beyond the length faults (an
    ///   address below 2^32, e.g. `i64.extend_i32_u`, with a small offset).
    /// - Otherwise, with `offset + size` at most the guard region: trap if
    ///   `index > length` (a fixed-size memory's length is a constant); the rest of the
    ///   access lands in the guard region and faults.
    /// - Otherwise: trap if `index + offset + size` overflows or exceeds the length.
    fn heap_address_64(
        &self,
        builder: &mut FunctionBuilder<'_>,
        memory: u32,
        index: Value,
        offset: u64,
        size: u32,
    ) -> (Value, i32) {
        let base = self.heap_base(builder, memory);
        let extent = self.plan.memory_extents[memory as usize];
        let Some(end) = offset.checked_add(u64::from(size)) else {
            // Beyond any 64-bit address: every execution traps.
            let always = builder.ins().iconst(types::I8, 1);
            self.trapnz(builder, always, TrapKind::MemoryOutOfBounds);
            return (base, 0);
        };
        let unchecked_end = extent.min_bytes.max(RESERVATION_32);
        let index_bound = consts::upper_bound(builder.func, index);
        let provably_covered = index_bound
            .checked_add(end)
            .is_some_and(|e| e <= unchecked_end);
        if provably_covered {
            let displacement = |c: u64| c.checked_add(offset).and_then(|d| i32::try_from(d).ok());
            if let Some(disp) = consts::known_int(builder.func, index).and_then(displacement) {
                return (base, disp);
            }
        } else {
            let length = match extent.fixed_bytes() {
                Some(bytes) => builder.ins().iconst(POINTER, bytes as i64),
                None => self.memory_length(builder, memory),
            };
            let last = if end <= GUARD_BYTES {
                index
            } else {
                let end = builder.ins().iconst(types::I64, end as i64);
                let trap = trap_code(TrapKind::MemoryOutOfBounds);
                builder.ins().uadd_overflow_trap(index, end, trap)
            };
            let out_of_bounds = builder.ins().icmp(IntCC::UnsignedGreaterThan, last, length);
            self.trapnz(builder, out_of_bounds, TrapKind::MemoryOutOfBounds);
        }
        let addr = builder.ins().iadd(base, index);
        match i32::try_from(offset) {
            Ok(offset) => (addr, offset),
            Err(_) => (builder.ins().iadd_imm_s(addr, offset as i64), 0),
        }
    }

    /// `memory.size`, in pages, of the memory's index type.
    pub(crate) fn memory_size(&self, builder: &mut FunctionBuilder<'_>, memory: u32) -> Value {
        let len = self.memory_length(builder, memory);
        let pages = builder.ins().ushr_imm_u(len, 16);
        match self.memory_index_type(memory) {
            IndexType::I32 => builder.ins().ireduce(types::I32, pages),
            IndexType::I64 => pages,
        }
    }

    /// The current length in bytes of memory `memory` (pointer-sized).
    pub(crate) fn memory_length(&self, builder: &mut FunctionBuilder<'_>, memory: u32) -> Value {
        let def = self.memory_def(builder, memory);
        builder.ins().load(
            POINTER,
            runtime_flags(),
            def,
            vmoffsets::memory_def::CURRENT_LENGTH as i32,
        )
    }
}
