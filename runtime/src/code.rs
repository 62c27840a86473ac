//! Loading an [`Artifact`] into executable memory: map (in place from the file its code
//! is a range of, or a copy), relocate, protect, register.
//! One `CodeMemory` is shared (through `Arc`) by every instance of its module.

use crate::backtrace::{FrameTable, FuncName};
use crate::traphandlers::{RegisteredCode, register_code};
use stagec_environ::artifact::{
    Artifact, ArtifactError, CodeRange, LibCall, RelocKind, RelocTarget, TrapSite,
};
use std::fmt;

/// An error while loading code.
#[derive(Debug)]
pub enum LoadError {
    /// The code could not be mapped, or not made executable.
    Map(std::io::Error),
    /// A relocation names a function or fixed slot the artifact does not have.
    Artifact(ArtifactError),
    /// A relocation's target is too far from its site for the relocation's kind.
    OutOfRange {
        /// The relocation's kind.
        kind: RelocKind,
        /// Its offset in the code.
        offset: u32,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot load compiled code: ")?;
        match self {
            LoadError::Map(e) => write!(f, "{e}"),
            LoadError::Artifact(e) => write!(f, "{e}"),
            LoadError::OutOfRange {
                kind: RelocKind::Arm64Call,
                ..
            } => f.write_str("branch relocation out of range"),
            LoadError::OutOfRange { .. } => f.write_str("pc-relative relocation out of range"),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Map(e) => Some(e),
            LoadError::Artifact(e) => Some(e),
            LoadError::OutOfRange { .. } => None,
        }
    }
}

/// Executable code of one artifact.
pub struct CodeMemory {
    // Declared (so dropped) before the mapping: the code must leave the trap registry
    // before its addresses can be reused by another thread's new code.
    _registration: RegisteredCode,
    mmap: memmap2::Mmap,
    functions: Vec<CodeRange>,
    entry_trampolines: Vec<CodeRange>,
}

impl fmt::Debug for CodeMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeMemory")
            .field("base", &self.mmap.as_ptr())
            .field("len", &self.mmap.len())
            .finish()
    }
}

impl CodeMemory {
    /// Maps `artifact`'s code, applies its relocations and makes it executable. Its
    /// functions are not wasm functions (host adapters): backtraces show no frames of
    /// theirs, only of their wasm callers.
    pub fn load(artifact: &Artifact) -> Result<CodeMemory, LoadError> {
        Self::load_with_traps(artifact, artifact.traps.clone(), FrameTable::default())
    }

    /// [`CodeMemory::load`] of an artifact that is no longer needed: its trap and call
    /// site tables are moved into the registration rather than copied. Backtraces name
    /// function `i` of the artifact as `names[i]` says.
    pub fn load_owned(
        mut artifact: Artifact,
        names: Vec<FuncName>,
    ) -> Result<CodeMemory, LoadError> {
        let traps = std::mem::take(&mut artifact.traps);
        let call_sites = std::mem::take(&mut artifact.call_sites);
        let frames = FrameTable::new(&artifact.functions, call_sites, names);
        Self::load_with_traps(&artifact, traps, frames)
    }

    fn load_with_traps(
        artifact: &Artifact,
        traps: Vec<TrapSite>,
        frames: FrameTable,
    ) -> Result<CodeMemory, LoadError> {
        let len = artifact.code.len().max(1);
        let mut map = match in_place(artifact) {
            Some(map) => map,
            None => {
                // Populated up front: one fault-free pass instead of a page fault per 4 KiB
                // copied.
                let mut map = memmap2::MmapOptions::new()
                    .len(len)
                    .populate()
                    .map_anon()
                    .map_err(LoadError::Map)?;
                map[..artifact.code.len()].copy_from_slice(&artifact.code);
                map
            }
        };
        let base = map.as_ptr() as usize;
        for reloc in &artifact.relocations {
            let target = match reloc.target {
                RelocTarget::DefinedFunc(i) => {
                    let range = artifact
                        .functions
                        .get(i as usize)
                        .ok_or(LoadError::Artifact(ArtifactError::UnknownFunction {
                            index: i,
                        }))?;
                    base + range.offset as usize
                }
                RelocTarget::LibCall(lib) => libcall_address(lib),
                RelocTarget::Fixed(slot) => {
                    *artifact
                        .fixed
                        .get(slot as usize)
                        .ok_or(LoadError::Artifact(ArtifactError::UnknownFixedSlot {
                            slot,
                        }))?
                }
            };
            let site = reloc.offset as usize;
            let value = (target as i64).wrapping_add(reloc.addend);
            let out_of_range = LoadError::OutOfRange {
                kind: reloc.kind,
                offset: reloc.offset,
            };
            match reloc.kind {
                RelocKind::Abs8 => {
                    map[site..site + 8].copy_from_slice(&value.to_le_bytes());
                }
                RelocKind::X86PcRel4 => {
                    let delta = value.wrapping_sub((base + site) as i64);
                    let delta = i32::try_from(delta).map_err(|_| out_of_range)?;
                    map[site..site + 4].copy_from_slice(&delta.to_le_bytes());
                }
                RelocKind::Arm64Call => {
                    let delta = value.wrapping_sub((base + site) as i64);
                    if delta % 4 != 0 || !(-(1 << 27)..(1 << 27)).contains(&delta) {
                        return Err(out_of_range);
                    }
                    let insn = u32::from_le_bytes(map[site..site + 4].try_into().unwrap());
                    let insn = (insn & 0xfc00_0000) | ((delta >> 2) as u32 & 0x03ff_ffff);
                    map[site..site + 4].copy_from_slice(&insn.to_le_bytes());
                }
            }
        }
        let mmap = map.make_exec().map_err(LoadError::Map)?;
        let registration = register_code(mmap.as_ptr() as usize, len, traps, frames);
        Ok(CodeMemory {
            mmap,
            functions: artifact.functions.clone(),
            entry_trampolines: artifact.entry_trampolines.clone(),
            _registration: registration,
        })
    }

