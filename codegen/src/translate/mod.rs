//! The function translator: reads a body's operators, validates each one with the
//! module's `FuncValidator`, and builds Cranelift IR for it, asking the
//! [`FuncEnvironment`] every runtime question.
//!
//! This file holds the driver (locals, the operand stack, the control stack, fuel and
//! unreachable code). Each operator is then routed by `dispatch` (wasmparser's
//! `VisitOperator`) to one method named after it (`visit_i32_add`, ...) in one of the
//! families `control`, `variables`, `numeric`, `memory`, `calls` and `tables`, or, for the
//! proposals listed in `unsupported`, to an "unsupported" error; an operator routed
//! nowhere does not compile.
//!
//! Unreachable code: after `br`, `br_table`, `return` or `unreachable` nothing is
//! translated until the `else` or `end` that closes the current frame; nested blocks opened
//! meanwhile are only counted (`unreachable_depth`). Control frames are therefore only
//! pushed for reachable code. Every operator is still validated.
//!
//! Constant tracking (`consts`): where the translator makes a control decision, it asks
//! whether the condition is a known constant (a preimported constant, a literal, or
//! arithmetic over them). An `if` with a known condition translates only its live arm (the
//! dead arm is skipped like unreachable code); `br_if` and `br_table` with a known operand
//! become a plain branch or nothing; `select` picks its operand.

mod calls;
pub(crate) mod consts;
mod control;
mod dispatch;
mod memory;
mod numeric;
mod offsets;
mod simd;
mod tables;
mod unsupported;
mod variables;

use crate::env::{FuncEnvironment, POINTER, V128, clif_types};
use crate::{CodegenError, CodegenErrorKind};
use cranelift_codegen::ir::{self, Block, BlockArg, InstBuilder, SourceLoc, Type, Value, types};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use dispatch::Dispatch;
use wasmparser::{
    BinaryReader, BlockType, FuncToValidate, FuncValidator, FuncValidatorAllocations, FunctionBody,
    Operator, OperatorsReader, ValidatorResources, VisitOperator,
};

type Result<T> = std::result::Result<T, CodegenError>;

/// What kind of construct a control frame is.
#[derive(Clone, Copy, Debug)]
enum FrameKind {
    /// `block`, and the function body itself (the outermost frame).
    Block,
    /// `loop`: branches go back to `header`, with the loop's parameters.
    Loop { header: Block },
    /// `if`: the false edge goes to `else_block` (which takes the `if`'s parameters).
    If { else_block: Block, else_seen: bool },
    /// `if` whose condition is known: only the arm selected by `then_live` is translated,
    /// in line with the code before it; the other arm is skipped as unreachable code.
    KnownIf { then_live: bool, else_seen: bool },
}

/// One entry of the control stack.
#[derive(Clone, Copy, Debug)]
struct ControlFrame {
    kind: FrameKind,
    /// Where control continues after `end`; its block parameters are the frame's results.
    destination: Block,
    num_params: usize,
    num_results: usize,
    /// Operand-stack height below the frame's parameters.
    stack_base: usize,
    /// Whether some branch or fallthrough reaches `destination`.
    exit_reachable: bool,
}

impl ControlFrame {
    /// The block a branch to this frame jumps to.
    fn branch_target(&self) -> Block {
        match self.kind {
            FrameKind::Loop { header } => header,
            _ => self.destination,
        }
    }

    /// How many values a branch to this frame carries.
    fn branch_arity(&self) -> usize {
        match self.kind {
            FrameKind::Loop { .. } => self.num_params,
            _ => self.num_results,
        }
    }
}

/// Reusable translation state (one per compilation thread).
pub(crate) struct FuncTranslator {
    builder_ctx: FunctionBuilderContext,
    validator_allocs: Option<FuncValidatorAllocations>,
    stack: Vec<Value>,
    control: Vec<ControlFrame>,
    locals: Vec<(Variable, Type)>,
}

impl Default for FuncTranslator {
    fn default() -> Self {
        Self::new()
    }
}

