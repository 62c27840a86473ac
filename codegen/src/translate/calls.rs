//! Calls: `call` and `call_indirect`. How a call is made is the environment's decision.

use super::Translator;

impl Translator<'_, '_> {
    pub(super) fn visit_call(&mut self, function_index: u32) {
        let module = self.env.module();
        let num_params = module.func_type(function_index).params.len();
        let args = self.popn(num_params);
        let results = self.env.call(&mut self.builder, function_index, &args);
        self.stack.extend_from_slice(&results);
    }

    pub(super) fn visit_call_indirect(&mut self, type_index: u32, table_index: u32) {
        let index = self.pop1();
        let num_params = self.env.module().types[type_index as usize].params.len();
        let args = self.popn(num_params);
        let results =
            self.env
                .call_indirect(&mut self.builder, type_index, table_index, index, &args);
        self.stack.extend_from_slice(&results);
    }
}