    /// Address of defined function `index`.
    pub fn function(&self, index: u32) -> *const u8 {
        self.at(self.functions[index as usize])
    }

    /// Address of the entry trampoline for module type `index`.
    pub fn entry_trampoline(&self, index: u32) -> *const u8 {
        self.at(self.entry_trampolines[index as usize])
    }

    /// Number of defined functions.
    pub fn num_functions(&self) -> usize {
        self.functions.len()
    }

    fn at(&self, range: CodeRange) -> *const u8 {
        // SAFETY: ranges come from the artifact whose code this mapping holds.
        unsafe { self.mmap.as_ptr().add(range.offset as usize) }
    }
}

/// `artifact`'s code mapped from the file it is a range of, if it is one and the range
/// starts on a page boundary: a private copy-on-write mapping of the file's pages, so that
/// pages without relocations stay shared with the page cache (and with other processes
/// that map the same file) and only the pages relocations patch are copied. `None` (the
/// caller copies the code instead) if the code is not in a file or cannot be mapped so.
fn in_place(artifact: &Artifact) -> Option<memmap2::MmapMut> {
    let (file, offset) = artifact.code.file_region()?;
    if artifact.code.is_empty() || offset % page_size() != 0 {
        return None;
    }
    // SAFETY: a private mapping: writes (relocations) go to copies of the pages, never to
    // the file. Its bytes are the file's, which the caller checked (checksum, every range)
    // through another mapping of the same open file; files of serialized modules are never
    // written in place (writers rename new files over them), so both mappings see the
    // same bytes.
    let map = unsafe {
        memmap2::MmapOptions::new()
            .offset(offset)
            .len(artifact.code.len())
            .map_copy(file)
    };
    map.ok()
}

/// The host's page size.
fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).unwrap_or(4096)
}

fn libcall_address(lib: LibCall) -> usize {
    extern "C" fn ceilf(x: f32) -> f32 {
        x.ceil()
    }
    extern "C" fn ceil(x: f64) -> f64 {
        x.ceil()
    }
    extern "C" fn floorf(x: f32) -> f32 {
        x.floor()
    }
    extern "C" fn floor(x: f64) -> f64 {
        x.floor()
    }
    extern "C" fn truncf(x: f32) -> f32 {
        x.trunc()
    }
    extern "C" fn trunc(x: f64) -> f64 {
        x.trunc()
    }
    extern "C" fn nearestf(x: f32) -> f32 {
        x.round_ties_even()
    }
    extern "C" fn nearest(x: f64) -> f64 {
        x.round_ties_even()
    }
    extern "C" fn fmaf(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
    extern "C" fn fma(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
    match lib {
        LibCall::CeilF32 => ceilf as *const () as usize,
        LibCall::CeilF64 => ceil as *const () as usize,
        LibCall::FloorF32 => floorf as *const () as usize,
        LibCall::FloorF64 => floor as *const () as usize,
        LibCall::TruncF32 => truncf as *const () as usize,
        LibCall::TruncF64 => trunc as *const () as usize,
        LibCall::NearestF32 => nearestf as *const () as usize,
        LibCall::NearestF64 => nearest as *const () as usize,
        LibCall::FmaF32 => fmaf as *const () as usize,
        LibCall::FmaF64 => fma as *const () as usize,
    }
}
