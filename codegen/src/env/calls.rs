//! Calls: direct (relocated) and indirect calls of wasm functions, `call_indirect`
//! with its signature check, and calls of runtime builtins.

use super::{FuncEnvironment, POINTER, readonly_flags, runtime_flags, wasm_signature};
use crate::fixed::FUNCTION_NAMESPACE;
use crate::units::{CallTarget, CalleeVmctx};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, ExtFuncData, ExternalName, FuncRef, InstBuilder, MemFlagsData, SigRef, Signature,
    UserExternalName, Value, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::FunctionBuilder;
use stagec_environ::vmoffsets::{self, VMOffsets};
use stagec_environ::{AbiType, Builtin, TrapKind};

/// The Cranelift signature of a builtin: `(vmctx, params...) -> results`.
fn builtin_signature(call_conv: CallConv, builtin: Builtin) -> Signature {
    let abi = |t: &AbiType| {
        AbiParam::new(match t {
            AbiType::I32 => types::I32,
            AbiType::I64 | AbiType::Ptr => types::I64,
        })
    };
    let (params, results) = builtin.signature();
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(POINTER));
    sig.params.extend(params.iter().map(abi));
    sig.returns.extend(results.iter().map(abi));
    sig
}

/// Whether a builtin's `i32` result is a trap status (rather than a value).
fn returns_status(builtin: Builtin) -> bool {
    !matches!(builtin, Builtin::MemoryGrow | Builtin::TableGrow)
        && builtin.signature().1 == [AbiType::I32]
}

