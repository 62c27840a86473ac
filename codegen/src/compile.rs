//! From a Cranelift function to relocatable machine code, and from compiled functions to
//! an [`Artifact`].

use crate::CodegenError;
use crate::error::{CodegenErrorKind, OutputProblem};
use crate::fixed::{FIXED_NAMESPACE, FUNCTION_NAMESPACE};
use crate::traps::trap_kind;
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{self, ExternalName};
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::{CompileError, Context, FinalizedRelocTarget, print_errors};
use stagec_environ::artifact::{
    Artifact, CodeRange, LibCall, RelocKind, RelocTarget, Relocation, TrapSite,
};

/// Machine code of one function, with relocations and trap sites relative to its start.
pub(crate) struct CompiledFunction {
    pub(crate) code: Vec<u8>,
    pub(crate) relocations: Vec<Relocation>,
    pub(crate) traps: Vec<TrapSite>,
}

/// Compiles `func` with `isa`. Trap sites without a source location (the prologue's stack
/// check, trampolines) get `default_wasm_offset`.
pub(crate) fn compile_function(
    isa: &dyn TargetIsa,
    ctx: &mut Context,
    func: ir::Function,
    default_wasm_offset: u32,
) -> Result<CompiledFunction, CodegenError> {
    ctx.clear();
    ctx.func = func;
    compile_context(isa, ctx)?;
    compiled_function(ctx, default_wasm_offset)
}

/// Optimizes and compiles the function already in `ctx` (which then holds the optimized
/// CLIF and the compiled code).
pub(crate) fn compile_context(isa: &dyn TargetIsa, ctx: &mut Context) -> Result<(), CodegenError> {
    if let Err(CompileError { inner, func }) = ctx.compile(isa, &mut ControlPlane::default()) {
        let kind = match inner {
            cranelift_codegen::CodegenError::Verifier(errors) => CodegenErrorKind::Verifier {
                report: print_errors::pretty_verifier_error(func, None, errors.clone()),
                source: cranelift_codegen::CodegenError::Verifier(errors),
            },
            other => CodegenErrorKind::Cranelift(other),
        };
        return Err(CodegenError::new(kind));
    }
    Ok(())
}

/// The machine code, relocations and trap sites of the function compiled in `ctx`.
pub(crate) fn compiled_function(
    ctx: &Context,
    default_wasm_offset: u32,
) -> Result<CompiledFunction, CodegenError> {
    let compiled = ctx
        .compiled_code()
        .ok_or_else(|| CodegenError::new(OutputProblem::NotCompiled))?;
    let buffer = &compiled.buffer;

    let mut relocations = Vec::with_capacity(buffer.relocs().len());
    for reloc in buffer.relocs() {
        let kind = match reloc.kind {
            Reloc::X86CallPCRel4 | Reloc::X86PCRel4 | Reloc::X86CallPLTRel4 => RelocKind::X86PcRel4,
            Reloc::Abs8 => RelocKind::Abs8,
            Reloc::Arm64Call => RelocKind::Arm64Call,
            other => return Err(CodegenError::new(OutputProblem::RelocKind(other))),
        };
        let target = match &reloc.target {
            FinalizedRelocTarget::ExternalName(ExternalName::User(name)) => {
                let name = &ctx.func.params.user_named_funcs()[*name];
                match name.namespace {
                    FUNCTION_NAMESPACE => RelocTarget::DefinedFunc(name.index),
                    FIXED_NAMESPACE => RelocTarget::Fixed(name.index),
                    namespace => {
                        return Err(CodegenError::new(OutputProblem::RelocName {
                            namespace,
                            index: name.index,
                        }));
                    }
                }
            }
            FinalizedRelocTarget::ExternalName(ExternalName::LibCall(libcall)) => {
                RelocTarget::LibCall(convert_libcall(*libcall)?)
            }
            other => {
                return Err(CodegenError::new(OutputProblem::RelocTarget(other.clone())));
            }
        };
        relocations.push(Relocation {
            offset: reloc.offset,
            kind,
            target,
            addend: reloc.addend,
        });
    }

    let srclocs = buffer.get_srclocs_sorted();
    let mut traps = Vec::with_capacity(buffer.traps().len());
    for trap in buffer.traps() {
        let kind = trap_kind(trap.code)
            .ok_or_else(|| CodegenError::new(OutputProblem::TrapCode(trap.code)))?;
        // The srcloc ranges are sorted and disjoint: find the one containing the trap.
        let i = srclocs.partition_point(|s| s.start <= trap.offset);
        let wasm_offset = i
            .checked_sub(1)
            .map(|i| &srclocs[i])
            .filter(|s| trap.offset < s.end && !s.loc.is_default())
            .map_or(default_wasm_offset, |s| s.loc.bits());
        traps.push(TrapSite {
            code_offset: trap.offset,
            kind,
            wasm_offset,
        });
    }

    Ok(CompiledFunction {
        code: buffer.data().to_vec(),
        relocations,
        traps,
    })
}

