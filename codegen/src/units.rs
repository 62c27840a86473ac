//! Compilation units and how their imports are bound at compile time (DESIGN.md §2, "What
//! a preimport or preexport becomes in code").
//!
//! A compilation is a list of [`CompileUnit`]s: unit 0 is the module being compiled (its
//! vmctx is a function parameter; it is instantiated any number of times), the others are
//! either providers of preimported functions that were instantiated once at compile time,
//! so that everything of theirs is at a fixed address ([`FixedInstance`]), or *context
//! units*: known code of another module whose instance is supplied at instantiation
//! ([`ImportBinding::KnownFunction`]). A context unit is compiled as that module's own
//! build would be (its vmctx is the first parameter), but only the functions it lists;
//! a call from one of them to a function not listed goes through the vmctx's funcref.
//!
//! [`plan_units`] checks every binding against the import it binds and turns the units
//! into one [`UnitPlan`] each: for every function, global, memory and table of the unit,
//! the place the environment reaches it at. The environment never looks at bindings
//! itself.

use crate::{BindingError, BindingProblem, CodegenError, CodegenErrorKind, UnitsProblem};
use stagec_environ::vmoffsets::VMOffsets;
use stagec_frontend::{
    ConstExpr, EntityType, ExternKind, FuncType, Import, MemoryType, ModuleInfo, ParsedModule,
    ValType,
};

/// A compile-time constant for an immutable global import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConstValue {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as its bits.
    F32(u32),
    /// An `f64`, as its bits.
    F64(u64),
    /// A `v128`, as its 16 bytes read little-endian.
    V128(u128),
}

impl ConstValue {
    /// The value type of the constant.
    pub fn ty(&self) -> ValType {
        match self {
            ConstValue::I32(_) => ValType::I32,
            ConstValue::I64(_) => ValType::I64,
            ConstValue::F32(_) => ValType::F32,
            ConstValue::F64(_) => ValType::F64,
            ConstValue::V128(_) => ValType::V128,
        }
    }
}

/// What compiled code may assume about the length of a memory for as long as the code
/// runs: memories only grow, so the length at compile time of a memory that already exists
/// (a provider's, a live one) is a lower bound; the maximum of its type an upper bound.
/// A memory whose two bounds are equal has a fixed length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MemoryExtent {
    /// The memory is never shorter than this many bytes.
    pub min_bytes: u64,
    /// The memory is never longer than this many bytes (`None`: no bound known).
    pub max_bytes: Option<u64>,
}

impl MemoryExtent {
    /// What a memory type guarantees of every memory of that type (also of an imported
    /// one: import matching checks that the memory's limits lie within the type's).
    pub fn of_type(ty: &MemoryType) -> Self {
        let page = stagec_environ::memory::PAGE_SIZE;
        MemoryExtent {
            min_bytes: ty.limits.min.saturating_mul(page),
            max_bytes: ty.limits.max.map(|max| max.saturating_mul(page)),
        }
    }

    /// The length, when it can never change.
    pub fn fixed_bytes(&self) -> Option<u64> {
        self.max_bytes.filter(|&max| max == self.min_bytes)
    }

    /// The tighter of two descriptions of the same memory.
    fn meet(self, other: MemoryExtent) -> MemoryExtent {
        let max_bytes = match (self.max_bytes, other.max_bytes) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        MemoryExtent {
            min_bytes: self.min_bytes.max(other.min_bytes),
            max_bytes,
        }
    }
}

/// How one import of a unit is bound at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImportBinding {
    /// Ordinary runtime import, reached through the vmctx (the generic build).
    Runtime,
    /// An immutable global's value, baked in as a constant.
    Constant(ConstValue),
    /// Function `func` (in that unit's function index space) of unit `unit` of this same
    /// compilation: a direct call (colocated, relocated), inlinable. If that function is
    /// itself an import of unit `unit`, that unit's binding is followed (transitively).
    Function {
        /// Index of the unit in the compilation.
        unit: usize,
        /// Function index (imports first) in that unit's module.
        func: u32,
    },
    /// A global (mutable or immutable) whose `VMGlobal` storage is at this fixed address.
    GlobalAt(usize),
    /// A memory with a fixed base address and a fixed `VMMemoryDefinition` address.
    MemoryAt {
        /// Base address of the memory's bytes (never moves).
        base: usize,
        /// Address of the memory's `VMMemoryDefinition`.
        def: usize,
        /// What is known of its length (its length now, its type's maximum).
        extent: MemoryExtent,
    },
    /// A table whose `VMTableDefinition` is at this fixed address.
    TableAt {
        /// Address of the table's `VMTableDefinition`.
        def: usize,
    },
    /// Known code with a runtime context: defined function `func` (function index space)
    /// of context unit `unit`, called directly (inlinable) with the vmctx that
    /// instantiation stores in this import's slot (`VMFuncImport::vmctx`, read-only) as the
    /// callee's. The import is still supplied at instantiation, and must be that function
    /// of an instance of that code (the engine checks it).
    KnownFunction {
        /// Index of the context unit in the compilation.
        unit: usize,
        /// Function index (imports first) in that unit's module; a defined function the
        /// unit compiles.
        func: u32,
    },
}

