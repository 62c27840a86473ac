//! The function environment: the one place that answers every runtime question the
//! translator has — where a global lives, how a linear memory or a table is reached, how a
//! call is made, how a builtin is invoked, which trap code a failure gets.
//!
//! Every vmctx offset comes from [`VMOffsets`] and the `vmoffsets` modules of
//! `stagec_environ`; nothing here hard-codes a layout. Calls (direct, indirect, builtins)
//! are in [`calls`]. Specialization lives here too, as answers that differ
//! from the generic ones, driven by the unit's [`UnitPlan`]:
//! - a preimported constant global is an `iconst`/`f32const`/`f64const`;
//! - globals, memories and tables at fixed addresses (bound imports, and everything of a
//!   fixed unit) are reached from an `iconst` address, with no vmctx load;
//! - a preimported function is a direct, relocated call with a constant callee vmctx;
//! - constant (or provably non-wrapping `x + C`) memory addresses become displacements.
//!
//! Limits (opt-in, [`CompileOptions`]): the interrupt-flag and fuel checks at function
//! entries and loop headers ([`FuncEnvironment::limits_check`]) and fuel consumption
//! ([`FuncEnvironment::consume_fuel`]) read the store context of the store the code runs
//! for — a fixed unit's through its *caller's* vmctx (see [`FuncEnvironment::begin_function`]).

mod calls;
mod memory;

use crate::fixed::FIXED_NAMESPACE;
use crate::traps::trap_code;
use crate::units::{CompileOptions, ConstValue, GlobalPlace, TablePlace, UnitPlan};
use crate::{CodegenError, CodegenErrorKind};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64, Offset32};
use cranelift_codegen::ir::{
    self, AbiParam, ArgumentPurpose, Endianness, ExtFuncData, ExternalName, FuncRef,
    GlobalValueData, InstBuilder, MemFlagsData, SigRef, Signature, Type, UserExternalName, Value,
    types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::FunctionBuilder;
use stagec_environ::vmoffsets::{self, VMOffsets};
use stagec_environ::{Builtin, TrapKind};
use stagec_frontend::{FuncType, IndexType, ModuleInfo, ValType};
use std::collections::HashMap;

/// The host pointer type (vmctx, memory bases, reference words).
pub(crate) const POINTER: Type = types::I64;

/// The canonical Cranelift type of a `v128` value, as in wasmtime: operators bitcast it to
/// the lane shape they work on.
pub(crate) const V128: Type = types::I8X16;

/// A vector constant of type `ty` with the 16 bytes of `bits` (little-endian): a `vconst`,
/// which the backend takes from the constant pool.
pub(crate) fn vector_const(builder: &mut FunctionBuilder<'_>, ty: Type, bits: u128) -> Value {
    let handle = builder
        .func
        .dfg
        .constants
        .insert(bits.to_le_bytes().to_vec().into());
    builder.ins().vconst(ty, handle)
}

/// The Cranelift type of a wasm value: references are pointer-sized words (0 = null), a
/// `v128` is an [`V128`] wherever it crosses an operator boundary (locals, globals, block
/// parameters, signatures; see `translate::simd`).
pub(crate) fn clif_type(ty: ValType) -> Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => V128,
        ValType::FuncRef | ValType::ExternRef => POINTER,
    }
}

/// The Cranelift signature of a wasm function of type `ty`:
/// `(callee vmctx, caller vmctx, params...) -> results`.
pub(crate) fn wasm_signature(call_conv: CallConv, ty: &FuncType) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params
        .push(AbiParam::special(POINTER, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(POINTER));
    sig.params
        .extend(ty.params.iter().map(|&t| AbiParam::new(clif_type(t))));
    sig.returns
        .extend(ty.results.iter().map(|&t| AbiParam::new(clif_type(t))));
    sig
}

/// Flags of a load from runtime data that never changes while the instance lives
/// (vmctx fields, memory bases, table definition pointers, immutable globals).
pub(crate) fn readonly_flags() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// Flags of an access to valid, aligned runtime data that may change (mutable globals,
/// table elements and lengths, memory lengths).
pub(crate) fn runtime_flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Flags of a linear-memory access: little-endian, unaligned, and faulting with
/// `HEAP_OUT_OF_BOUNDS` (the fault is turned into a trap by the runtime's signal handler).
pub(crate) fn heap_flags() -> MemFlagsData {
    MemFlagsData::new()
        .with_endianness(Endianness::Little)
        .with_trap_code(Some(trap_code(TrapKind::MemoryOutOfBounds)))
}

