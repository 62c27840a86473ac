//! Calls: `call` and `call_indirect`. How a call is made is the environment's decision.

use super::{Result, Translator};
use wasmparser::Operator;

impl Translator<'_, '_> {
    /// Translates a call operator; returns whether `op` is one.
    pub(super) fn translate_call(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::Call { function_index } => {
                let module = self.env.module();
                let num_params = module.func_type(function_index).params.len();
                let args = self.popn(num_params);
                let results = self.env.call(&mut self.builder, function_index, &args);
                self.stack.extend_from_slice(&results);
            }
            Operator::CallIndirect {
                type_index,
                table_index,
            } => {
                let index = self.pop1();
                let num_params = self.env.module().types[type_index as usize].params.len();
                let args = self.popn(num_params);
                let results = self.env.call_indirect(
                    &mut self.builder,
                    type_index,
                    table_index,
                    index,
                    &args,
                );
                self.stack.extend_from_slice(&results);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
