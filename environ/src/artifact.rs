//! The relocatable output of codegen and the input of the runtime's code loader.

use crate::TrapKind;
use crate::codec::{DecodeError, DecodeErrorKind, Reader, Writer};
use std::fmt;

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
    /// Fixed address `index` of [`Artifact::fixed`]: state that a specialized compilation
    /// bakes into code (a provider's vmctx, memory, table or global). Kept symbolic so
    /// that a serialized artifact can be loaded against a re-created state.
    Fixed(u32),
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

/// A call instruction: where its callee returns to, and the wasm operator it belongs to.
/// A backtrace maps each return address on the stack to its operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallSite {
    /// Offset in [`Artifact::code`] of the instruction after the call (its return
    /// address).
    pub return_offset: u32,
    /// Byte offset in the wasm module of the operator the call belongs to (a `call`, or
    /// the operator a builtin or host call implements).
    pub wasm_offset: u32,
}

/// Compiled code for one module, before it is loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Artifact {
    /// All machine code, functions one after another. Shared: an artifact kept for
    /// serialization after its code is loaded costs no copy; a deserialized artifact's code
    /// is a range of the serialized file, which the loader may map in place.
    pub code: crate::code::Code,
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
    /// `stagec_runtime::vm::EntryTrampoline`).
    pub entry_trampolines: Vec<CodeRange>,
    /// Relocations to apply when loading.
    pub relocations: Vec<Relocation>,
    /// Trap sites, sorted by `code_offset`.
    pub traps: Vec<TrapSite>,
    /// Call sites of the functions (not of the trampolines), sorted by `return_offset`.
    pub call_sites: Vec<CallSite>,
    /// The addresses [`RelocTarget::Fixed`] relocations resolve to, by slot. Filled by
    /// the compiler with the state it compiled against; a deserialized artifact gets the
    /// addresses of the state re-created for it (same slots, same order).
    pub fixed: Vec<usize>,
}

/// Bytes of a serialized relocation: offset u32, kind u8, target kind u8, target index
/// u32, addend i64.
const RELOC_SIZE: usize = 18;
/// Bytes of a serialized trap site: code offset u32, kind u8, wasm offset u32.
const TRAP_SIZE: usize = 9;
/// Bytes of a serialized call site: return offset u32, wasm offset u32.
const CALL_SITE_SIZE: usize = 8;

impl RelocTarget {
    fn encode(self, w: &mut Writer) {
        match self {
            RelocTarget::DefinedFunc(i) => {
                w.u8(0);
                w.u32(i);
            }
            RelocTarget::LibCall(l) => {
                w.u8(1);
                w.u32(LibCall::ALL.iter().position(|x| *x == l).expect("listed") as u32);
            }
            RelocTarget::Fixed(i) => {
                w.u8(2);
                w.u32(i);
            }
        }
    }

    /// The target with serialized `tag` and `index`, or what names nothing (and its
    /// number).
    fn from_parts(tag: u8, index: u32) -> Result<RelocTarget, (&'static str, u64)> {
        Ok(match tag {
            0 => RelocTarget::DefinedFunc(index),
            1 => RelocTarget::LibCall(
                *LibCall::ALL
                    .get(index as usize)
                    .ok_or(("library call", u64::from(index)))?,
            ),
            2 => RelocTarget::Fixed(index),
            _ => return Err(("relocation target", u64::from(tag))),
        })
    }
}

impl LibCall {
    /// Every library routine, in a fixed order (their serialized numbering).
    pub const ALL: &'static [LibCall] = &[
        LibCall::CeilF32,
        LibCall::CeilF64,
        LibCall::FloorF32,
        LibCall::FloorF64,
        LibCall::TruncF32,
        LibCall::TruncF64,
        LibCall::NearestF32,
        LibCall::NearestF64,
        LibCall::FmaF32,
        LibCall::FmaF64,
    ];
}

fn encode_ranges(w: &mut Writer, ranges: &[CodeRange]) {
    w.len(ranges.len());
    for r in ranges {
        w.u32(r.offset);
        w.u32(r.len);
    }
}

