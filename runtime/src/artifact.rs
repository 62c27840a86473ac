//! The relocatable output of codegen and the input of the runtime's code loader.

use crate::TrapKind;

/// A range of the artifact's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CodeRange {
    /// Start offset in [`Artifact::code`].
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
}

/// What a relocation points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelocTarget {
    /// Function `index` of [`Artifact::functions`] (for a single-unit artifact, the
    /// defined-function index space of the module).
    DefinedFunc(u32),
    /// A Cranelift library routine (float rounding on hosts without native support).
    LibCall(LibCall),
}

/// Library routines that Cranelift may call on some hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LibCall {
    /// `ceilf`
    CeilF32,
    /// `ceil`
    CeilF64,
    /// `floorf`
    FloorF32,
    /// `floor`
    FloorF64,
    /// `truncf`
    TruncF32,
    /// `trunc`
    TruncF64,
    /// `nearbyintf`
    NearestF32,
    /// `nearbyint`
    NearestF64,
    /// `fmaf`
    FmaF32,
    /// `fma`
    FmaF64,
}

/// How a relocation is patched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelocKind {
    /// x86-64 32-bit PC-relative (call or lea): `target + addend - site`.
    X86PcRel4,
    /// 64-bit absolute address: `target + addend`.
    Abs8,
    /// AArch64 26-bit branch (`bl`).
    Arm64Call,
}

/// One relocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relocation {
    /// Offset in [`Artifact::code`] of the bytes to patch.
    pub offset: u32,
    /// Patch kind.
    pub kind: RelocKind,
    /// Target.
    pub target: RelocTarget,
    /// Addend.
    pub addend: i64,
}

/// A trapping instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrapSite {
    /// Offset in [`Artifact::code`] of the faulting instruction.
    pub code_offset: u32,
    /// What the trap means.
    pub kind: TrapKind,
    /// Byte offset in the wasm module of the operator that trapped.
    pub wasm_offset: u32,
}

/// Compiled code for one module, before it is loaded.
#[derive(Clone, Debug, Default)]
pub struct Artifact {
    /// All machine code, functions one after another.
    pub code: Vec<u8>,
    /// Code of each defined function (wasm calling convention), by defined-function index.
    ///
    /// An artifact compiled from several units (a module specialized on preimported
    /// functions, and the providers of those) holds the defined functions of unit 0, then
    /// those of unit 1, ...: see [`Self::unit_starts`]. Relocations
    /// ([`RelocTarget::DefinedFunc`]) index this whole list.
    pub functions: Vec<CodeRange>,
    /// Index in [`Self::functions`] of the first defined function of each compilation
    /// unit (`unit_starts[0] == 0`). Instances of the artifact use unit 0's functions only,
    /// `functions[..unit_starts[1]]` (all of them when there is one unit); the other units'
    /// functions are reached by direct calls. Empty is read as one unit.
    pub unit_starts: Vec<u32>,
    /// Host-to-wasm entry trampoline of each module type index (see
    /// [`crate::vm::EntryTrampoline`]).
    pub entry_trampolines: Vec<CodeRange>,
    /// Relocations to apply when loading.
    pub relocations: Vec<Relocation>,
    /// Trap sites, sorted by `code_offset`.
    pub traps: Vec<TrapSite>,
}
