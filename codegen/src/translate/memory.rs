//! Linear-memory operators: loads, stores, `memory.size`, and the bulk operators that
//! call builtins (`memory.grow/fill/copy/init`, `data.drop`).
//!
//! Loads and stores of a 32-bit memory carry no explicit bounds check, those of a 64-bit
//! memory one comparison at most; see
//! [`FuncEnvironment::heap_address`](crate::env::FuncEnvironment::heap_address). Any
//! operator may address any memory (multi-memory); addresses and sizes have the memory's
//! index type.

use super::{Result, Translator};
use crate::env::heap_flags;
use crate::traps::trap_code;
use crate::{CodegenError, Unsupported};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value, types};
use cranelift_frontend::FunctionBuilder;
use stagec_environ::Builtin;
use stagec_environ::TrapKind;
use stagec_frontend::IndexType;
use wasmparser::{MemArg, MemArgTarget};

use types::{F32, F64, I32, I64};

/// `memory.copy` of at most this many bytes, with a constant length, is inlined.
const SMALL_COPY_BYTES: u64 = 128;

/// Defines one method per load or store operator, each a call of `load` (with the
/// access size) or `store`.
macro_rules! memory_accesses {
    ($( $visit:ident => $helper:ident($($arg:expr),*); )*) => {
        $(
            pub(super) fn $visit(&mut self, memarg: MemArg) -> Result<()> {
                self.$helper(memarg, $($arg),*)
            }
        )*
    };
}