fn decode_ranges(r: &mut Reader<'_>, what: &'static str) -> Result<Vec<CodeRange>, DecodeError> {
    let n = r.len(8, what)?;
    (0..n)
        .map(|_| {
            Ok(CodeRange {
                offset: r.u32(what)?,
                len: r.u32(what)?,
            })
        })
        .collect()
}

impl Artifact {
    /// Appends the serialized artifact to `w`. The fixed addresses are not written (they
    /// belong to the process that compiled it), only how many slots there are.
    pub fn encode(&self, w: &mut Writer) {
        w.bytes(&self.code);
        self.encode_metadata(w);
    }

    /// [`Artifact::encode`] without the code: what a container that stores the code
    /// elsewhere (page-aligned, to be mapped in place) writes.
    pub fn encode_metadata(&self, w: &mut Writer) {
        encode_ranges(w, &self.functions);
        w.len(self.unit_starts.len());
        for &s in &self.unit_starts {
            w.u32(s);
        }
        encode_ranges(w, &self.entry_trampolines);
        w.len(self.relocations.len());
        for reloc in &self.relocations {
            w.u32(reloc.offset);
            w.u8(match reloc.kind {
                RelocKind::X86PcRel4 => 0,
                RelocKind::Abs8 => 1,
                RelocKind::Arm64Call => 2,
            });
            reloc.target.encode(w);
            w.i64(reloc.addend);
        }
        w.len(self.traps.len());
        for trap in &self.traps {
            w.u32(trap.code_offset);
            w.u8(trap.kind as u8);
            w.u32(trap.wasm_offset);
        }
        w.len(self.call_sites.len());
        for site in &self.call_sites {
            w.u32(site.return_offset);
            w.u32(site.wasm_offset);
        }
        w.len(self.fixed.len());
    }

    /// Reads an artifact written by [`Artifact::encode`] and checks that it is
    /// self-consistent ([`Artifact::validate`]). Its fixed addresses are all 0: the
    /// loader fills them in for the state it re-created.
    pub fn decode(r: &mut Reader<'_>) -> Result<Artifact, DecodeError> {
        let start = r.position();
        let code = r.bytes("code")?.to_vec().into();
        Self::decode_metadata_at(r, code, start)
    }

    /// Reads what [`Artifact::encode_metadata`] wrote, with `code` the artifact's code
    /// from wherever its container stores it, and checks the artifact like
    /// [`Artifact::decode`].
    pub fn decode_metadata(
        r: &mut Reader<'_>,
        code: crate::code::Code,
    ) -> Result<Artifact, DecodeError> {
        let start = r.position();
        Self::decode_metadata_at(r, code, start)
    }

