//! Locals, globals and parametric operators (`drop`, `select`).

use super::{Result, Translator};
use cranelift_codegen::ir::InstBuilder;
use wasmparser::ValType;

impl Translator<'_, '_> {
    pub(super) fn visit_local_get(&mut self, local_index: u32) {
        let (var, _) = self.local(local_index);
        let value = self.builder.use_var(var);
        self.push1(value);
    }

    pub(super) fn visit_local_set(&mut self, local_index: u32) {
        let (var, _) = self.local(local_index);
        let value = self.pop1();
        self.builder.def_var(var, value);
    }

    pub(super) fn visit_local_tee(&mut self, local_index: u32) {
        let (var, _) = self.local(local_index);
        let value = *self.stack.last().expect("validated: local.tee operand");
        self.builder.def_var(var, value);
    }

    pub(super) fn visit_global_get(&mut self, global_index: u32) {
        let value = self.env.global_get(&mut self.builder, global_index);
        self.push1(value);
    }

    pub(super) fn visit_global_set(&mut self, global_index: u32) -> Result<()> {
        let value = self.pop1();
        self.env.global_set(&mut self.builder, global_index, value)
    }

    pub(super) fn visit_drop(&mut self) {
        self.pop1();
    }

    pub(super) fn visit_select(&mut self) {
        let (x, y, condition) = self.pop3();
        let value = match self.known_condition(condition) {
            Some(true) => x,
            Some(false) => y,
            None => self.builder.ins().select(condition, x, y),
        };
        self.push1(value);
    }

    /// `select (result t)`: the same as `select`; the type only matters to validation.
    pub(super) fn visit_typed_select(&mut self, _ty: ValType) {
        self.visit_select();
    }
}
