//! What [`Explanation`](crate::Explanation) counts in a function's final CLIF besides its
//! instructions: loads from the vmctx and calls by kind. These are the figures that show
//! whether specialization fired (a bound global is no vmctx load, a bound function no
//! indirect call), and that the explain-counts guard of the test suite pins per hot
//! function.

use cranelift_codegen::ir::{
    self, ArgumentPurpose, ExternalName, Function, InstructionData, Value, ValueDef,
};
use stagec_environ::vmoffsets::VMOffsets;

/// The calls of a function, by how the callee is reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Direct calls (and tail calls) of functions of the artifact: relocated `call`s.
    pub direct: usize,
    /// Indirect calls of wasm or host functions: `call_indirect` of a table element, or of
    /// an imported function through its vmctx slot.
    pub indirect: usize,
    /// Calls of runtime builtins (through `vmctx->builtins`) and of libcalls (`floor`,
    /// `fma`, ... when the target has no instruction for them).
    pub builtin: usize,
}

/// Loads in `func` whose address is its vmctx parameter plus an offset: reads of vmctx
/// fields (imported globals or their addresses, memory base and bound, table bases,
/// import slots, the builtins array). 0 for a function without a vmctx parameter.
pub(crate) fn vmctx_loads(func: &Function) -> usize {
    let Some(vmctx) = func.special_param(ArgumentPurpose::VMContext) else {
        return 0;
    };
    insts(func)
        .filter(|&inst| load_from(func, inst).is_some_and(|(base, _)| base == vmctx))
        .count()
}

/// The calls in `func`, by kind.
pub(crate) fn calls(func: &Function) -> CallCounts {
    let vmctx = func.special_param(ArgumentPurpose::VMContext);
    let mut counts = CallCounts::default();
    for inst in insts(func) {
        let data = &func.dfg.insts[inst];
        match data.analyze_call(&func.dfg.value_lists, &func.dfg.exception_tables) {
            ir::instructions::CallInfo::NotACall => {}
            ir::instructions::CallInfo::Direct(callee, _)
            | ir::instructions::CallInfo::DirectWithSig(callee, _, _) => {
                match func.dfg.ext_funcs[callee].name {
                    ExternalName::LibCall(_) => counts.builtin += 1,
                    _ => counts.direct += 1,
                }
            }
            ir::instructions::CallInfo::Indirect(..) => {
                let callee = func.dfg.inst_args(inst)[0];
                if vmctx.is_some_and(|vmctx| is_builtin_address(func, callee, vmctx)) {
                    counts.builtin += 1;
                } else {
                    counts.indirect += 1;
                }
            }
        }
    }
    counts
}

fn insts(func: &Function) -> impl Iterator<Item = ir::Inst> + '_ {
    func.layout
        .blocks()
        .flat_map(move |block| func.layout.block_insts(block))
}

/// The address operand and offset of `inst` if it is a load with an offset (`load`,
/// `uload8`, `sload16`, ...).
fn load_from(func: &Function, inst: ir::Inst) -> Option<(Value, i32)> {
    match func.dfg.insts[inst] {
        InstructionData::Load { arg, offset, .. } => {
            Some((func.dfg.resolve_aliases(arg), offset.into()))
        }
        _ => None,
    }
}

/// Whether `callee` is loaded from the builtins array that `vmctx->builtins` points to
/// (how `FuncEnvironment::call_builtin` reaches a builtin).
fn is_builtin_address(func: &Function, callee: Value, vmctx: Value) -> bool {
    let defining_load = |v: Value| match func.dfg.value_def(func.dfg.resolve_aliases(v)) {
        ValueDef::Result(inst, 0) => load_from(func, inst),
        _ => None,
    };
    let Some((array, _)) = defining_load(callee) else {
        return false;
    };
    defining_load(array).is_some_and(|(base, offset)| {
        base == vmctx && i64::from(offset) == i64::from(VMOffsets::builtins())
    })
}