/// Integer division and remainder operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DivRem {
    /// `div_s`
    SDiv,
    /// `div_u`
    UDiv,
    /// `rem_s`
    SRem,
    /// `rem_u`
    URem,
}

/// Answers the translator's runtime questions for one function of one unit.
pub(crate) struct FuncEnvironment<'m> {
    plan: &'m UnitPlan<'m>,
    module: &'m ModuleInfo,
    offsets: VMOffsets,
    call_conv: CallConv,
    /// The function's own vmctx, set by [`Self::begin_function`]: the first parameter, or
    /// a constant in a fixed unit.
    vmctx: Option<Value>,
    /// The caller's vmctx (the second parameter), set by [`Self::begin_function`].
    caller_vmctx: Option<Value>,
    /// Check the store's interrupt flag at function entries and loop headers.
    interruptible: bool,
    /// Count and check fuel.
    consume_fuel: bool,
    /// The `VMStoreContext` the limits read, loaded in the entry block when any limit is
    /// on.
    limits_ctx: Option<Value>,
    type_sigs: HashMap<u32, SigRef>,
    /// Directly called functions, by artifact function index.
    direct_funcs: HashMap<u32, FuncRef>,
    /// Fixed-address slots referenced so far, by slot.
    fixed_refs: std::cell::RefCell<HashMap<u32, FuncRef>>,
    builtin_sigs: [Option<SigRef>; Builtin::ALL.len()],
}

impl<'m> FuncEnvironment<'m> {
    /// An environment for translating one function of the unit planned by `plan`.
    pub(crate) fn new(plan: &'m UnitPlan<'m>, call_conv: CallConv, opts: &CompileOptions) -> Self {
        let module = plan.info();
        FuncEnvironment {
            plan,
            module,
            offsets: VMOffsets::new(module),
            call_conv,
            vmctx: None,
            caller_vmctx: None,
            interruptible: opts.interruptible,
            consume_fuel: opts.consume_fuel,
            limits_ctx: None,
            type_sigs: HashMap::new(),
            direct_funcs: HashMap::new(),
            fixed_refs: Default::default(),
            builtin_sigs: [None; Builtin::ALL.len()],
        }
    }

