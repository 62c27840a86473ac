//! Wasm backtraces: which wasm functions were active when a trap happened, and where.
//!
//! Compiled code keeps frame pointers (Cranelift's `preserve_frame_pointers`), so every
//! wasm frame starts with the record `[fp] = caller's fp, [fp + 8] = return address`. The
//! trap handler knows the faulting pc and fp: the pc names the innermost function (and,
//! through the trap site, its operator); each return address up the chain names a caller
//! and, through the artifact's call sites, the operator of its call. The walk stops at
//! the first return address outside wasm functions (an entry trampoline, a host adapter:
//! the host code that called into wasm), so a backtrace shows the innermost activation.
//! Code loaded without a function table (host adapters) has no frames of its own.

use crate::traphandlers::CodeRegistration;
use stagec_environ::artifact::{CallSite, CodeRange};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Frames recorded beyond this many are only counted (a stack overflow has many).
pub const MAX_FRAMES: usize = 1000;

/// What a backtrace says of one function of a code region: the compilation unit it
/// belongs to (0 for the module itself, others for the providers compiled into its
/// artifact), its function index in that unit's module, and its name-section name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FuncName {
    /// The compilation unit (see `Artifact::unit_starts`).
    pub unit: u32,
    /// The function index in the unit's module (imports counted).
    pub index: u32,
    /// The name from the module's name section, if any.
    pub name: Option<Arc<str>>,
}

/// The functions of a code region as a backtrace sees them.
#[derive(Debug, Default)]
pub(crate) struct FrameTable {
    /// Defined functions: code start offset, length, artifact function index; sorted.
    functions: Vec<(u32, u32, u32)>,
    call_sites: Vec<CallSite>,
    /// By artifact function index; empty when the loader gave no names.
    names: Vec<FuncName>,
}

impl FrameTable {
    pub(crate) fn new(
        functions: &[CodeRange],
        call_sites: Vec<CallSite>,
        names: Vec<FuncName>,
    ) -> FrameTable {
        let mut functions: Vec<(u32, u32, u32)> = functions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.offset, r.len, i as u32))
            .collect();
        functions.sort_unstable();
        FrameTable {
            functions,
            call_sites,
            names,
        }
    }

    /// The artifact index of the function whose code holds `offset`.
    fn function_at(&self, offset: u32) -> Option<u32> {
        let i = self
            .functions
            .partition_point(|&(start, _, _)| start <= offset);
        let &(start, len, index) = self.functions.get(i.checked_sub(1)?)?;
        (offset - start < len).then_some(index)
    }

    /// The wasm offset of the call returning to `offset`.
    fn call_at(&self, return_offset: u32) -> Option<u32> {
        let i = self
            .call_sites
            .binary_search_by_key(&return_offset, |c| c.return_offset)
            .ok()?;
        Some(self.call_sites[i].wasm_offset)
    }
}

/// One frame of a backtrace as the trap handler records it.
#[derive(Debug)]
pub(crate) struct RawFrame {
    code: Arc<CodeRegistration>,
    func: u32,
    wasm_offset: Option<u32>,
}

/// A backtrace as the trap handler records it: frames innermost first, and how many
/// more were not recorded.
#[derive(Debug, Default)]
pub(crate) struct RawBacktrace {
    frames: Vec<RawFrame>,
    omitted: usize,
}

/// Reads the frame record at `fp`: the caller's fp and the return address.
///
/// # Safety
/// `fp` must be the frame pointer of a live frame of compiled wasm code.
unsafe fn frame_record(fp: usize) -> (usize, usize) {
    let record = fp as *const usize;
    // SAFETY: a wasm frame's fp points at its saved fp, followed by the return address.
    unsafe { (record.read(), record.add(1).read()) }
}

