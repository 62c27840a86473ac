//! Inlining of preimported functions: direct calls from a function of one unit into a
//! function of *another* unit (a provider instantiated at compile time) are replaced by
//! the callee's body when that body is small, with Cranelift's `Context::inline`.
//!
//! Callees are the translated (not yet optimized) CLIF of the other units' functions, so
//! everything is inlined before Cranelift's optimizer sees the caller: constants passed as
//! arguments fold through the callee's body. Calls inside an inlined body are considered
//! too, down to [`MAX_DEPTH`] levels, never re-entering a function already being inlined
//! at that site (recursion), and within a per-function budget of [`MAX_GROWTH`]
//! instructions.
//!
//! Source locations: Cranelift does not carry the callee's source locations into the
//! caller, so every inlined instruction of a provider (a fixed unit) gets the source
//! location of the call it replaced (for nested inlining, of the outermost call in the
//! caller's own module). A trap inside inlined provider code therefore reports the wasm
//! offset of the `call` operator in the caller's module — the offset of the module that
//! the trap is reported against. Known code of a context unit keeps its own locations
//! instead: it stands for a call through an import, whose trap reports the callee
//! module's offset, and inlining must not change what a trap reports. Cranelift copies a
//! callee's instructions in a depth-first pre-order of its blocks, one new instruction
//! each, so the copies are matched with the originals by that order.

use cranelift_codegen::inline::{Inline, InlineCommand};
use cranelift_codegen::ir::{self, ExternalName, Function, Inst, SourceLoc};
use cranelift_codegen::traversals::Dfs;
use cranelift_entity::EntityRef;
use std::borrow::Cow;
use std::ops::Range;

/// How many calls deep inlining goes (a call in a body inlined into a body ... counts).
const MAX_DEPTH: u32 = 8;

/// At most this many callee instructions are inlined into one function.
const MAX_GROWTH: usize = 20_000;

/// The number of instructions of `func` (in its layout).
pub(crate) fn inst_count(func: &Function) -> usize {
    func.layout
        .blocks()
        .map(|block| func.layout.block_insts(block).count())
        .sum()
}

/// The source locations of `callee`'s instructions in the order Cranelift's inliner copies
/// them: blocks in depth-first pre-order from the entry, instructions in layout order.
fn copied_locations(callee: &Function) -> Vec<SourceLoc> {
    let mut dfs = Dfs::new();
    let mut locs = Vec::new();
    for block in dfs.pre_order_iter(callee) {
        locs.extend(
            callee
                .layout
                .block_insts(block)
                .map(|inst| callee.srcloc(inst)),
        );
    }
    locs
}

/// One call that was inlined.
struct Site {
    /// Instructions with this index or above were created by inlining this call (until
    /// the next site's `first_inst`).
    first_inst: usize,
    /// The call instruction (in the caller, possibly itself inlined).
    call: Inst,
    /// The inlined function (artifact index).
    callee: u32,
    /// The site whose inlined body contained the call, if any.
    parent: Option<usize>,
    /// 1 for a call written in the caller, 2 for a call in a body inlined there, ...
    depth: u32,
}

/// Decides which calls of one function are inlined, and hands Cranelift the callees.
pub(crate) struct Inliner<'a> {
    /// Translated CLIF of every function of the compilation, by artifact index (`None`
    /// for functions that are not candidates).
    functions: &'a [Option<Function>],
    /// Instruction counts of `functions`.
    sizes: &'a [usize],
    /// Per function: whether its inlined instructions keep their own source locations.
    own_offsets: &'a [bool],
    /// Artifact indices of the caller's own unit (never inlined).
    own_unit: Range<u32>,
    threshold: usize,
    budget: usize,
    sites: Vec<Site>,
}

impl<'a> Inliner<'a> {
    /// An inliner for a function of the unit whose functions are `own_unit`.
    pub(crate) fn new(
        functions: &'a [Option<Function>],
        sizes: &'a [usize],
        own_offsets: &'a [bool],
        own_unit: Range<u32>,
        threshold: usize,
    ) -> Self {
        Inliner {
            functions,
            sizes,
            own_offsets,
            own_unit,
            threshold,
            budget: MAX_GROWTH,
            sites: Vec::new(),
        }
    }

    /// The site whose inlined body created `inst`, if any.
    fn site_of(&self, inst: Inst) -> Option<usize> {
        self.sites
            .partition_point(|s| s.first_inst <= inst.index())
            .checked_sub(1)
    }

    /// Whether `callee` is being inlined at `site` or one of its ancestors.
    fn on_chain(&self, mut site: Option<usize>, callee: u32) -> bool {
        while let Some(s) = site {
            if self.sites[s].callee == callee {
                return true;
            }
            site = self.sites[s].parent;
        }
        false
    }

    /// After inlining: gives every inlined instruction without a source location the one
    /// of the call it came from, or (known code) the one it had in its callee.
    pub(crate) fn fix_source_locations(&self, func: &mut Function) {
        let end = func.dfg.num_insts();
        for (k, site) in self.sites.iter().enumerate() {
            let loc = func.srcloc(site.call);
            let until = self.sites.get(k + 1).map_or(end, |next| next.first_inst);
            let own = self
                .own_offsets
                .get(site.callee as usize)
                .is_some_and(|&own| own)
                .then(|| self.functions[site.callee as usize].as_ref())
                .flatten()
                .map(copied_locations)
                .filter(|locs| locs.len() == until - site.first_inst);
            for i in site.first_inst..until {
                let inst = Inst::new(i);
                if !func.srcloc(inst).is_default() {
                    continue;
                }
                let callee_loc = own.as_ref().map(|locs| locs[i - site.first_inst]);
                func.set_srcloc(inst, callee_loc.filter(|l| !l.is_default()).unwrap_or(loc));
            }
        }
    }

    /// Whether any call was inlined.
    pub(crate) fn inlined_any(&self) -> bool {
        !self.sites.is_empty()
    }
}

impl Inline for Inliner<'_> {
    fn inline(
        &mut self,
        caller: &ir::Function,
        call_inst: ir::Inst,
        _call_opcode: ir::Opcode,
        callee: ir::FuncRef,
        _call_args: &[ir::Value],
    ) -> InlineCommand<'_> {
        let ExternalName::User(name) = caller.dfg.ext_funcs[callee].name else {
            return InlineCommand::KeepCall;
        };
        let name = &caller.params.user_named_funcs()[name];
        let index = name.index;
        if name.namespace != 0 || self.own_unit.contains(&index) {
            return InlineCommand::KeepCall;
        }
        let (Some(Some(body)), Some(&size)) = (
            self.functions.get(index as usize),
            self.sizes.get(index as usize),
        ) else {
            return InlineCommand::KeepCall;
        };
        if size > self.threshold || size > self.budget {
            return InlineCommand::KeepCall;
        }
        let parent = self.site_of(call_inst);
        let depth = parent.map_or(1, |p| self.sites[p].depth + 1);
        if depth > MAX_DEPTH || self.on_chain(parent, index) {
            return InlineCommand::KeepCall;
        }
        self.budget -= size;
        self.sites.push(Site {
            first_inst: caller.dfg.num_insts(),
            call: call_inst,
            callee: index,
            parent,
            depth,
        });
        InlineCommand::Inline {
            callee: Cow::Borrowed(body),
            visit_callee: true,
        }
    }
}