/// A unit that was instantiated at compile time: everything of it is at a fixed address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FixedInstance {
    /// Address of the instance's vmctx.
    pub vmctx: usize,
    /// `(base, def)` of every memory, imported first.
    pub memories: Vec<(usize, usize)>,
    /// What is known of the length of every memory, imported first (a memory without an
    /// entry: only what its type guarantees).
    pub memory_extents: Vec<MemoryExtent>,
    /// Address of the `VMTableDefinition` of every table, imported first.
    pub tables: Vec<usize>,
    /// Address of the `VMGlobal` of every global, imported first.
    pub globals: Vec<usize>,
}

/// One module of a compilation and the bindings of its imports.
#[derive(Clone, Debug)]
pub struct CompileUnit<'a> {
    /// The module.
    pub module: &'a ParsedModule,
    /// One per import of `module`, in import order.
    pub imports: Vec<ImportBinding>,
    /// `None` for the main unit (unit 0: the vmctx is the function parameter, instantiated
    /// any number of times). `Some` for a unit instantiated once at compile time (a provider
    /// of preimported functions): its own globals, memories and tables are absolute
    /// addresses, and calls into it pass its vmctx as a constant.
    pub fixed: Option<FixedInstance>,
    /// The defined functions to compile (defined-function indices, ascending): `None` for
    /// all of them. Only a context unit (neither unit 0 nor fixed) may list some; its other
    /// functions are called through the vmctx's funcrefs.
    pub functions: Option<Vec<u32>>,
}

impl<'a> CompileUnit<'a> {
    /// The generic build of `module`: every import bound at run time.
    pub fn generic(module: &'a ParsedModule) -> Self {
        CompileUnit {
            module,
            imports: vec![ImportBinding::Runtime; module.info.imports.len()],
            fixed: None,
            functions: None,
        }
    }
}

/// The inlining threshold used by default (see `CompileOptions::inline_threshold`).
///
/// Measured (x86-64, release build) with a loop calling a preimported `i32 -> i32`
/// function, direct call vs inlined: callees of 4–15 translated CLIF instructions
/// (arithmetic helpers, `select` clamps, a small `if`) run 3–4x faster inlined
/// (~1.8 ns → ~0.5 ns per call); an unrolled 52-instruction hash 18% faster; from ~90
/// instructions on (88, 116, 172, 228, 452) the difference is within run-to-run noise,
/// while each inlined call site costs the callee's whole code again (~145 bytes per site
/// at 88 instructions; compile time of a 41-site caller 0.4 ms → 3–4 ms). 100 keeps every
/// callee that measurably gains, plus headroom for bodies that shrink once constant
/// arguments fold into them.
pub const DEFAULT_INLINE_THRESHOLD: usize = 100;

/// Options of [`Compiler::compile_units`](crate::Compiler::compile_units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileOptions {
    /// Inline direct calls into *other units* (preimported functions) whose callee CLIF, as
    /// translated, has at most this many instructions; 0 disables inlining.
    pub inline_threshold: usize,
    /// Check the store's interrupt flag (`VMStoreContext::interrupt`) at every function
    /// entry and loop header, trapping with "interrupt" when it is set. Off by default:
    /// the check costs a load and a branch at each of those points.
    pub interruptible: bool,
    /// Subtract one unit of fuel per executed operator from `VMStoreContext::fuel` (once
    /// per straight-line run of operators) and trap with "all fuel consumed" at a function
    /// entry or loop header once it is negative. Off by default.
    pub consume_fuel: bool,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            inline_threshold: DEFAULT_INLINE_THRESHOLD,
            interruptible: false,
            consume_fuel: false,
        }
    }
}