impl FuncTranslator {
    /// A translator with empty buffers.
    pub(crate) fn new() -> Self {
        FuncTranslator {
            builder_ctx: FunctionBuilderContext::new(),
            validator_allocs: Some(FuncValidatorAllocations::default()),
            stack: Vec::new(),
            control: Vec::new(),
            locals: Vec::new(),
        }
    }

    /// Translates (and validates) the body `bytes`, found at byte `offset` of the module,
    /// into `func`, whose signature must already be the function's wasm signature.
    pub(crate) fn translate(
        &mut self,
        env: &mut FuncEnvironment<'_>,
        func: &mut ir::Function,
        seed: FuncToValidate<ValidatorResources>,
        bytes: &[u8],
        offset: usize,
        frontend_config: TargetFrontendConfig,
    ) -> Result<()> {
        let allocs = self.validator_allocs.take().unwrap_or_default();
        let mut validator = seed.into_validator(allocs);
        let result = self.translate_body(
            env,
            func,
            &mut validator,
            bytes,
            offset as u64,
            frontend_config,
        );
        self.validator_allocs = Some(validator.into_allocations());
        if result.is_err() {
            // The builder was abandoned mid-function; its context is not reusable.
            self.builder_ctx = FunctionBuilderContext::new();
        }
        self.stack.clear();
        self.control.clear();
        self.locals.clear();
        result
    }

    fn translate_body(
        &mut self,
        env: &mut FuncEnvironment<'_>,
        func: &mut ir::Function,
        validator: &mut FuncValidator<ValidatorResources>,
        bytes: &[u8],
        offset: u64,
        frontend_config: TargetFrontendConfig,
    ) -> Result<()> {
        let mut builder = FunctionBuilder::new(&mut *func, &mut self.builder_ctx);
        builder.set_srcloc(SourceLoc::new(offset as u32));
        let entry = builder.create_block();
        builder.append_block_params_for_function_params(entry);
        builder.switch_to_block(entry);
        builder.seal_block(entry);

        let params = builder.block_params(entry).to_vec();
        env.begin_function(&mut builder, params[0], params[1]);
        env.limits_check(&mut builder);

        // Parameters (after the two vmctx words), then declared locals, zero-initialised.
        self.locals.clear();
        for &param in &params[2..] {
            let ty = builder.func.dfg.value_type(param);
            let var = builder.declare_var(ty);
            builder.def_var(var, param);
            self.locals.push((var, ty));
        }
        let body = FunctionBody::new(BinaryReader::new(bytes, offset));
        let mut locals = body.get_locals_reader()?;
        for _ in 0..locals.get_count() {
            let local_offset = locals.original_position();
            let (count, ty) = locals.read()?;
            validator.define_locals(local_offset, count, ty)?;
            let ty = wasm_local_type(ty);
            let zero = zero_value(&mut builder, ty);
            for _ in 0..count {
                let var = builder.declare_var(ty);
                builder.def_var(var, zero);
                self.locals.push((var, ty));
            }
        }
        let mut reader = OperatorsReader::new(locals.get_binary_reader());

        // The function body is the outermost frame; its destination returns.
        let result_types: Vec<Type> = builder
            .func
            .signature
            .returns
            .iter()
            .map(|p| p.value_type)
            .collect();
        let exit = builder.create_block();
        for &ty in &result_types {
            builder.append_block_param(exit, ty);
        }
        self.stack.clear();
        self.control.clear();
        self.control.push(ControlFrame {
            kind: FrameKind::Block,
            destination: exit,
            num_params: 0,
            num_results: result_types.len(),
            stack_base: 0,
            exit_reachable: false,
        });

        let mut translator = Translator {
            builder,
            env,
            stack: &mut self.stack,
            control: &mut self.control,
            locals: &self.locals,
            reachable: true,
            unreachable_depth: 0,
            fuel_pending: 0,
        };
        while !reader.eof() {
            let (op, op_offset) = reader.read_with_offset()?;
            validator.op(op_offset, &op)?;
            translator
                .builder
                .set_srcloc(SourceLoc::new(op_offset as u32));
            translator.translate_operator(&op, op_offset)?;
        }
        reader.finish()?;
        if !translator.control.is_empty() {
            return Err(CodegenError::at(
                CodegenErrorKind::UnclosedFrames,
                reader.original_position(),
            ));
        }
        let mut builder = translator.builder;
        builder.seal_all_blocks();
        builder.finalize(frontend_config);
        offsets::fold_heap_offsets(func);
        Ok(())
    }
}

