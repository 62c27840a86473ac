//! Tables and references: `table.get/set/size` inline, `table.grow/fill/copy/init` and
//! `elem.drop` through builtins, `ref.null`, `ref.is_null`, `ref.func`.

use super::{Result, Translator};
use crate::env::{POINTER, runtime_flags};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, types};
use stagec_environ::{Builtin, TrapKind};
use wasmparser::Operator;

impl Translator<'_, '_> {
    /// Translates a table or reference operator; returns whether `op` is one.
    pub(super) fn translate_table(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        match *op {
            O::TableGet { table } => {
                let index = self.pop1();
                let addr = self.env.table_element_address(
                    &mut self.builder,
                    table,
                    index,
                    TrapKind::TableOutOfBounds,
                );
                let value = self.builder.ins().load(POINTER, runtime_flags(), addr, 0);
                self.push1(value);
            }
            O::TableSet { table } => {
                let (index, value) = self.pop2();
                let addr = self.env.table_element_address(
                    &mut self.builder,
                    table,
                    index,
                    TrapKind::TableOutOfBounds,
                );
                self.builder.ins().store(runtime_flags(), value, addr, 0);
            }
            O::TableSize { table } => {
                let size = self.env.table_size(&mut self.builder, table);
                self.push1(size);
            }
            O::TableGrow { table } => {
                let (init, delta) = self.pop2();
                let table = self.i32_const(table);
                let old = self
                    .env
                    .call_builtin(&mut self.builder, Builtin::TableGrow, &[table, init, delta])
                    .expect("table.grow returns the old size");
                self.push1(old);
            }
            O::TableFill { table } => {
                let (dst, value, len) = self.pop3();
                let table = self.i32_const(table);
                self.env.call_builtin(
                    &mut self.builder,
                    Builtin::TableFill,
                    &[table, dst, value, len],
                );
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let (dst, src, len) = self.pop3();
                let dst_table = self.i32_const(dst_table);
                let src_table = self.i32_const(src_table);
                self.env.call_builtin(
                    &mut self.builder,
                    Builtin::TableCopy,
                    &[dst_table, src_table, dst, src, len],
                );
            }
            O::TableInit { elem_index, table } => {
                let (dst, src, len) = self.pop3();
                let table = self.i32_const(table);
                let segment = self.i32_const(elem_index);
                self.env.call_builtin(
                    &mut self.builder,
                    Builtin::TableInit,
                    &[table, segment, dst, src, len],
                );
            }
            O::ElemDrop { elem_index } => {
                let segment = self.i32_const(elem_index);
                self.env
                    .call_builtin(&mut self.builder, Builtin::ElemDrop, &[segment]);
            }
            O::RefNull { .. } => {
                let null = self.builder.ins().iconst(POINTER, 0);
                self.push1(null);
            }
            O::RefIsNull => {
                let value = self.pop1();
                let is_null = self.builder.ins().icmp_imm_s(IntCC::Equal, value, 0);
                let is_null = self.builder.ins().uextend(types::I32, is_null);
                self.push1(is_null);
            }
            O::RefFunc { function_index } => {
                let funcref = self.env.ref_func(&mut self.builder, function_index);
                self.push1(funcref);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