    /// The module being compiled.
    pub(crate) fn module(&self) -> &'m ModuleInfo {
        self.module
    }

    /// Called once per function, in its entry block, with its two vmctx parameters:
    /// remembers them and installs the stack-limit check
    /// (`vmctx->store_ctx->stack_limit`), which Cranelift emits in the prologue with
    /// `TrapCode::STACK_OVERFLOW`.
    ///
    /// A fixed unit's vmctx is a constant, and its functions get no stack-limit check: they
    /// run on behalf of whichever instance calls them, whose store context is not theirs
    /// (the fixed instance's store is a private compile-time one), so the runtime relies
    /// on the guard page for them. Their frames also never load through the vmctx
    /// parameter, which keeps them correct when inlined into another unit's function.
    ///
    /// For the same reason, when limits are on, a fixed unit's functions read interruption
    /// and fuel through their *caller's* vmctx, and pass that caller on in their own direct
    /// calls ([`Self::call`]): called (or inlined) from unit 0 they stop with the store
    /// that runs them. Reached any other way (from the host through the private store, or
    /// through a table from another fixed unit) they read the private store's context,
    /// which is never interrupted and has unlimited fuel.
    pub(crate) fn begin_function(
        &mut self,
        builder: &mut FunctionBuilder<'_>,
        vmctx: Value,
        caller_vmctx: Value,
    ) {
        self.type_sigs.clear();
        self.direct_funcs.clear();
        self.fixed_refs.get_mut().clear();
        self.builtin_sigs = [None; Builtin::ALL.len()];
        self.caller_vmctx = Some(caller_vmctx);
        self.limits_ctx = None;
        if self.interruptible || self.consume_fuel {
            let base = match self.plan.fixed_vmctx {
                Some(_) => caller_vmctx,
                None => vmctx,
            };
            let offset = VMOffsets::store_ctx() as i32;
            let ctx = builder.ins().load(POINTER, readonly_flags(), base, offset);
            self.limits_ctx = Some(ctx);
        }
        if let Some(fixed) = self.plan.fixed_vmctx {
            self.vmctx = Some(self.fixed_address(builder, fixed));
            return;
        }
        self.vmctx = Some(vmctx);

        let flags = builder.func.dfg.mem_flags.insert_unchecked(runtime_flags());
        let vmctx_gv = builder.create_global_value(GlobalValueData::VMContext);
        let store_ctx = builder.create_global_value(GlobalValueData::Load {
            base: vmctx_gv,
            offset: Offset32::new(VMOffsets::store_ctx() as i32),
            global_type: POINTER,
            flags,
        });
        let stack_limit = builder.create_global_value(GlobalValueData::Load {
            base: store_ctx,
            offset: Offset32::new(vmoffsets::store_ctx::STACK_LIMIT as i32),
            global_type: POINTER,
            flags,
        });
        builder.func.stack_limit = Some(stack_limit);
    }

    fn vmctx(&self) -> Value {
        self.vmctx.expect("begin_function sets the vmctx")
    }

    /// The caller vmctx passed on a direct call: the function's own vmctx, except in a
    /// fixed unit with limits on, which passes its own caller on (see
    /// [`Self::begin_function`]). Direct calls only reach wasm functions, which use the
    /// caller vmctx for nothing else; host functions (which see it as their `Caller`) are
    /// reached through import slots or tables, with the function's own vmctx.
    fn direct_call_caller(&self) -> Value {
        match (self.plan.fixed_vmctx, self.limits_ctx, self.caller_vmctx) {
            (Some(_), Some(_), Some(caller)) => caller,
            _ => self.vmctx(),
        }
    }

    // ---- limits ------------------------------------------------------------------------

    /// Whether the function counts fuel (the translator then calls [`Self::consume_fuel`]).
    pub(crate) fn consumes_fuel(&self) -> bool {
        self.consume_fuel
    }

    /// The check at every function entry and loop header, when limits are on: trap with
    /// "interrupt" if the store's interrupt flag is set, with "all fuel consumed" if its
    /// fuel is negative. Nothing when both are off.
    ///
    /// The flag is read with an atomic load: it is written by other threads, and a plain
    /// load in a loop without stores would be merged with the one before the loop by
    /// Cranelift's redundant-load elimination. On x86-64 the atomic load is a plain `mov`.
    pub(crate) fn limits_check(&self, builder: &mut FunctionBuilder<'_>) {
        let Some(ctx) = self.limits_ctx else {
            return;
        };
        if self.interruptible {
            let addr = builder
                .ins()
                .iadd_imm_s(ctx, i64::from(vmoffsets::store_ctx::INTERRUPT));
            let flag = builder
                .ins()
                .atomic_load(types::I32, MemFlagsData::trusted(), addr);
            self.trapnz(builder, flag, TrapKind::Interrupted);
        }
        if self.consume_fuel {
            let fuel = builder.ins().load(
                types::I64,
                runtime_flags(),
                ctx,
                vmoffsets::store_ctx::FUEL as i32,
            );
            let exhausted = builder.ins().icmp_imm_s(IntCC::SignedLessThan, fuel, 0);
            self.trapnz(builder, exhausted, TrapKind::OutOfFuel);
        }
    }

    /// Subtracts `amount` from the store's fuel (a no-op unless fuel is on).
    pub(crate) fn consume_fuel(&self, builder: &mut FunctionBuilder<'_>, amount: u64) {
        let (true, Some(ctx)) = (self.consume_fuel, self.limits_ctx) else {
            return;
        };
        let offset = vmoffsets::store_ctx::FUEL as i32;
        let fuel = builder.ins().load(types::I64, runtime_flags(), ctx, offset);
        let amount = i64::try_from(amount).unwrap_or(i64::MAX);
        let left = builder.ins().iadd_imm_s(fuel, amount.wrapping_neg());
        builder.ins().store(runtime_flags(), left, ctx, offset);
    }

    /// Loads a pointer field of the vmctx that never changes.
    fn load_vmctx_field(&self, builder: &mut FunctionBuilder<'_>, offset: u32) -> Value {
        let vmctx = self.vmctx();
        builder
            .ins()
            .load(POINTER, readonly_flags(), vmctx, offset as i32)
    }

    // ---- traps -------------------------------------------------------------------------

    /// Unconditional trap.
    pub(crate) fn trap(&self, builder: &mut FunctionBuilder<'_>, kind: TrapKind) {
        builder.ins().trap(trap_code(kind));
    }

    /// Traps with `kind` when `cond` is zero.
    pub(crate) fn trapz(&self, builder: &mut FunctionBuilder<'_>, cond: Value, kind: TrapKind) {
        builder.ins().trapz(cond, trap_code(kind));
    }

    /// Traps with `kind` when `cond` is non-zero.
    pub(crate) fn trapnz(&self, builder: &mut FunctionBuilder<'_>, cond: Value, kind: TrapKind) {
        builder.ins().trapnz(cond, trap_code(kind));
    }

    /// Integer division or remainder with wasm semantics: explicit checks trap on a zero
    /// divisor and on signed overflow (`INT_MIN / -1`); `INT_MIN rem_s -1` is 0.
    pub(crate) fn div_rem(
        &self,
        builder: &mut FunctionBuilder<'_>,
        op: DivRem,
        x: Value,
        y: Value,
    ) -> Value {
        let ty = builder.func.dfg.value_type(x);
        self.trapz(builder, y, TrapKind::IntegerDivisionByZero);
        match op {
            DivRem::SDiv => {
                let min = if ty == types::I32 {
                    i64::from(i32::MIN)
                } else {
                    i64::MIN
                };
                let x_is_min = builder.ins().icmp_imm_s(IntCC::Equal, x, min);
                let y_is_minus_one = builder.ins().icmp_imm_s(IntCC::Equal, y, -1);
                let overflow = builder.ins().band(x_is_min, y_is_minus_one);
                self.trapnz(builder, overflow, TrapKind::IntegerOverflow);
                builder.ins().sdiv(x, y)
            }
            DivRem::UDiv => builder.ins().udiv(x, y),
            DivRem::SRem => {
                // x rem -1 == 0 == x rem 1, and the latter cannot overflow.
                let y_is_minus_one = builder.ins().icmp_imm_s(IntCC::Equal, y, -1);
                let one = builder.ins().iconst(ty, 1);
                let divisor = builder.ins().select(y_is_minus_one, one, y);
                builder.ins().srem(x, divisor)
            }
            DivRem::URem => builder.ins().urem(x, y),
        }
    }

    // ---- globals -----------------------------------------------------------------------

    /// Where global `index` is stored: a base pointer and an offset (`None` for a
    /// constant).
    fn global_location(
        &self,
        builder: &mut FunctionBuilder<'_>,
        index: u32,
    ) -> Option<(Value, i32)> {
        Some(match self.plan.globals[index as usize] {
            GlobalPlace::VmctxDefined => {
                let defined = self.module.defined_global_index(index)?;
                (self.vmctx(), self.offsets.defined_global(defined) as i32)
            }
            GlobalPlace::VmctxImport => {
                let ptr = self.load_vmctx_field(builder, self.offsets.imported_global(index));
                (ptr, 0)
            }
            GlobalPlace::At(addr) => (self.fixed_address(builder, addr), 0),
            GlobalPlace::Constant(_) => return None,
        })
    }

    /// `global.get`
    pub(crate) fn global_get(&self, builder: &mut FunctionBuilder<'_>, index: u32) -> Value {
        if let GlobalPlace::Constant(c) = self.plan.globals[index as usize] {
            let ins = builder.ins();
            return match c {
                ConstValue::I32(v) => ins.iconst(types::I32, i64::from(v as u32)),
                ConstValue::I64(v) => ins.iconst(types::I64, v),
                ConstValue::F32(bits) => ins.f32const(Ieee32::with_bits(bits)),
                ConstValue::F64(bits) => ins.f64const(Ieee64::with_bits(bits)),
                ConstValue::V128(bits) => vector_const(builder, V128, bits),
            };
        }
        let global = self.module.globals[index as usize];
        let flags = if global.mutable {
            runtime_flags()
        } else {
            readonly_flags()
        };
        let (base, offset) = self
            .global_location(builder, index)
            .expect("only constants have no location");
        builder
            .ins()
            .load(clif_type(global.ty), flags, base, offset)
    }

    /// `global.set` (never of a constant: those are immutable, which validation checks
    /// before the operator gets here).
    pub(crate) fn global_set(
        &self,
        builder: &mut FunctionBuilder<'_>,
        index: u32,
        value: Value,
    ) -> Result<(), CodegenError> {
        let (base, offset) = self
            .global_location(builder, index)
            .ok_or_else(|| CodegenError::new(CodegenErrorKind::SetConstantGlobal { index }))?;
        builder.ins().store(runtime_flags(), value, base, offset);
        Ok(())
    }

    // ---- tables ------------------------------------------------------------------------

    fn table_def(&self, builder: &mut FunctionBuilder<'_>, table: u32) -> Value {
        match self.plan.tables[table as usize] {
            TablePlace::At { def } => self.fixed_address(builder, def),
            TablePlace::Vmctx => self.load_vmctx_field(builder, self.offsets.table_def(table)),
        }
    }

    /// The index type of table `table`.
    pub(crate) fn table_index_type(&self, table: u32) -> IndexType {
        self.module.tables[table as usize].index
    }

    /// The current number of elements of `table` (an `i32`).
    fn table_length(&self, builder: &mut FunctionBuilder<'_>, def: Value) -> Value {
        builder.ins().load(
            types::I32,
            runtime_flags(),
            def,
            vmoffsets::table_def::CURRENT_ELEMENTS as i32,
        )
    }

    /// `table.size`, of the table's index type.
    pub(crate) fn table_size(&self, builder: &mut FunctionBuilder<'_>, table: u32) -> Value {
        let def = self.table_def(builder, table);
        let size = self.table_length(builder, def);
        match self.table_index_type(table) {
            IndexType::I32 => size,
            IndexType::I64 => builder.ins().uextend(types::I64, size),
        }
    }

    /// The address of element `index` (of the table's index type) of `table`, trapping
    /// with `out_of_bounds` when `index >= table.size`.
    pub(crate) fn table_element_address(
        &self,
        builder: &mut FunctionBuilder<'_>,
        table: u32,
        index: Value,
        out_of_bounds: TrapKind,
    ) -> Value {
        let def = self.table_def(builder, table);
        let mut len = self.table_length(builder, def);
        if self.table_index_type(table) == IndexType::I64 {
            len = builder.ins().uextend(types::I64, len);
        }
        let oob = builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        self.trapnz(builder, oob, out_of_bounds);
        let base = builder.ins().load(
            POINTER,
            runtime_flags(),
            def,
            vmoffsets::table_def::BASE as i32,
        );
        let index = match self.table_index_type(table) {
            IndexType::I32 => builder.ins().uextend(POINTER, index),
            IndexType::I64 => index,
        };
        let shift = vmoffsets::table_def::ELEMENT_SIZE.trailing_zeros();
        debug_assert_eq!(1 << shift, vmoffsets::table_def::ELEMENT_SIZE);
        let offset = builder.ins().ishl_imm_u(index, i64::from(shift));
        builder.ins().iadd(base, offset)
    }

    /// `ref.func`: the address of the function's `VMFuncRef` in the instance.
    pub(crate) fn ref_func(&self, builder: &mut FunctionBuilder<'_>, func_index: u32) -> Value {
        let funcrefs = self.load_vmctx_field(builder, VMOffsets::funcrefs());
        let offset = i64::from(func_index) * i64::from(vmoffsets::funcref::SIZE);
        builder.ins().iadd_imm_s(funcrefs, offset)
    }

    /// A fixed address of the compilation (provider state), as a relocated constant: a
    /// `func_addr` of the address's slot in [`FIXED_NAMESPACE`], which Cranelift's
    /// inliner carries into callers like any function reference (a `symbol_value` would
    /// not be renamed when inlined).
    fn fixed_address(&self, builder: &mut FunctionBuilder<'_>, address: usize) -> Value {
        let slot = self.plan.fixed_slots.slot(address);
        let cached = self.fixed_refs.borrow().get(&slot).copied();
        let func_ref = match cached {
            Some(f) => f,
            None => {
                let name = builder
                    .func
                    .declare_imported_user_function(UserExternalName::new(FIXED_NAMESPACE, slot));
                let signature = builder.import_signature(Signature::new(self.call_conv));
                let f = builder.import_function(ExtFuncData {
                    name: ExternalName::user(name),
                    signature,
                    colocated: false,
                    patchable: false,
                });
                self.fixed_refs.borrow_mut().insert(slot, f);
                f
            }
        };
        builder.ins().func_addr(POINTER, func_ref)
    }
}

/// The Cranelift types of a list of wasm value types.
pub(crate) fn clif_types(types: &[ValType]) -> Vec<ir::Type> {
    types.iter().map(|&t| clif_type(t)).collect()
}