/// The Cranelift type of a declared local.
fn wasm_local_type(ty: wasmparser::ValType) -> Type {
    match ty {
        wasmparser::ValType::I32 => types::I32,
        wasmparser::ValType::I64 => types::I64,
        wasmparser::ValType::F32 => types::F32,
        wasmparser::ValType::F64 => types::F64,
        wasmparser::ValType::Ref(_) => POINTER,
        wasmparser::ValType::V128 => V128,
    }
}

/// The zero value of `ty` (also the null reference).
fn zero_value(builder: &mut FunctionBuilder<'_>, ty: Type) -> Value {
    match ty {
        types::F32 => builder.ins().f32const(0.0),
        types::F64 => builder.ins().f64const(0.0),
        V128 => simd::vector_const(builder, V128, 0),
        _ => builder.ins().iconst(ty, 0),
    }
}

/// Wraps values as block-call arguments.
fn block_args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|&v| BlockArg::Value(v)).collect()
}

/// The state of translating one function: the builder, the environment, the operand
/// stack of SSA values, the control stack, the locals and reachability.
pub(crate) struct Translator<'a, 'm> {
    builder: FunctionBuilder<'a>,
    env: &'a mut FuncEnvironment<'m>,
    stack: &'a mut Vec<Value>,
    control: &'a mut Vec<ControlFrame>,
    locals: &'a [(Variable, Type)],
    /// Whether the current position can be reached.
    reachable: bool,
    /// Frames opened while unreachable and not yet closed.
    unreachable_depth: u32,
    /// Fuel of the operators translated since the last [`FuncEnvironment::consume_fuel`].
    fuel_pending: u64,
}

