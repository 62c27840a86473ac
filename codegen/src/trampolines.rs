//! Generated glue between the host and wasm code, one per signature:
//!
//! - **entry trampolines** — `fn(callee code, callee vmctx, caller vmctx, values)`: load
//!   the arguments from the `ValRaw` buffer, call the callee with the wasm convention,
//!   store the results back into the buffer;
//! - **host adapters** — wasm-convention functions whose vmctx is a `VMHostFuncContext`:
//!   spill the arguments into a `ValRaw` buffer on the stack, call the context's
//!   `HostCallback`, trap with `Pending` on a non-zero status, return the results.
//!
//! Values written into a `ValRaw` slot fill all 16 bytes: the value zero-extended to 64
//! bits, then 8 zero bytes.

use crate::env::{POINTER, clif_type, readonly_flags, runtime_flags, wasm_signature};
use crate::traps::trap_code;
use cranelift_codegen::ir::{
    AbiParam, Function, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind, Type,
    UserFuncName, Value, types,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use stagec_environ::TrapKind;
use stagec_environ::vmoffsets::{VAL_RAW_SIZE, host_ctx};
use stagec_frontend::FuncType;

/// Namespace of trampoline names (cosmetic: trampolines are never relocation targets).
const TRAMPOLINE_NAMESPACE: u32 = 1;

/// Builds the entry trampoline for signature `ty`.
pub(crate) fn entry_trampoline(
    call_conv: CallConv,
    frontend_config: TargetFrontendConfig,
    builder_ctx: &mut FunctionBuilderContext,
    ty: &FuncType,
    name_index: u32,
) -> Function {
    let mut sig = Signature::new(call_conv);
    sig.params.extend([AbiParam::new(POINTER); 4]);
    let mut func =
        Function::with_name_signature(UserFuncName::user(TRAMPOLINE_NAMESPACE, name_index), sig);
    let mut builder = FunctionBuilder::new(&mut func, builder_ctx);
    let entry = builder.create_block();
    builder.append_block_params_for_function_params(entry);
    builder.switch_to_block(entry);
    builder.seal_block(entry);
    let &[code, callee_vmctx, caller_vmctx, values] = builder.block_params(entry) else {
        unreachable!("four parameters were declared");
    };

    let mut args = vec![callee_vmctx, caller_vmctx];
    for (i, &param) in ty.params.iter().enumerate() {
        let offset = slot_offset(i);
        args.push(
            builder
                .ins()
                .load(clif_type(param), runtime_flags(), values, offset),
        );
    }
    let callee_sig = builder.import_signature(wasm_signature(call_conv, ty));
    let call = builder.ins().call_indirect(callee_sig, code, &args);
    let results = builder.inst_results(call).to_vec();
    for (i, &result) in results.iter().enumerate() {
        store_raw(&mut builder, result, values, slot_offset(i));
    }
    builder.ins().return_(&[]);
    builder.finalize(frontend_config);
    func
}

/// Builds the host adapter for signature `ty`.
pub(crate) fn host_adapter(
    call_conv: CallConv,
    frontend_config: TargetFrontendConfig,
    builder_ctx: &mut FunctionBuilderContext,
    ty: &FuncType,
) -> Function {
    let mut func = Function::with_name_signature(
        UserFuncName::user(TRAMPOLINE_NAMESPACE, 0),
        wasm_signature(call_conv, ty),
    );
    let mut builder = FunctionBuilder::new(&mut func, builder_ctx);
    let entry = builder.create_block();
    builder.append_block_params_for_function_params(entry);
    builder.switch_to_block(entry);
    builder.seal_block(entry);
    let params = builder.block_params(entry).to_vec();
    let (host_ctx, caller_vmctx) = (params[0], params[1]);

    let capacity = ty.params.len().max(ty.results.len());
    let slot = builder.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        capacity.max(1) as u32 * VAL_RAW_SIZE,
        4,
    ));
    let values = builder.ins().stack_addr(POINTER, slot, 0);
    for (i, &param) in params[2..].iter().enumerate() {
        store_raw(&mut builder, param, values, slot_offset(i));
    }

    let mut callback_sig = Signature::new(call_conv);
    callback_sig.params.extend([AbiParam::new(POINTER); 4]);
    callback_sig.returns.push(AbiParam::new(types::I32));
    let callback_sig = builder.import_signature(callback_sig);
    let callback = builder.ins().load(
        POINTER,
        readonly_flags(),
        host_ctx,
        host_ctx::CALLBACK as i32,
    );
    let capacity = builder.ins().iconst(POINTER, capacity as i64);
    let call = builder.ins().call_indirect(
        callback_sig,
        callback,
        &[host_ctx, caller_vmctx, values, capacity],
    );
    let status = builder.inst_results(call)[0];
    builder.ins().trapnz(status, trap_code(TrapKind::Pending));

    let results: Vec<Value> = ty
        .results
        .iter()
        .enumerate()
        .map(|(i, &result)| {
            builder
                .ins()
                .load(clif_type(result), runtime_flags(), values, slot_offset(i))
        })
        .collect();
    builder.ins().return_(&results);
    builder.finalize(frontend_config);
    func
}

/// Offset of slot `i` of a `ValRaw` buffer.
fn slot_offset(i: usize) -> i32 {
    i as i32 * VAL_RAW_SIZE as i32
}

/// Stores `value` into the 16-byte `ValRaw` slot at `base + offset`: a `v128` as its 16
/// bytes, anything else as its bits zero-extended to 64, then 8 zero bytes.
fn store_raw(builder: &mut FunctionBuilder<'_>, value: Value, base: Value, offset: i32) {
    let ty: Type = builder.func.dfg.value_type(value);
    if ty.is_vector() {
        builder.ins().store(runtime_flags(), value, base, offset);
        return;
    }
    let bits = match ty {
        types::I32 => builder.ins().uextend(types::I64, value),
        types::F32 => {
            let bits = builder
                .ins()
                .bitcast(types::I32, MemFlagsData::new(), value);
            builder.ins().uextend(types::I64, bits)
        }
        types::F64 => builder
            .ins()
            .bitcast(types::I64, MemFlagsData::new(), value),
        _ => value,
    };
    let zero = builder.ins().iconst(types::I64, 0);
    builder.ins().store(runtime_flags(), bits, base, offset);
    builder.ins().store(runtime_flags(), zero, base, offset + 8);
}