/// What [`Compiler::explain`](crate::Compiler::explain) shows of one function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The Cranelift IR after inlining and Cranelift's optimizer.
    pub clif: String,
    /// The machine code, as Cranelift's disassembly of its final instructions.
    pub disasm: String,
    /// Number of CLIF instructions in `clif`.
    pub clif_insts: usize,
    /// Number of machine instructions in `disasm`.
    pub machine_insts: usize,
    /// Loads in `clif` from the vmctx parameter plus an offset (imported globals, memory
    /// base and bound, import slots, builtins): what specialization removes.
    pub vmctx_loads: usize,
    /// Calls in `clif`, by kind.
    pub calls: crate::counts::CallCounts,
}

// ---- plans -------------------------------------------------------------------------------

/// The vmctx passed to a directly called function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CalleeVmctx {
    /// The caller's own vmctx (a function of the same unit).
    Own,
    /// The vmctx of a fixed instance.
    Fixed(usize),
    /// The vmctx instantiation stored in the caller's import slot of function `func`
    /// (known code with a runtime context).
    Import {
        /// The caller's imported function whose slot holds the vmctx.
        func: u32,
    },
}

/// How a function is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallTarget {
    /// A direct call of artifact function `index`.
    Direct { index: u32, vmctx: CalleeVmctx },
    /// Through the `VMFuncImport` of the caller's vmctx.
    VmctxImport,
    /// Through a `VMFuncImport` at a fixed address (a runtime import of a fixed unit).
    ImportAt {
        /// The fixed unit's vmctx.
        vmctx: usize,
        /// Offset of the import slot in it.
        offset: u32,
    },
    /// A defined function of the caller's own instance that this compilation does not
    /// compile (a context unit compiles only some): through its funcref in the vmctx.
    OwnFuncref,
}

/// Where a global lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GlobalPlace {
    /// Imported: the vmctx holds a pointer to its `VMGlobal`.
    VmctxImport,
    /// Defined: its `VMGlobal` is inline in the vmctx.
    VmctxDefined,
    /// A preimported constant.
    Constant(ConstValue),
    /// A `VMGlobal` at a fixed address.
    At(usize),
}

/// Where a linear memory is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MemoryPlace {
    /// Through the vmctx's `VMMemoryImport`.
    Vmctx,
    /// Base and definition at fixed addresses.
    At { base: usize, def: usize },
}

/// Where a table is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TablePlace {
    /// Through the vmctx's definition pointer.
    Vmctx,
    /// Definition at a fixed address.
    At { def: usize },
}

/// Everything the environment needs to know about one unit.
#[derive(Debug)]
pub(crate) struct UnitPlan<'m> {
    pub(crate) module: &'m ParsedModule,
    /// Artifact index of the unit's first compiled function.
    pub(crate) first_function: u32,
    /// The defined functions compiled (ascending), in artifact order from
    /// `first_function`.
    pub(crate) compiled: Vec<u32>,
    /// The vmctx of a fixed unit.
    pub(crate) fixed_vmctx: Option<usize>,
    /// The slots of the compilation's fixed addresses (shared by every unit's plan).
    pub(crate) fixed_slots: std::sync::Arc<crate::fixed::FixedSlots>,
    /// Every function index (imports first).
    pub(crate) funcs: Vec<CallTarget>,
    /// Every global index.
    pub(crate) globals: Vec<GlobalPlace>,
    /// Every memory index.
    pub(crate) memories: Vec<MemoryPlace>,
    /// What is known of every memory's length, by memory index.
    pub(crate) memory_extents: Vec<MemoryExtent>,
    /// Every table index.
    pub(crate) tables: Vec<TablePlace>,
}

impl<'m> UnitPlan<'m> {
    /// The module description.
    pub(crate) fn info(&self) -> &'m ModuleInfo {
        &self.module.info
    }

    /// The number of defined functions compiled.
    pub(crate) fn num_compiled(&self) -> u32 {
        self.compiled.len() as u32
    }

    /// The artifact index of defined function `defined`, if this compilation compiles it.
    pub(crate) fn artifact_index(&self, defined: u32) -> Option<u32> {
        artifact_position(&self.compiled, defined).map(|p| self.first_function + p)
    }
}