    fn decode_metadata_at(
        r: &mut Reader<'_>,
        code: crate::code::Code,
        start: usize,
    ) -> Result<Artifact, DecodeError> {
        let functions = decode_ranges(r, "function table")?;
        let n = r.len(4, "unit starts")?;
        let unit_starts = (0..n)
            .map(|_| r.u32("unit starts"))
            .collect::<Result<_, _>>()?;
        let entry_trampolines = decode_ranges(r, "trampoline table")?;
        // Relocations, trap and call sites are fixed-size records, decoded in bulk.
        let n = r.len(RELOC_SIZE, "relocations")?;
        let records = r.take(n * RELOC_SIZE, "relocations")?;
        let mut relocations = Vec::with_capacity(n);
        for rec in records.chunks_exact(RELOC_SIZE) {
            let at = |i: usize| u32::from_le_bytes(rec[i..i + 4].try_into().expect("4 bytes"));
            let kind = match rec[4] {
                0 => RelocKind::X86PcRel4,
                1 => RelocKind::Abs8,
                2 => RelocKind::Arm64Call,
                k => return Err(r.unknown("relocation kind", k)),
            };
            let target = RelocTarget::from_parts(rec[5], at(6))
                .map_err(|(what, value)| r.unknown(what, value))?;
            relocations.push(Relocation {
                offset: at(0),
                kind,
                target,
                addend: i64::from_le_bytes(rec[10..18].try_into().expect("8 bytes")),
            });
        }
        let n = r.len(TRAP_SIZE, "trap table")?;
        let records = r.take(n * TRAP_SIZE, "trap table")?;
        let mut traps = Vec::with_capacity(n);
        for rec in records.chunks_exact(TRAP_SIZE) {
            let kind = TrapKind::from_u8(rec[4]).ok_or_else(|| r.unknown("trap kind", rec[4]))?;
            traps.push(TrapSite {
                code_offset: u32::from_le_bytes(rec[0..4].try_into().expect("4 bytes")),
                kind,
                wasm_offset: u32::from_le_bytes(rec[5..9].try_into().expect("4 bytes")),
            });
        }
        let n = r.len(CALL_SITE_SIZE, "call sites")?;
        let records = r.take(n * CALL_SITE_SIZE, "call sites")?;
        let call_sites = records
            .chunks_exact(CALL_SITE_SIZE)
            .map(|rec| CallSite {
                return_offset: u32::from_le_bytes(rec[0..4].try_into().expect("4 bytes")),
                wasm_offset: u32::from_le_bytes(rec[4..8].try_into().expect("4 bytes")),
            })
            .collect();
        let fixed = r.u64("fixed slots")?;
        if fixed > 1 << 24 {
            return Err(r.error_of(DecodeErrorKind::TooMany {
                what: "fixed slots",
                count: fixed,
            }));
        }
        let fixed = fixed as usize;
        let artifact = Artifact {
            code,
            functions,
            unit_starts,
            entry_trampolines,
            relocations,
            traps,
            call_sites,
            fixed: vec![0; fixed],
        };
        artifact.validate().map_err(|e| DecodeError {
            kind: DecodeErrorKind::Artifact(e),
            offset: start,
        })?;
        Ok(artifact)
    }

    /// The artifact with its calls between its own functions resolved: the PC-relative
    /// relocations to [`RelocTarget::DefinedFunc`] patched into the code (their value
    /// does not depend on where the code is loaded) and dropped from the list. What is left
    /// depends on the process (libcalls, fixed addresses), so a file holding this code can
    /// be mapped in place with only the pages of those few relocations copied. Call on a
    /// [validated](Artifact::validate) artifact.
    pub fn with_internal_calls_resolved(&self) -> Artifact {
        let mut code = self.code.to_vec();
        let mut kept = Vec::new();
        for reloc in &self.relocations {
            let RelocTarget::DefinedFunc(index) = reloc.target else {
                kept.push(*reloc);
                continue;
            };
            let site = reloc.offset as usize;
            let target = i64::from(self.functions[index as usize].offset);
            let delta = target.wrapping_add(reloc.addend).wrapping_sub(site as i64);
            match reloc.kind {
                RelocKind::X86PcRel4 if i32::try_from(delta).is_ok() => {
                    code[site..site + 4].copy_from_slice(&(delta as i32).to_le_bytes());
                }
                RelocKind::Arm64Call
                    if delta % 4 == 0 && (-(1 << 27)..(1 << 27)).contains(&delta) =>
                {
                    let insn =
                        u32::from_le_bytes(code[site..site + 4].try_into().expect("4 bytes"));
                    let insn = (insn & 0xfc00_0000) | ((delta >> 2) as u32 & 0x03ff_ffff);
                    code[site..site + 4].copy_from_slice(&insn.to_le_bytes());
                }
                _ => kept.push(*reloc),
            }
        }
        Artifact {
            code: code.into(),
            relocations: kept,
            ..self.clone()
        }
    }