impl<'a> Translator<'a, '_> {
    memory_accesses! {
        // ---- loads ---------------------------------------------------------------------
        visit_i32_load => load(4, |b, f, a, o| b.ins().load(I32, f, a, o));
        visit_i64_load => load(8, |b, f, a, o| b.ins().load(I64, f, a, o));
        visit_f32_load => load(4, |b, f, a, o| b.ins().load(F32, f, a, o));
        visit_f64_load => load(8, |b, f, a, o| b.ins().load(F64, f, a, o));
        visit_i32_load8_s => load(1, |b, f, a, o| b.ins().sload8(I32, f, a, o));
        visit_i32_load8_u => load(1, |b, f, a, o| b.ins().uload8(I32, f, a, o));
        visit_i32_load16_s => load(2, |b, f, a, o| b.ins().sload16(I32, f, a, o));
        visit_i32_load16_u => load(2, |b, f, a, o| b.ins().uload16(I32, f, a, o));
        visit_i64_load8_s => load(1, |b, f, a, o| b.ins().sload8(I64, f, a, o));
        visit_i64_load8_u => load(1, |b, f, a, o| b.ins().uload8(I64, f, a, o));
        visit_i64_load16_s => load(2, |b, f, a, o| b.ins().sload16(I64, f, a, o));
        visit_i64_load16_u => load(2, |b, f, a, o| b.ins().uload16(I64, f, a, o));
        visit_i64_load32_s => load(4, |b, f, a, o| b.ins().sload32(f, a, o));
        visit_i64_load32_u => load(4, |b, f, a, o| b.ins().uload32(f, a, o));

        // ---- stores --------------------------------------------------------------------
        visit_i32_store => store(None);
        visit_i64_store => store(None);
        visit_f32_store => store(None);
        visit_f64_store => store(None);
        visit_i32_store8 => store(Some(types::I8));
        visit_i64_store8 => store(Some(types::I8));
        visit_i32_store16 => store(Some(types::I16));
        visit_i64_store16 => store(Some(types::I16));
        visit_i64_store32 => store(Some(I32));
    }

    // ---- memory instructions -----------------------------------------------------------

    pub(super) fn visit_memory_size(&mut self, mem: u32) {
        let size = self.env.memory_size(&mut self.builder, mem);
        self.push1(size);
    }

    pub(super) fn visit_memory_grow(&mut self, mem: u32) {
        let delta = self.pop1();
        let memory = self.i32_const(mem);
        let old = self
            .env
            .call_builtin(&mut self.builder, Builtin::MemoryGrow, &[memory, delta])
            .expect("memory.grow returns the old size");
        let old = self.of_index_type(self.env.memory_index_type(mem), old);
        self.push1(old);
    }

    pub(super) fn visit_memory_fill(&mut self, mem: u32) {
        let operands = self.pop3();
        self.call_bulk_builtin(Builtin::MemoryFill, &[mem], operands);
    }

    pub(super) fn visit_memory_copy(&mut self, dst_mem: u32, src_mem: u32) {
        let (dst, src, len) = self.pop3();
        if let Some(n) =
            super::consts::known_int(self.builder.func, len).filter(|n| *n <= SMALL_COPY_BYTES)
        {
            self.small_memory_copy(dst_mem, src_mem, dst, src, n);
            return;
        }
        self.call_bulk_builtin(Builtin::MemoryCopy, &[dst_mem, src_mem], (dst, src, len));
    }

    pub(super) fn visit_memory_init(&mut self, data_index: u32, mem: u32) {
        let operands = self.pop3();
        self.call_bulk_builtin(Builtin::MemoryInit, &[mem, data_index], operands);
    }

    pub(super) fn visit_data_drop(&mut self, data_index: u32) {
        let segment = self.i32_const(data_index);
        self.env
            .call_builtin(&mut self.builder, Builtin::DataDrop, &[segment]);
    }

    /// `memory.copy` of a known, small length, inline: both ranges are bounds-checked
    /// first (a trap must leave memory untouched), then every chunk is loaded before any
    /// is stored, so overlapping ranges copy correctly.
    fn small_memory_copy(&mut self, dst_mem: u32, src_mem: u32, dst: Value, src: Value, len: u64) {
        let b = &mut self.builder;
        let mut addresses = Vec::new();
        for (memory, index) in [(dst_mem, dst), (src_mem, src)] {
            let length = self.env.memory_length(b, memory);
            let (index, end) = match self.env.memory_index_type(memory) {
                IndexType::I32 => {
                    let index = b.ins().uextend(I64, index);
                    (index, b.ins().iadd_imm_u(index, len as i64))
                }
                IndexType::I64 => {
                    let len = b.ins().iconst(I64, len as i64);
                    let trap = trap_code(TrapKind::MemoryOutOfBounds);
                    (index, b.ins().uadd_overflow_trap(index, len, trap))
                }
            };
            let out_of_bounds = b.ins().icmp(IntCC::UnsignedGreaterThan, end, length);
            self.env
                .trapnz(b, out_of_bounds, TrapKind::MemoryOutOfBounds);
            let base = self.env.heap_base(b, memory);
            addresses.push(b.ins().iadd(base, index));
        }
        let (dst_addr, src_addr) = (addresses[0], addresses[1]);
        let flags = MemFlagsData::trusted();
        let mut chunks = Vec::new();
        let mut offset = 0u64;
        while offset < len {
            let ty = match len - offset {
                8.. => I64,
                4..=7 => I32,
                2..=3 => types::I16,
                _ => types::I8,
            };
            let value = b.ins().load(ty, flags, src_addr, offset as i32);
            chunks.push((value, offset));
            offset += u64::from(ty.bytes());
        }
        for (value, offset) in chunks {
            b.ins().store(flags, value, dst_addr, offset as i32);
        }
    }

    /// A bulk-memory or bulk-table builtin: the `i32` constants `indices` (memories,
    /// tables, segments), then the operator's three operands (those of `I64` parameters
    /// zero-extended when they are `i32`s, see `call_builtin`).
    pub(super) fn call_bulk_builtin(
        &mut self,
        builtin: Builtin,
        indices: &[u32],
        (x, y, z): (Value, Value, Value),
    ) {
        let mut args: Vec<Value> = indices.iter().map(|&i| self.i32_const(i)).collect();
        args.extend([x, y, z]);
        self.env.call_builtin(&mut self.builder, builtin, &args);
    }

    /// An `i32` constant (an index passed to a builtin).
    pub(super) fn i32_const(&mut self, value: u32) -> Value {
        self.builder.ins().iconst(I32, i64::from(value))
    }

    /// The address and displacement of a linear-memory access of `size` bytes at `index`
    /// with `memarg`: the one path of every load and store (scalar and `v128`).
    pub(super) fn heap_access(
        &mut self,
        memarg: &MemArg,
        index: Value,
        size: u32,
    ) -> Result<(Value, i32)> {
        let memory = memory_index(memarg)?;
        Ok(self
            .env
            .heap_address(&mut self.builder, memory, index, memarg.offset, size))
    }

    /// A load of `size` bytes, built by `f`.
    fn load(
        &mut self,
        memarg: MemArg,
        size: u32,
        f: impl FnOnce(&mut FunctionBuilder<'a>, MemFlagsData, Value, i32) -> Value,
    ) -> Result<()> {
        let index = self.pop1();
        let (addr, offset) = self.heap_access(&memarg, index, size)?;
        let value = f(&mut self.builder, heap_flags(), addr, offset);
        self.push1(value);
        Ok(())
    }

    /// A store of the operand's full width, or of its low bits when `narrow` is given.
    fn store(&mut self, memarg: MemArg, narrow: Option<Type>) -> Result<()> {
        let (index, value) = self.pop2();
        let size = narrow.unwrap_or_else(|| self.builder.func.dfg.value_type(value));
        let (addr, offset) = self.heap_access(&memarg, index, size.bytes())?;
        let ins = self.builder.ins();
        match narrow {
            None => ins.store(heap_flags(), value, addr, offset),
            Some(types::I8) => ins.istore8(heap_flags(), value, addr, offset),
            Some(types::I16) => ins.istore16(heap_flags(), value, addr, offset),
            Some(_) => ins.istore32(heap_flags(), value, addr, offset),
        };
        Ok(())
    }

    /// The `i64` result of a `grow` builtin as a value of `index` type.
    pub(super) fn of_index_type(&mut self, index: IndexType, value: Value) -> Value {
        match index {
            IndexType::I32 => self.builder.ins().ireduce(I32, value),
            IndexType::I64 => value,
        }
    }
}

/// The linear memory a memory immediate addresses.
fn memory_index(memarg: &MemArg) -> Result<u32> {
    match memarg.target {
        MemArgTarget::Memory(index) => Ok(index),
        MemArgTarget::Array(_) => Err(CodegenError::new(Unsupported::GcArrayAccess)),
    }
}