/// Position of `defined` in the ascending list `compiled`.
fn artifact_position(compiled: &[u32], defined: u32) -> Option<u32> {
    compiled.binary_search(&defined).ok().map(|p| p as u32)
}

/// The defined functions unit `u` compiles, checked.
fn compiled_functions(units: &[CompileUnit<'_>], u: usize) -> Result<Vec<u32>, CodegenError> {
    let unit = &units[u];
    let n = unit.module.info.num_defined_funcs();
    let Some(list) = &unit.functions else {
        return Ok((0..n).collect());
    };
    if u == 0 || unit.fixed.is_some() {
        return Err(CodegenError::new(UnitsProblem::PartialUnit { unit: u }));
    }
    let ascending = list.windows(2).all(|w| w[0] < w[1]);
    if !ascending || list.last().is_some_and(|&d| d >= n) {
        return Err(CodegenError::new(UnitsProblem::FunctionList { unit: u }));
    }
    Ok(list.clone())
}

/// Upper bound on the length of a chain of `Function` bindings (a longer one is a cycle).
const MAX_BINDING_CHAIN: usize = 64;

/// An import binding that cannot apply to its import.
fn binding_error(unit: usize, import: &Import, problem: BindingProblem) -> CodegenError {
    CodegenError::new(CodegenErrorKind::Binding(Box::new(BindingError {
        unit,
        module: import.module.clone(),
        name: import.name.clone(),
        problem,
    })))
}

fn kind_of(ty: &EntityType) -> ExternKind {
    match ty {
        EntityType::Func(_) => ExternKind::Func,
        EntityType::Table(_) => ExternKind::Table,
        EntityType::Memory(_) => ExternKind::Memory,
        EntityType::Global(_) => ExternKind::Global,
    }
}

fn binding_name(binding: &ImportBinding) -> &'static str {
    match binding {
        ImportBinding::Runtime => "a runtime import",
        ImportBinding::Constant(_) => "a constant",
        ImportBinding::Function { .. } => "a function",
        ImportBinding::KnownFunction { .. } => "known code",
        ImportBinding::GlobalAt(_) => "a global address",
        ImportBinding::MemoryAt { .. } => "a memory address",
        ImportBinding::TableAt { .. } => "a table address",
    }
}

fn kind_mismatch(unit: usize, import: &Import, binding: &ImportBinding) -> CodegenError {
    binding_error(
        unit,
        import,
        BindingProblem::KindMismatch {
            import: kind_of(&import.ty),
            binding: binding_name(binding),
        },
    )
}

/// For each import of `info`, its index in the index space of its kind.
fn import_indices(info: &ModuleInfo) -> Vec<u32> {
    let mut next = [0u32; 4];
    info.imports
        .iter()
        .map(|import| {
            let slot = &mut next[kind_of(&import.ty) as usize];
            *slot += 1;
            *slot - 1
        })
        .collect()
}

/// Import number (position in `info.imports`) of imported entity `index` of kind `kind`.
fn import_of(info: &ModuleInfo, kind: ExternKind, index: u32) -> Option<usize> {
    info.imports
        .iter()
        .enumerate()
        .filter(|(_, import)| kind_of(&import.ty) == kind)
        .nth(index as usize)
        .map(|(i, _)| i)
}