impl FuncEnvironment<'_> {
    /// The signature of module type `type_index`, imported into the function once.
    pub(crate) fn type_signature(
        &mut self,
        builder: &mut FunctionBuilder<'_>,
        type_index: u32,
    ) -> SigRef {
        if let Some(&sig) = self.type_sigs.get(&type_index) {
            return sig;
        }
        let ty = &self.module.types[type_index as usize];
        let sig = builder.import_signature(wasm_signature(self.call_conv, ty));
        self.type_sigs.insert(type_index, sig);
        sig
    }

    /// `call` of function `func_index`: a direct call (relocated) for a defined function
    /// or a preimported one (known code: with the callee vmctx of its import slot), an
    /// indirect call through an import slot (of the vmctx, or at a fixed address in a fixed
    /// unit) for a runtime import, or through the funcref of a defined function a context
    /// unit does not compile.
    pub(crate) fn call(
        &mut self,
        builder: &mut FunctionBuilder<'_>,
        func_index: u32,
        args: &[Value],
    ) -> Vec<Value> {
        let vmctx = self.vmctx();
        let mut call_args = Vec::with_capacity(args.len() + 2);
        let (slot_base, slot_offset) = match self.plan.funcs[func_index as usize] {
            CallTarget::Direct {
                index,
                vmctx: callee_vmctx,
            } => {
                let callee = self.direct_func_ref(builder, func_index, index);
                let callee_vmctx = match callee_vmctx {
                    CalleeVmctx::Own => vmctx,
                    CalleeVmctx::Fixed(addr) => self.fixed_address(builder, addr),
                    // Written once at instantiation: read-only, free to hoist.
                    CalleeVmctx::Import { func } => builder.ins().load(
                        POINTER,
                        readonly_flags(),
                        vmctx,
                        (self.offsets.func_import(func) + vmoffsets::func_import::VMCTX) as i32,
                    ),
                };
                call_args.extend([callee_vmctx, self.direct_call_caller()]);
                call_args.extend_from_slice(args);
                let inst = builder.ins().call(callee, &call_args);
                return builder.inst_results(inst).to_vec();
            }
            CallTarget::VmctxImport => (vmctx, self.offsets.func_import(func_index) as i32),
            CallTarget::OwnFuncref => {
                // The instance's funcrefs are written once, when it is created.
                let funcrefs = self.load_vmctx_field(builder, VMOffsets::funcrefs());
                let offset = func_index * vmoffsets::funcref::SIZE;
                let code = builder.ins().load(
                    POINTER,
                    readonly_flags(),
                    funcrefs,
                    (offset + vmoffsets::funcref::CODE) as i32,
                );
                let sig = self.type_signature(builder, self.module.functions[func_index as usize]);
                call_args.extend([vmctx, self.direct_call_caller()]);
                call_args.extend_from_slice(args);
                let inst = builder.ins().call_indirect(sig, code, &call_args);
                return builder.inst_results(inst).to_vec();
            }
            CallTarget::ImportAt { vmctx, offset } => {
                (self.fixed_address(builder, vmctx), offset as i32)
            }
        };
        let sig = self.type_signature(builder, self.module.functions[func_index as usize]);
        let code = builder.ins().load(
            POINTER,
            readonly_flags(),
            slot_base,
            slot_offset + vmoffsets::func_import::CODE as i32,
        );
        let callee_vmctx = builder.ins().load(
            POINTER,
            readonly_flags(),
            slot_base,
            slot_offset + vmoffsets::func_import::VMCTX as i32,
        );
        call_args.extend([callee_vmctx, vmctx]);
        call_args.extend_from_slice(args);
        let inst = builder.ins().call_indirect(sig, code, &call_args);
        builder.inst_results(inst).to_vec()
    }

    /// A colocated reference to artifact function `index`, which function `func_index`
    /// of this module stands for (and whose type it has).
    fn direct_func_ref(
        &mut self,
        builder: &mut FunctionBuilder<'_>,
        func_index: u32,
        index: u32,
    ) -> FuncRef {
        if let Some(&f) = self.direct_funcs.get(&index) {
            return f;
        }
        let sig = self.type_signature(builder, self.module.functions[func_index as usize]);
        let name = builder
            .func
            .declare_imported_user_function(UserExternalName::new(FUNCTION_NAMESPACE, index));
        let f = builder.import_function(ExtFuncData {
            name: ExternalName::user(name),
            signature: sig,
            colocated: true,
            patchable: false,
        });
        self.direct_funcs.insert(index, f);
        f
    }

    /// `call_indirect` of type `type_index` through element `index` of `table`: bounds
    /// check (undefined element), null check (uninitialized element), signature check
    /// against `vmctx->type_ids[type_index]` (indirect call type mismatch), then a call
    /// with the funcref's vmctx.
    pub(crate) fn call_indirect(
        &mut self,
        builder: &mut FunctionBuilder<'_>,
        type_index: u32,
        table: u32,
        index: Value,
        args: &[Value],
    ) -> Vec<Value> {
        let vmctx = self.vmctx();
        let addr = self.table_element_address(builder, table, index, TrapKind::UndefinedElement);
        let funcref = builder.ins().load(POINTER, runtime_flags(), addr, 0);
        self.trapz(builder, funcref, TrapKind::UninitializedElement);

        // The funcref's fields never change, but these loads must not be hoisted above
        // the null check: readonly without `can_move`.
        let fields = MemFlagsData::trusted().with_readonly();
        let actual = builder.ins().load(
            types::I32,
            fields,
            funcref,
            vmoffsets::funcref::TYPE_ID as i32,
        );
        let type_ids = self.load_vmctx_field(builder, VMOffsets::type_ids());
        let expected = builder.ins().load(
            types::I32,
            readonly_flags(),
            type_ids,
            (type_index * 4) as i32,
        );
        let mismatch = builder.ins().icmp(IntCC::NotEqual, actual, expected);
        self.trapnz(builder, mismatch, TrapKind::BadSignature);

        let code = builder
            .ins()
            .load(POINTER, fields, funcref, vmoffsets::funcref::CODE as i32);
        let callee_vmctx =
            builder
                .ins()
                .load(POINTER, fields, funcref, vmoffsets::funcref::VMCTX as i32);
        let sig = self.type_signature(builder, type_index);
        let mut call_args = Vec::with_capacity(args.len() + 2);
        call_args.extend([callee_vmctx, vmctx]);
        call_args.extend_from_slice(args);
        let inst = builder.ins().call_indirect(sig, code, &call_args);
        builder.inst_results(inst).to_vec()
    }

    /// Calls a runtime builtin through `vmctx->builtins`, zero-extending `i32` arguments
    /// of `I64` parameters. A status result is checked here (non-zero traps with
    /// [`TrapKind::Pending`]; the runtime has stored the real kind) and not returned; a
    /// value result (`memory.grow`, `table.grow`: an `i64`) is returned.
    pub(crate) fn call_builtin(
        &mut self,
        builder: &mut FunctionBuilder<'_>,
        builtin: Builtin,
        args: &[Value],
    ) -> Option<Value> {
        let vmctx = self.vmctx();
        let sig = match self.builtin_sigs[builtin as usize] {
            Some(sig) => sig,
            None => {
                let sig = builder.import_signature(builtin_signature(self.call_conv, builtin));
                self.builtin_sigs[builtin as usize] = Some(sig);
                sig
            }
        };
        let builtins = self.load_vmctx_field(builder, VMOffsets::builtins());
        let function =
            builder
                .ins()
                .load(POINTER, readonly_flags(), builtins, builtin.offset() as i32);
        let mut call_args = Vec::with_capacity(args.len() + 1);
        call_args.push(vmctx);
        // Addresses and sizes are `I64` parameters: those of 32-bit memories and tables
        // are zero-extended.
        let (params, _) = builtin.signature();
        for (&arg, param) in args.iter().zip(params) {
            let widen = *param == AbiType::I64 && builder.func.dfg.value_type(arg) == types::I32;
            call_args.push(if widen {
                builder.ins().uextend(types::I64, arg)
            } else {
                arg
            });
        }
        let inst = builder.ins().call_indirect(sig, function, &call_args);
        let result = builder.inst_results(inst).first().copied();
        if returns_status(builtin) {
            let status = result.expect("status builtins return an i32");
            self.trapnz(builder, status, TrapKind::Pending);
            None
        } else {
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_builtins() {
        for &b in Builtin::ALL {
            let expect = matches!(
                b,
                Builtin::MemoryFill
                    | Builtin::MemoryCopy
                    | Builtin::MemoryInit
                    | Builtin::TableFill
                    | Builtin::TableCopy
                    | Builtin::TableInit
            );
            assert_eq!(returns_status(b), expect, "{b:?}");
        }
    }
}