    /// Checks that every range, relocation and trap site lies inside the code and every
    /// relocation names a function or slot that exists, so that loading cannot write
    /// outside the code it maps.
    pub fn validate(&self) -> Result<(), ArtifactError> {
        let len = self.code.len() as u64;
        let in_code = |r: &CodeRange| u64::from(r.offset) + u64::from(r.len) <= len;
        if let Some(index) = self.functions.iter().position(|r| !in_code(r)) {
            return Err(ArtifactError::FunctionOutsideCode { index });
        }
        if let Some(index) = self.entry_trampolines.iter().position(|r| !in_code(r)) {
            return Err(ArtifactError::TrampolineOutsideCode { index });
        }
        if self.unit_starts.first().is_some_and(|&s| s != 0)
            || self.unit_starts.windows(2).any(|w| w[0] > w[1])
            || self
                .unit_starts
                .last()
                .is_some_and(|&s| s as usize > self.functions.len())
        {
            return Err(ArtifactError::UnitStartsNotIncreasing);
        }
        for reloc in &self.relocations {
            let width = match reloc.kind {
                RelocKind::Abs8 => 8,
                RelocKind::X86PcRel4 | RelocKind::Arm64Call => 4,
            };
            if u64::from(reloc.offset) + width > len {
                return Err(ArtifactError::RelocationOutsideCode {
                    offset: reloc.offset,
                });
            }
            match reloc.target {
                RelocTarget::DefinedFunc(index) if index as usize >= self.functions.len() => {
                    return Err(ArtifactError::UnknownFunction { index });
                }
                RelocTarget::Fixed(slot) if slot as usize >= self.fixed.len() => {
                    return Err(ArtifactError::UnknownFixedSlot { slot });
                }
                _ => {}
            }
        }
        if self
            .traps
            .windows(2)
            .any(|w| w[0].code_offset > w[1].code_offset)
            || self
                .traps
                .last()
                .is_some_and(|t| u64::from(t.code_offset) >= len)
        {
            return Err(ArtifactError::TrapSitesUnsorted);
        }
        // A return address may be the code's end (a call that ends the code).
        if self
            .call_sites
            .windows(2)
            .any(|w| w[0].return_offset > w[1].return_offset)
            || self
                .call_sites
                .last()
                .is_some_and(|c| u64::from(c.return_offset) > len)
        {
            return Err(ArtifactError::CallSitesUnsorted);
        }
        Ok(())
    }
}

/// An artifact that is not self-consistent ([`Artifact::validate`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArtifactError {
    /// The code range of function `index` lies outside the code.
    FunctionOutsideCode {
        /// Index in [`Artifact::functions`].
        index: usize,
    },
    /// The code range of entry trampoline `index` lies outside the code.
    TrampolineOutsideCode {
        /// Index in [`Artifact::entry_trampolines`].
        index: usize,
    },
    /// [`Artifact::unit_starts`] does not start at 0, decreases, or passes the end of
    /// the functions.
    UnitStartsNotIncreasing,
    /// The bytes a relocation patches lie outside the code.
    RelocationOutsideCode {
        /// The relocation's offset in the code.
        offset: u32,
    },
    /// A relocation names a function the artifact does not have.
    UnknownFunction {
        /// The function index.
        index: u32,
    },
    /// A relocation names a fixed slot the artifact does not have.
    UnknownFixedSlot {
        /// The slot.
        slot: u32,
    },
    /// The trap sites are not sorted by code offset, or one lies past the code.
    TrapSitesUnsorted,
    /// The call sites are not sorted by return offset, or one lies past the code.
    CallSitesUnsorted,
}

impl fmt::Display for ArtifactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArtifactError::FunctionOutsideCode { index } => {
                write!(f, "function {index} lies outside the code")
            }
            ArtifactError::TrampolineOutsideCode { index } => {
                write!(f, "trampoline {index} lies outside the code")
            }
            ArtifactError::UnitStartsNotIncreasing => {
                f.write_str("unit starts are not an increasing list of function indices")
            }
            ArtifactError::RelocationOutsideCode { offset } => {
                write!(f, "relocation at {offset:#x} lies outside the code")
            }
            ArtifactError::UnknownFunction { index } => {
                write!(f, "relocation to unknown function {index}")
            }
            ArtifactError::UnknownFixedSlot { slot } => {
                write!(f, "relocation to unknown fixed slot {slot}")
            }
            ArtifactError::TrapSitesUnsorted => {
                f.write_str("trap sites are not sorted inside the code")
            }
            ArtifactError::CallSitesUnsorted => {
                f.write_str("call sites are not sorted inside the code")
            }
        }
    }
}

impl std::error::Error for ArtifactError {}