/// Checks the units and plans where everything of each of them lives. Also returns the
/// artifact index of each unit's first defined function.
pub(crate) fn plan_units<'m>(
    units: &[CompileUnit<'m>],
) -> Result<(Vec<UnitPlan<'m>>, Vec<u32>), CodegenError> {
    if units.is_empty() {
        return Err(CodegenError::new(UnitsProblem::NoUnits));
    }
    let mut starts = Vec::with_capacity(units.len());
    let mut compiled = Vec::with_capacity(units.len());
    let mut next = 0u32;
    for (u, unit) in units.iter().enumerate() {
        let info = &unit.module.info;
        if unit.imports.len() != info.imports.len() {
            return Err(CodegenError::new(UnitsProblem::BindingCount {
                unit: u,
                imports: info.imports.len(),
                bindings: unit.imports.len(),
            }));
        }
        if u == 0 && unit.fixed.is_some() {
            return Err(CodegenError::new(UnitsProblem::FixedUnitZero));
        }
        if let Some(fixed) = &unit.fixed {
            let counts = [
                ("memories", fixed.memories.len(), info.memories.len()),
                ("tables", fixed.tables.len(), info.tables.len()),
                ("globals", fixed.globals.len(), info.globals.len()),
            ];
            for (what, given, expected) in counts {
                if given != expected {
                    return Err(CodegenError::new(UnitsProblem::FixedCount {
                        unit: u,
                        what,
                        given,
                        expected,
                    }));
                }
            }
        }
        let functions = compiled_functions(units, u)?;
        starts.push(next);
        next = u32::try_from(functions.len())
            .ok()
            .and_then(|n| next.checked_add(n))
            .ok_or_else(|| CodegenError::new(UnitsProblem::TooManyFunctions))?;
        compiled.push(functions);
    }
    let slots = std::sync::Arc::new(crate::fixed::FixedSlots::of_units(units));
    let layout = Layout {
        starts: &starts,
        compiled: &compiled,
    };
    let plans = (0..units.len())
        .map(|u| plan_unit(units, layout, u, &slots))
        .collect::<Result<_, _>>()?;
    Ok((plans, starts))
}

/// Where every unit's compiled functions are in the artifact.
#[derive(Clone, Copy)]
struct Layout<'a> {
    /// Artifact index of each unit's first compiled function.
    starts: &'a [u32],
    /// Each unit's compiled defined functions, ascending.
    compiled: &'a [Vec<u32>],
}

impl Layout<'_> {
    /// The artifact index of defined function `defined` of unit `u`, if compiled.
    fn index(&self, u: usize, defined: u32) -> Option<u32> {
        artifact_position(&self.compiled[u], defined).map(|p| self.starts[u] + p)
    }
}

fn plan_unit<'m>(
    units: &[CompileUnit<'m>],
    layout: Layout<'_>,
    u: usize,
    slots: &std::sync::Arc<crate::fixed::FixedSlots>,
) -> Result<UnitPlan<'m>, CodegenError> {
    let unit = &units[u];
    let info = &unit.module.info;
    let fixed = unit.fixed.as_ref();
    let mut plan = UnitPlan {
        module: unit.module,
        first_function: layout.starts[u],
        compiled: layout.compiled[u].clone(),
        fixed_vmctx: fixed.map(|f| f.vmctx),
        fixed_slots: slots.clone(),
        funcs: Vec::with_capacity(info.functions.len()),
        globals: Vec::with_capacity(info.globals.len()),
        memories: Vec::with_capacity(info.memories.len()),
        memory_extents: info.memories.iter().map(MemoryExtent::of_type).collect(),
        tables: Vec::with_capacity(info.tables.len()),
    };
    if let Some(f) = fixed {
        for (extent, known) in plan.memory_extents.iter_mut().zip(&f.memory_extents) {
            *extent = extent.meet(*known);
        }
    }
    // Imports, in import order; defined entities after them.
    let indices = import_indices(info);
    for ((import, binding), &index) in info.imports.iter().zip(&unit.imports).zip(&indices) {
        match (&import.ty, binding) {
            (EntityType::Func(ty), _) => {
                let ty = &info.types[*ty as usize];
                plan.funcs
                    .push(resolve_function(units, layout, u, u, index, ty, 0)?);
            }
            (EntityType::Global(_), ImportBinding::Runtime) => {
                plan.globals.push(match fixed {
                    Some(f) => GlobalPlace::At(f.globals[index as usize]),
                    None => GlobalPlace::VmctxImport,
                });
            }
            (EntityType::Global(g), ImportBinding::Constant(c)) => {
                if g.mutable {
                    return Err(binding_error(u, import, BindingProblem::MutableConstant));
                }
                if g.ty != c.ty() {
                    return Err(binding_error(
                        u,
                        import,
                        BindingProblem::ConstantType {
                            global: g.ty,
                            constant: c.ty(),
                        },
                    ));
                }
                plan.globals.push(GlobalPlace::Constant(*c));
            }
            (EntityType::Global(_), ImportBinding::GlobalAt(addr)) => {
                plan.globals.push(GlobalPlace::At(*addr));
            }
            (EntityType::Memory(_), ImportBinding::Runtime) => {
                plan.memories.push(match fixed {
                    Some(f) => {
                        let (base, def) = f.memories[index as usize];
                        MemoryPlace::At { base, def }
                    }
                    None => MemoryPlace::Vmctx,
                });
            }
            (EntityType::Memory(_), ImportBinding::MemoryAt { base, def, extent }) => {
                let m = plan.memories.len();
                plan.memory_extents[m] = plan.memory_extents[m].meet(*extent);
                plan.memories.push(MemoryPlace::At {
                    base: *base,
                    def: *def,
                });
            }
            (EntityType::Table(_), ImportBinding::Runtime) => {
                plan.tables.push(match fixed {
                    Some(f) => TablePlace::At {
                        def: f.tables[index as usize],
                    },
                    None => TablePlace::Vmctx,
                });
            }
            (EntityType::Table(_), ImportBinding::TableAt { def }) => {
                plan.tables.push(TablePlace::At { def: *def });
            }
            (_, binding) => return Err(kind_mismatch(u, import, binding)),
        }
    }
    for defined in 0..info.num_defined_funcs() {
        plan.funcs.push(match layout.index(u, defined) {
            Some(index) => CallTarget::Direct {
                index,
                vmctx: CalleeVmctx::Own,
            },
            None => CallTarget::OwnFuncref,
        });
    }
    for g in info.num_imported_globals as usize..info.globals.len() {
        let init = &info.global_inits[g - info.num_imported_globals as usize];
        let known = (!info.globals[g].mutable)
            .then(|| constant_init(info.globals[g].ty, init, &plan.globals))
            .flatten();
        plan.globals.push(match (known, fixed) {
            (Some(c), _) => GlobalPlace::Constant(c),
            (None, Some(f)) => GlobalPlace::At(f.globals[g]),
            (None, None) => GlobalPlace::VmctxDefined,
        });
    }
    for m in info.num_imported_memories as usize..info.memories.len() {
        plan.memories.push(match fixed {
            Some(f) => MemoryPlace::At {
                base: f.memories[m].0,
                def: f.memories[m].1,
            },
            None => MemoryPlace::Vmctx,
        });
    }
    for t in info.num_imported_tables as usize..info.tables.len() {
        plan.tables.push(match fixed {
            Some(f) => TablePlace::At { def: f.tables[t] },
            None => TablePlace::Vmctx,
        });
    }
    debug_assert_eq!(plan.funcs.len(), info.functions.len());
    debug_assert_eq!(plan.globals.len(), info.globals.len());
    debug_assert_eq!(plan.memories.len(), info.memories.len());
    debug_assert_eq!(plan.tables.len(), info.tables.len());
    Ok(plan)
}