fn convert_libcall(libcall: ir::LibCall) -> Result<LibCall, CodegenError> {
    Ok(match libcall {
        ir::LibCall::CeilF32 => LibCall::CeilF32,
        ir::LibCall::CeilF64 => LibCall::CeilF64,
        ir::LibCall::FloorF32 => LibCall::FloorF32,
        ir::LibCall::FloorF64 => LibCall::FloorF64,
        ir::LibCall::TruncF32 => LibCall::TruncF32,
        ir::LibCall::TruncF64 => LibCall::TruncF64,
        ir::LibCall::NearestF32 => LibCall::NearestF32,
        ir::LibCall::NearestF64 => LibCall::NearestF64,
        ir::LibCall::FmaF32 => LibCall::FmaF32,
        ir::LibCall::FmaF64 => LibCall::FmaF64,
        other => return Err(CodegenError::new(OutputProblem::LibCall(other))),
    })
}

/// Concatenates compiled functions into an [`Artifact`], each aligned to `alignment`.
pub(crate) struct ArtifactBuilder {
    artifact: Artifact,
    /// The code so far (moved into the artifact by `finish`).
    code: Vec<u8>,
    alignment: usize,
}

impl ArtifactBuilder {
    /// An empty artifact whose functions start at multiples of `alignment` bytes.
    pub(crate) fn new(alignment: u32) -> Self {
        ArtifactBuilder {
            artifact: Artifact::default(),
            code: Vec::new(),
            alignment: alignment.max(1) as usize,
        }
    }

    /// Appends `function`, making its offsets absolute; returns where it lives.
    pub(crate) fn push(&mut self, function: CompiledFunction) -> Result<CodeRange, CodegenError> {
        let code = &mut self.code;
        let start = code.len().next_multiple_of(self.alignment);
        code.resize(start, 0);
        code.extend_from_slice(&function.code);
        let offset = u32::try_from(start)
            .ok()
            .filter(|_| code.len() <= u32::MAX as usize)
            .ok_or_else(|| CodegenError::new(OutputProblem::CodeTooLarge))?;
        self.artifact
            .relocations
            .extend(function.relocations.into_iter().map(|r| Relocation {
                offset: offset + r.offset,
                ..r
            }));
        self.artifact
            .traps
            .extend(function.traps.into_iter().map(|t| TrapSite {
                code_offset: offset + t.code_offset,
                ..t
            }));
        Ok(CodeRange {
            offset,
            len: function.code.len() as u32,
        })
    }

    /// Appends a defined function (in defined-function order).
    pub(crate) fn push_function(&mut self, function: CompiledFunction) -> Result<(), CodegenError> {
        let range = self.push(function)?;
        self.artifact.functions.push(range);
        Ok(())
    }

    /// Appends an entry trampoline (in type-index order).
    pub(crate) fn push_trampoline(
        &mut self,
        function: CompiledFunction,
    ) -> Result<(), CodegenError> {
        let range = self.push(function)?;
        self.artifact.entry_trampolines.push(range);
        Ok(())
    }

    /// The finished artifact, trap sites sorted by code offset; `unit_starts` as in
    /// [`Artifact::unit_starts`].
    pub(crate) fn finish(mut self, unit_starts: Vec<u32>) -> Artifact {
        self.artifact.traps.sort_by_key(|t| t.code_offset);
        self.artifact.unit_starts = unit_starts;
        self.artifact.code = self.code.into();
        self.artifact
    }
}
