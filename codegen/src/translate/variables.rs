//! Locals, globals and parametric operators (`drop`, `select`).

use super::{Result, Translator};
use cranelift_codegen::ir::InstBuilder;
use wasmparser::Operator;

impl Translator<'_, '_> {
    /// Translates a variable or parametric operator; returns whether `op` is one.
    pub(super) fn translate_variable(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::LocalGet { local_index } => {
                let (var, _) = self.local(local_index);
                let value = self.builder.use_var(var);
                self.push1(value);
            }
            Operator::LocalSet { local_index } => {
                let (var, _) = self.local(local_index);
                let value = self.pop1();
                self.builder.def_var(var, value);
            }
            Operator::LocalTee { local_index } => {
                let (var, _) = self.local(local_index);
                let value = *self.stack.last().expect("validated: local.tee operand");
                self.builder.def_var(var, value);
            }
            Operator::GlobalGet { global_index } => {
                let value = self.env.global_get(&mut self.builder, global_index);
                self.push1(value);
            }
            Operator::GlobalSet { global_index } => {
                let value = self.pop1();
                self.env
                    .global_set(&mut self.builder, global_index, value)?;
            }
            Operator::Drop => {
                self.pop1();
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                let (x, y, condition) = self.pop3();
                let value = match self.known_condition(condition) {
                    Some(true) => x,
                    Some(false) => y,
                    None => self.builder.ins().select(condition, x, y),
                };
                self.push1(value);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