/// The value of a defined global of type `ty` initialised by `init`, when it is known at
/// compile time: a literal, or (extended constant expressions) arithmetic over literals
/// and globals planned as constants (preimports, preexports of earlier stages, and
/// immutable globals known this way).
fn constant_init(ty: ValType, init: &ConstExpr, globals: &[GlobalPlace]) -> Option<ConstValue> {
    let known = |g: u32| match globals.get(g as usize)? {
        GlobalPlace::Constant(ConstValue::I32(v)) => Some(u64::from(*v as u32)),
        GlobalPlace::Constant(ConstValue::I64(v)) => Some(*v as u64),
        _ => None,
    };
    match (ty, init) {
        (ValType::F32, ConstExpr::F32(bits)) => Some(ConstValue::F32(*bits)),
        (ValType::F64, ConstExpr::F64(bits)) => Some(ConstValue::F64(*bits)),
        (ValType::F32 | ValType::F64, ConstExpr::GlobalGet(g)) => match globals.get(*g as usize)? {
            GlobalPlace::Constant(c) if c.ty() == ty => Some(*c),
            _ => None,
        },
        (ValType::I32, _) => Some(ConstValue::I32(init.eval_int(known)? as u32 as i32)),
        (ValType::I64, _) => Some(ConstValue::I64(init.eval_int(known)? as i64)),
        _ => None,
    }
}