impl<'a> Translator<'a, '_> {
    fn translate_operator(&mut self, op: &Operator<'_>, offset: u64) -> Result<()> {
        if !self.reachable {
            self.translate_unreachable_operator(op);
            return Ok(());
        }
        if self.env.consumes_fuel() {
            self.count_fuel(op);
        }
        Dispatch {
            translator: self,
            offset,
        }
        .visit_operator(op)
    }

    /// Fuel: one unit per operator except those that only structure code (`nop`, `drop`,
    /// `block`, `loop`, `else`, `end`), added up along straight-line code and subtracted
    /// from the store's fuel before every operator that branches, calls, returns or traps,
    /// so each run of operators costs one load, add and store. The store's fuel is checked
    /// at function entries and loop headers (`FuncEnvironment::limits_check`).
    fn count_fuel(&mut self, op: &Operator<'_>) {
        let free = matches!(
            op,
            Operator::Nop
                | Operator::Drop
                | Operator::Block { .. }
                | Operator::Loop { .. }
                | Operator::Else
                | Operator::End
        );
        if !free {
            self.fuel_pending += 1;
        }
        let ends_run = matches!(
            op,
            Operator::Loop { .. }
                | Operator::If { .. }
                | Operator::Else
                | Operator::End
                | Operator::Br { .. }
                | Operator::BrIf { .. }
                | Operator::BrTable { .. }
                | Operator::Return
                | Operator::Unreachable
                | Operator::Call { .. }
                | Operator::CallIndirect { .. }
        );
        if ends_run && self.fuel_pending > 0 {
            self.env.consume_fuel(&mut self.builder, self.fuel_pending);
            self.fuel_pending = 0;
        }
    }

    /// Unreachable code is skipped; only the structure (nesting, `else`, `end`) matters.
    fn translate_unreachable_operator(&mut self, op: &Operator<'_>) {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                self.unreachable_depth += 1;
            }
            Operator::Else if self.unreachable_depth == 0 => self.visit_else(),
            Operator::End => {
                if self.unreachable_depth == 0 {
                    self.visit_end();
                } else {
                    self.unreachable_depth -= 1;
                }
            }
            _ => {}
        }
    }

    // ---- operand stack -----------------------------------------------------------------

    fn push1(&mut self, value: Value) {
        self.stack.push(value);
    }

    fn pop1(&mut self) -> Value {
        self.stack
            .pop()
            .expect("validated: operand stack underflow")
    }

    fn pop2(&mut self) -> (Value, Value) {
        let y = self.pop1();
        let x = self.pop1();
        (x, y)
    }

    fn pop3(&mut self) -> (Value, Value, Value) {
        let z = self.pop1();
        let (x, y) = self.pop2();
        (x, y, z)
    }

    /// The top `n` values, bottom first.
    fn peekn(&self, n: usize) -> &[Value] {
        &self.stack[self.stack.len() - n..]
    }

    /// Pops the top `n` values, bottom first.
    fn popn(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len() - n;
        self.stack.split_off(at)
    }

    // ---- helpers -----------------------------------------------------------------------

    /// Parameter and result types of a block type.
    fn block_signature(&self, ty: BlockType) -> (Vec<Type>, Vec<Type>) {
        match ty {
            BlockType::Empty => (Vec::new(), Vec::new()),
            BlockType::Type(t) => {
                let t = wasm_local_type(t);
                (Vec::new(), vec![t])
            }
            BlockType::FuncType(index) => {
                let ty = &self.env.module().types[index as usize];
                (clif_types(&ty.params), clif_types(&ty.results))
            }
        }
    }

    /// A new block with parameters of the given types.
    fn block_with_params(&mut self, types: &[Type]) -> Block {
        let block = self.builder.create_block();
        for &ty in types {
            self.builder.append_block_param(block, ty);
        }
        block
    }

    /// Terminates the current block with a jump to `target` carrying `args`.
    fn jump(&mut self, target: Block, args: &[Value]) {
        let args = block_args(args);
        self.builder.ins().jump(target, &args);
    }

    /// A local's variable and type.
    fn local(&self, index: u32) -> (Variable, Type) {
        self.locals[index as usize]
    }

    /// Whether an `i32` condition is known to be non-zero (`Some(true)`) or zero.
    fn known_condition(&self, condition: Value) -> Option<bool> {
        consts::known_int(self.builder.func, condition).map(|c| c != 0)
    }
}

#[cfg(test)]
mod tests {
    use crate::{CodegenError, Compiler};

    /// The error of translating defined function 0 of `wat` with every wasm feature
    /// enabled in its validator, so that operators outside stagec's feature set reach the
    /// translator.
    fn translation_error(wat: &str) -> CodegenError {
        let mut module = stagec_frontend::parse(wat::parse_str(wat).unwrap()).unwrap();
        module.validators[0].features = wasmparser::WasmFeatures::all();
        Compiler::new().unwrap().clif(&module, 0).unwrap_err()
    }

    #[test]
    fn operators_of_unimplemented_proposals_are_unsupported() {
        // (body, operator, proposal, the operator's offset)
        let cases = [
            ("(return_call 0)", "ReturnCall", "tail_call", 0x17),
            ("(drop (ref.i31 (i32.const 0)))", "RefI31", "gc", 0x19),
            (
                "(drop (i64.mul_wide_s (i64.const 1) (i64.const 2)))",
                "I64MulWideS",
                "wide_arithmetic",
                0x1b,
            ),
        ];
        for (body, name, proposal, offset) in cases {
            let e = translation_error(&format!("(module (func {body}))"));
            assert!(e.is_unsupported(), "{body}: {e}");
            assert_eq!(
                e.to_string(),
                format!(
                    "unsupported feature: operator {name} (proposal {proposal}) \
                     in function 0 (at offset {offset:#x})"
                ),
            );
        }
    }
}