/// Walks the wasm frames from the faulting `pc` (its trap site's operator at
/// `trap_offset`) and frame pointer `fp`, over the code regions `registry` holds. Every
/// frame pointer followed lies in `stack`, the part of the stack between the faulting
/// stack pointer and the host frame that called into wasm: a register that is no frame
/// pointer (in code not built with them) ends the walk instead of being read.
///
/// # Safety
/// `pc` must be that of a thread stopped in wasm code of a region of `registry` (the
/// trap handler's context), and `stack` a readable part of its stack.
pub(crate) unsafe fn walk(
    registry: &BTreeMap<usize, Arc<CodeRegistration>>,
    pc: usize,
    fp: usize,
    stack: std::ops::Range<usize>,
    trap_offset: Option<u32>,
) -> RawBacktrace {
    let lookup = |address: usize| -> Option<(Arc<CodeRegistration>, u32, u32)> {
        let (_, reg) = registry.range(address + 1..).next()?;
        let offset = u32::try_from(address.checked_sub(reg.start)?).ok()?;
        let func = reg.frames.function_at(offset)?;
        Some((reg.clone(), func, offset))
    };
    let mut backtrace = RawBacktrace::default();
    // A trap in code that is no wasm function (a host adapter trapping with the error of
    // its host function) is in no frame of its own; its callers are.
    if let Some((code, func, _)) = lookup(pc) {
        backtrace.frames.push(RawFrame {
            code,
            func,
            wasm_offset: trap_offset,
        });
    }
    let mut fp = fp;
    let record = 2 * std::mem::size_of::<usize>();
    while fp.is_multiple_of(std::mem::align_of::<usize>())
        && stack.start <= fp
        && fp.saturating_add(record) <= stack.end
    {
        // SAFETY: `fp` lies in the readable `stack` with room for a frame record. It is
        // the frame pointer of the trapping function (or, in its prologue, of its
        // caller), or that of a caller whose return address was checked to lie in wasm
        // code below: a frame of code keeping frame pointers.
        let (caller_fp, return_address) = unsafe { frame_record(fp) };
        // The call's last byte lies before its return address (the call may end its
        // function).
        let Some((code, func, offset)) = return_address.checked_sub(1).and_then(lookup) else {
            break;
        };
        if backtrace.frames.len() < MAX_FRAMES {
            let wasm_offset = code.frames.call_at(offset + 1);
            backtrace.frames.push(RawFrame {
                code,
                func,
                wasm_offset,
            });
        } else {
            backtrace.omitted += 1;
        }
        // Callers' frames lie above their callees' on the stack.
        if caller_fp <= fp {
            break;
        }
        fp = caller_fp;
    }
    backtrace
}

/// One wasm frame of a backtrace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WasmFrame {
    /// The compilation unit of the function's code: 0 for the module whose code it is,
    /// others for the providers compiled into its artifact.
    pub unit: u32,
    /// The function index in its module (imports counted); the index in the artifact when
    /// its loader gave no names.
    pub func_index: u32,
    /// The function's name-section name, if any.
    pub func_name: Option<Arc<str>>,
    /// Byte offset in the module of the operator executing (the trapping one in the
    /// innermost frame, a call in the others), when known.
    pub wasm_offset: Option<u32>,
}

/// A wasm backtrace, innermost frame first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backtrace {
    /// The frames recorded (at most [`MAX_FRAMES`]).
    pub frames: Vec<WasmFrame>,
    /// How many outer frames were not recorded.
    pub omitted: usize,
}

impl RawBacktrace {
    /// The backtrace with the functions named (done outside the trap handler).
    pub(crate) fn resolve(self) -> Backtrace {
        let frames = self
            .frames
            .into_iter()
            .map(|f| {
                let name = f.code.frames.names.get(f.func as usize).cloned();
                let name = name.unwrap_or(FuncName {
                    unit: 0,
                    index: f.func,
                    name: None,
                });
                WasmFrame {
                    unit: name.unit,
                    func_index: name.index,
                    func_name: name.name,
                    wasm_offset: f.wasm_offset,
                }
            })
            .collect();
        Backtrace {
            frames,
            omitted: self.omitted,
        }
    }
}