/// How code of unit `caller` calls function `func` of unit `target`, expected to have
/// type `ty`; follows `Function` bindings of imports.
fn resolve_function(
    units: &[CompileUnit<'_>],
    layout: Layout<'_>,
    caller: usize,
    target: usize,
    func: u32,
    ty: &FuncType,
    chain: usize,
) -> Result<CallTarget, CodegenError> {
    let unit = &units[target];
    let info = &unit.module.info;
    let vmctx_of_target = || match &unit.fixed {
        _ if target == caller => Some(CalleeVmctx::Own),
        Some(fixed) => Some(CalleeVmctx::Fixed(fixed.vmctx)),
        None => None,
    };
    if let Some(defined) = info.defined_func_index(func) {
        // Reached only through a binding: the caller's own defined functions are planned
        // directly.
        let vmctx = vmctx_of_target()
            .ok_or_else(|| CodegenError::new(UnitsProblem::NotInstantiated { target, caller }))?;
        let index = layout
            .index(target, defined)
            .ok_or_else(|| CodegenError::new(UnitsProblem::NotInstantiated { target, caller }))?;
        return Ok(CallTarget::Direct { index, vmctx });
    }
    let i = import_of(info, ExternKind::Func, func).expect("imported function has an import");
    let import = &info.imports[i];
    match unit.imports[i] {
        ImportBinding::Runtime => match &unit.fixed {
            Some(fixed) => {
                let offset = VMOffsets::new(info).func_import(func);
                Ok(CallTarget::ImportAt {
                    vmctx: fixed.vmctx,
                    offset,
                })
            }
            None if target == caller => Ok(CallTarget::VmctxImport),
            None => Err(binding_error(
                target,
                import,
                BindingProblem::NotCallable {
                    unit: target,
                    caller,
                },
            )),
        },
        ImportBinding::Function {
            unit: next,
            func: next_func,
        } => {
            if chain >= MAX_BINDING_CHAIN {
                return Err(binding_error(target, import, BindingProblem::Cycle));
            }
            let Some(next_unit) = units.get(next) else {
                return Err(binding_error(
                    target,
                    import,
                    BindingProblem::NoSuchUnit {
                        unit: next,
                        count: units.len(),
                    },
                ));
            };
            let next_info = &next_unit.module.info;
            let Some(&next_ty) = next_info.functions.get(next_func as usize) else {
                return Err(binding_error(
                    target,
                    import,
                    BindingProblem::NoSuchFunction {
                        unit: next,
                        func: next_func,
                    },
                ));
            };
            let next_ty = &next_info.types[next_ty as usize];
            if next_ty != ty {
                return Err(binding_error(
                    target,
                    import,
                    BindingProblem::FunctionType {
                        expected: ty.clone(),
                        unit: next,
                        func: next_func,
                        found: next_ty.clone(),
                    },
                ));
            }
            resolve_function(units, layout, caller, next, next_func, ty, chain + 1)
        }
        ImportBinding::KnownFunction {
            unit: code_unit,
            func: code_func,
        } => {
            if target != caller {
                let problem = BindingProblem::KnownCodeElsewhere {
                    unit: target,
                    caller,
                };
                return Err(binding_error(target, import, problem));
            }
            let index = known_function(units, layout, target, import, code_unit, code_func, ty)?;
            Ok(CallTarget::Direct {
                index,
                vmctx: CalleeVmctx::Import { func },
            })
        }
        other => Err(kind_mismatch(target, import, &other)),
    }
}

/// The artifact index of known code `func` of context unit `code_unit`, bound to `import`
/// (of type `ty`) of unit `u`.
fn known_function(
    units: &[CompileUnit<'_>],
    layout: Layout<'_>,
    u: usize,
    import: &Import,
    code_unit: usize,
    func: u32,
    ty: &FuncType,
) -> Result<u32, CodegenError> {
    let problem = |problem| Err(binding_error(u, import, problem));
    let Some(unit) = units.get(code_unit) else {
        return problem(BindingProblem::NoSuchUnit {
            unit: code_unit,
            count: units.len(),
        });
    };
    if code_unit == 0 || unit.fixed.is_some() {
        return problem(BindingProblem::NotContextUnit { unit: code_unit });
    }
    let info = &unit.module.info;
    let (Some(&found), Some(defined)) = (
        info.functions.get(func as usize),
        info.defined_func_index(func),
    ) else {
        return problem(BindingProblem::NoSuchFunction {
            unit: code_unit,
            func,
        });
    };
    let found = &info.types[found as usize];
    if found != ty {
        return problem(BindingProblem::FunctionType {
            expected: ty.clone(),
            unit: code_unit,
            func,
            found: found.clone(),
        });
    }
    match layout.index(code_unit, defined) {
        Some(index) => Ok(index),
        None => problem(BindingProblem::NotCompiled {
            unit: code_unit,
            func,
        }),
    }
}
