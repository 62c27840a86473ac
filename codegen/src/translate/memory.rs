//! Linear-memory operators: loads, stores, `memory.size`, and the bulk operators that
//! call builtins (`memory.grow/fill/copy/init`, `data.drop`).
//!
//! Loads and stores carry no explicit bounds check; see
//! [`FuncEnvironment::heap_address`](crate::env::FuncEnvironment::heap_address).

use super::{Result, Translator};
use crate::env::heap_flags;
use crate::{CodegenError, Unsupported};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value, types};
use cranelift_frontend::FunctionBuilder;
use stagec_environ::Builtin;
use stagec_environ::TrapKind;
use wasmparser::{MemArg, MemArgTarget, Operator};

use types::{F32, F64, I32, I64};

/// `memory.copy` of at most this many bytes, with a constant length, is inlined.
const SMALL_COPY_BYTES: u64 = 128;

impl<'a> Translator<'a, '_> {
    /// Translates a memory operator; returns whether `op` is one.
    pub(super) fn translate_memory(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        match *op {
            // ---- loads -----------------------------------------------------------------
            O::I32Load { memarg } => self.load(memarg, |b, f, a, o| b.ins().load(I32, f, a, o))?,
            O::I64Load { memarg } => self.load(memarg, |b, f, a, o| b.ins().load(I64, f, a, o))?,
            O::F32Load { memarg } => self.load(memarg, |b, f, a, o| b.ins().load(F32, f, a, o))?,
            O::F64Load { memarg } => self.load(memarg, |b, f, a, o| b.ins().load(F64, f, a, o))?,
            O::I32Load8S { memarg } => {
                self.load(memarg, |b, f, a, o| b.ins().sload8(I32, f, a, o))?;
            }
            O::I32Load8U { memarg } => {
                self.load(memarg, |b, f, a, o| b.ins().uload8(I32, f, a, o))?;
            }
            O::I32Load16S { memarg } => {
                self.load(memarg, |b, f, a, o| b.ins().sload16(I32, f, a, o))?;
            }
            O::I32Load16U { memarg } => {
                self.load(memarg, |b, f, a, o| b.ins().uload16(I32, f, a, o))?;
            }
            O::I64Load8S { memarg } => {
                self.load(memarg, |b, f, a, o| b.ins().sload8(I64, f, a, o))?;
            }
            O::I64Load8U { memarg } => {
                self.load(memarg, |b, f, a, o| b.ins().uload8(I64, f, a, o))?;
            }
            O::I64Load16S { memarg } => {
                self.load(memarg, |b, f, a, o| b.ins().sload16(I64, f, a, o))?;
            }
            O::I64Load16U { memarg } => {
                self.load(memarg, |b, f, a, o| b.ins().uload16(I64, f, a, o))?;
            }
            O::I64Load32S { memarg } => {
                self.load(memarg, |b, f, a, o| b.ins().sload32(f, a, o))?;
            }
            O::I64Load32U { memarg } => {
                self.load(memarg, |b, f, a, o| b.ins().uload32(f, a, o))?;
            }

            // ---- stores ----------------------------------------------------------------
            O::I32Store { memarg }
            | O::I64Store { memarg }
            | O::F32Store { memarg }
            | O::F64Store { memarg } => self.store(memarg, None)?,
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => {
                self.store(memarg, Some(types::I8))?;
            }
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                self.store(memarg, Some(types::I16))?;
            }
            O::I64Store32 { memarg } => self.store(memarg, Some(I32))?,

            // ---- memory instructions ---------------------------------------------------
            O::MemorySize { mem } => {
                let size = self.env.memory_size(&mut self.builder, mem);
                self.push1(size);
            }
            O::MemoryGrow { mem } => {
                let delta = self.pop1();
                let memory = self.i32_const(mem);
                let old = self
                    .env
                    .call_builtin(&mut self.builder, Builtin::MemoryGrow, &[memory, delta])
                    .expect("memory.grow returns the old size");
                self.push1(old);
            }
            O::MemoryFill { mem } => {
                let (dst, value, len) = self.pop3();
                let memory = self.i32_const(mem);
                self.env.call_builtin(
                    &mut self.builder,
                    Builtin::MemoryFill,
                    &[memory, dst, value, len],
                );
            }
            O::MemoryCopy { dst_mem, src_mem } => {
                let (dst, src, len) = self.pop3();
                if let Some(n) = super::consts::known_int(self.builder.func, len)
                    .filter(|n| *n <= SMALL_COPY_BYTES)
                {
                    self.small_memory_copy(dst_mem, src_mem, dst, src, n);
                    return Ok(true);
                }
                let dst_memory = self.i32_const(dst_mem);
                let src_memory = self.i32_const(src_mem);
                self.env.call_builtin(
                    &mut self.builder,
                    Builtin::MemoryCopy,
                    &[dst_memory, src_memory, dst, src, len],
                );
            }
            O::MemoryInit { data_index, mem } => {
                let (dst, src, len) = self.pop3();
                let memory = self.i32_const(mem);
                let segment = self.i32_const(data_index);
                self.env.call_builtin(
                    &mut self.builder,
                    Builtin::MemoryInit,
                    &[memory, segment, dst, src, len],
                );
            }
            O::DataDrop { data_index } => {
                let segment = self.i32_const(data_index);
                self.env
                    .call_builtin(&mut self.builder, Builtin::DataDrop, &[segment]);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `memory.copy` of a known, small length, inline: both ranges are bounds-checked
    /// first (a trap must leave memory untouched), then every chunk is loaded before any
    /// is stored, so overlapping ranges copy correctly.
    fn small_memory_copy(&mut self, dst_mem: u32, src_mem: u32, dst: Value, src: Value, len: u64) {
        let b = &mut self.builder;
        let mut addresses = Vec::new();
        for (memory, index) in [(dst_mem, dst), (src_mem, src)] {
            let length = self.env.memory_length(b, memory);
            let index = b.ins().uextend(I64, index);
            let end = b.ins().iadd_imm_u(index, len as i64);
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

    /// An `i32` constant (an index passed to a builtin).
    pub(super) fn i32_const(&mut self, value: u32) -> Value {
        self.builder.ins().iconst(I32, i64::from(value))
    }

    fn load(
        &mut self,
        memarg: MemArg,
        f: impl FnOnce(&mut FunctionBuilder<'a>, MemFlagsData, Value, i32) -> Value,
    ) -> Result<()> {
        let memory = memory_index(&memarg)?;
        let index = self.pop1();
        let (addr, offset) = self
            .env
            .heap_address(&mut self.builder, memory, index, memarg.offset);
        let value = f(&mut self.builder, heap_flags(), addr, offset);
        self.push1(value);
        Ok(())
    }

    /// A store of the operand's full width, or of its low bits when `narrow` is given.
    fn store(&mut self, memarg: MemArg, narrow: Option<Type>) -> Result<()> {
        let memory = memory_index(&memarg)?;
        let (index, value) = self.pop2();
        let (addr, offset) = self
            .env
            .heap_address(&mut self.builder, memory, index, memarg.offset);
        let ins = self.builder.ins();
        match narrow {
            None => ins.store(heap_flags(), value, addr, offset),
            Some(types::I8) => ins.istore8(heap_flags(), value, addr, offset),
            Some(types::I16) => ins.istore16(heap_flags(), value, addr, offset),
            Some(_) => ins.istore32(heap_flags(), value, addr, offset),
        };
        Ok(())
    }
}

/// The linear memory a memory immediate addresses.
fn memory_index(memarg: &MemArg) -> Result<u32> {
    match memarg.target {
        MemArgTarget::Memory(index) => Ok(index),
        MemArgTarget::Array(_) => Err(CodegenError::new(Unsupported::GcArrayAccess)),
    }
}
