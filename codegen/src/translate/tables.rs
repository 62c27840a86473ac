//! Tables and references: `table.get/set/size` inline, `table.grow/fill/copy/init` and
//! `elem.drop` through builtins, `ref.null`, `ref.is_null`, `ref.func`. Element indices
//! and sizes have the table's index type (`i64` for a table64).

use super::Translator;
use crate::env::{POINTER, runtime_flags};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, types};
use stagec_environ::{Builtin, TrapKind};
use wasmparser::HeapType;

impl Translator<'_, '_> {
    pub(super) fn visit_table_get(&mut self, table: u32) {
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

    pub(super) fn visit_table_set(&mut self, table: u32) {
        let (index, value) = self.pop2();
        let addr = self.env.table_element_address(
            &mut self.builder,
            table,
            index,
            TrapKind::TableOutOfBounds,
        );
        self.builder.ins().store(runtime_flags(), value, addr, 0);
    }

    pub(super) fn visit_table_size(&mut self, table: u32) {
        let size = self.env.table_size(&mut self.builder, table);
        self.push1(size);
    }

    pub(super) fn visit_table_grow(&mut self, table: u32) {
        let (init, delta) = self.pop2();
        let table_index = self.i32_const(table);
        let old = self
            .env
            .call_builtin(
                &mut self.builder,
                Builtin::TableGrow,
                &[table_index, init, delta],
            )
            .expect("table.grow returns the old size");
        let old = self.of_index_type(self.env.table_index_type(table), old);
        self.push1(old);
    }

    pub(super) fn visit_table_fill(&mut self, table: u32) {
        let operands = self.pop3();
        self.call_bulk_builtin(Builtin::TableFill, &[table], operands);
    }

    pub(super) fn visit_table_copy(&mut self, dst_table: u32, src_table: u32) {
        let operands = self.pop3();
        self.call_bulk_builtin(Builtin::TableCopy, &[dst_table, src_table], operands);
    }

    pub(super) fn visit_table_init(&mut self, elem_index: u32, table: u32) {
        let operands = self.pop3();
        self.call_bulk_builtin(Builtin::TableInit, &[table, elem_index], operands);
    }

    pub(super) fn visit_elem_drop(&mut self, elem_index: u32) {
        let segment = self.i32_const(elem_index);
        self.env
            .call_builtin(&mut self.builder, Builtin::ElemDrop, &[segment]);
    }

    /// `ref.null`: the null reference is 0 whatever the heap type.
    pub(super) fn visit_ref_null(&mut self, _hty: HeapType) {
        let null = self.builder.ins().iconst(POINTER, 0);
        self.push1(null);
    }

    pub(super) fn visit_ref_is_null(&mut self) {
        let value = self.pop1();
        let is_null = self.builder.ins().icmp_imm_s(IntCC::Equal, value, 0);
        let is_null = self.builder.ins().uextend(types::I32, is_null);
        self.push1(is_null);
    }

    pub(super) fn visit_ref_func(&mut self, function_index: u32) {
        let funcref = self.env.ref_func(&mut self.builder, function_index);
        self.push1(funcref);
    }
}
