//! Codegen errors: what went wrong, where in the module, and in which function.

use cranelift_codegen::FinalizedRelocTarget;
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::{LibCall, TrapCode};
use stagec_frontend::{ExternKind, FuncType, ValType};
use std::fmt;

/// A function could not be compiled: its body is invalid (the validator's message and
/// offset are kept intact), it uses an operator stagec does not compile, its import
/// bindings do not fit, or Cranelift failed.
#[derive(Debug)]
pub struct CodegenError {
    /// What went wrong.
    pub kind: CodegenErrorKind,
    /// Byte offset in the wasm module, when known.
    pub offset: Option<u64>,
    /// Function index (imported functions first), when the error belongs to a function.
    pub func_index: Option<u32>,
}

/// What went wrong in codegen.
#[derive(Debug)]
pub enum CodegenErrorKind {
    /// A function body is invalid, or uses a proposal outside stagec's feature set: the
    /// validator's error.
    Wasm(wasmparser::BinaryReaderError),
    /// Control frames are still open at the end of a function body.
    UnclosedFrames,
    /// The body is valid WebAssembly but uses a feature stagec does not compile.
    Unsupported(Unsupported),
    /// An import binding does not fit its import.
    Binding(Box<BindingError>),
    /// The units of a compilation do not fit together.
    Units(UnitsProblem),
    /// `global.set` of a global bound to a constant (validation rules it out: a compiler
    /// bug).
    SetConstantGlobal {
        /// The global's index.
        index: u32,
    },
    /// No defined function with this index.
    NoSuchFunction {
        /// The defined-function index asked for.
        defined_index: u32,
    },
    /// A function body's range lies outside the module's bytes.
    BodyOutsideModule,
    /// The module has a different number of function bodies and declared functions (it
    /// was parsed without its bodies).
    BodyCountMismatch,
    /// Cranelift cannot be set up for the host.
    Setup(SetupError),
    /// Cranelift's verifier rejected a function (a compiler bug).
    Verifier {
        /// The verifier's errors.
        source: cranelift_codegen::CodegenError,
        /// The errors as Cranelift prints them, annotated on the function's CLIF.
        report: String,
    },
    /// Cranelift failed to compile a function.
    Cranelift(cranelift_codegen::CodegenError),
    /// Cranelift's inliner failed.
    Inlining(cranelift_codegen::CodegenError),
    /// Compiled code that the artifact format cannot represent.
    Output(OutputProblem),
}

/// A construct stagec does not compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsupported {
    /// An operator of a proposal stagec does not translate (yet).
    Operator {
        /// The operator's name in wasmparser's `Operator`, such as `"ReturnCall"`.
        name: &'static str,
        /// The proposal it belongs to, as wasmparser names it, such as `"tail_call"`.
        proposal: &'static str,
    },
    /// A memory access to a GC array.
    GcArrayAccess,
}

/// An import binding that does not fit its import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindingError {
    /// The compilation unit whose import it is.
    pub unit: usize,
    /// The import's module name.
    pub module: String,
    /// The import's field name.
    pub name: String,
    /// How the binding does not fit.
    pub problem: BindingProblem,
}

/// How an import binding does not fit its import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BindingProblem {
    /// The binding is for another kind of entity.
    KindMismatch {
        /// The import's kind.
        import: ExternKind,
        /// The binding, as a noun phrase ("a constant").
        binding: &'static str,
    },
    /// A mutable global bound to a constant.
    MutableConstant,
    /// A global bound to a constant of another type.
    ConstantType {
        /// The global's type.
        global: ValType,
        /// The constant's type.
        constant: ValType,
    },
    /// A runtime import of a unit that is not instantiated at compile time, called from
    /// another unit.
    NotCallable {
        /// The unit whose import it is.
        unit: usize,
        /// The calling unit.
        caller: usize,
    },
    /// A chain of function bindings that never ends.
    Cycle,
    /// A function bound to a unit that does not exist.
    NoSuchUnit {
        /// The unit named.
        unit: usize,
        /// The number of units.
        count: usize,
    },
    /// A function bound to a function that does not exist.
    NoSuchFunction {
        /// The unit named.
        unit: usize,
        /// The function index named.
        func: u32,
    },
    /// Known code (`ImportBinding::KnownFunction`) in unit 0 or a fixed unit: known code
    /// lives in a context unit, whose vmctx comes from the import slot.
    NotContextUnit {
        /// The unit named.
        unit: usize,
    },
    /// A function bound to a function its unit does not compile (a context unit compiles
    /// only the functions it lists).
    NotCompiled {
        /// The unit named.
        unit: usize,
        /// The function index named.
        func: u32,
    },
    /// A known-code import of a unit reached from another unit: its callee's vmctx is in
    /// the import slot of the importing unit's own vmctx.
    KnownCodeElsewhere {
        /// The unit whose import it is.
        unit: usize,
        /// The calling unit.
        caller: usize,
    },
    /// A function bound to a function of another type.
    FunctionType {
        /// The import's type.
        expected: FuncType,
        /// The unit of the bound function.
        unit: usize,
        /// The bound function.
        func: u32,
        /// Its type.
        found: FuncType,
    },
}

/// How the units of a compilation do not fit together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnitsProblem {
    /// No unit at all.
    NoUnits,
    /// A unit with another number of bindings than imports.
    BindingCount {
        /// The unit.
        unit: usize,
        /// Its module's imports.
        imports: usize,
        /// The bindings given.
        bindings: usize,
    },
    /// Unit 0 given as fixed.
    FixedUnitZero,
    /// A fixed unit listing another number of entities than its module has.
    FixedCount {
        /// The unit.
        unit: usize,
        /// The entities: "memories", "tables" or "globals".
        what: &'static str,
        /// How many the unit lists.
        given: usize,
        /// How many its module has.
        expected: usize,
    },
    /// More functions than a u32 counts.
    TooManyFunctions,
    /// A list of functions to compile given for unit 0 or a fixed unit (only context units
    /// are compiled in part).
    PartialUnit {
        /// The unit.
        unit: usize,
    },
    /// A unit's list of functions to compile is not ascending defined-function indices of
    /// its module.
    FunctionList {
        /// The unit.
        unit: usize,
    },
    /// A direct call into a unit that is not instantiated at compile time.
    NotInstantiated {
        /// The called unit.
        target: usize,
        /// The calling unit.
        caller: usize,
    },
}

/// Cranelift cannot be set up for the host.
#[derive(Debug)]
pub enum SetupError {
    /// A setting was refused.
    Setting(cranelift_codegen::settings::SetError),
    /// Cranelift has no backend for the host.
    Host(&'static str),
    /// The ISA could not be built from the settings.
    Isa(cranelift_codegen::CodegenError),
}

/// Compiled code that the artifact format cannot represent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputProblem {
    /// The function was not compiled (a compiler bug).
    NotCompiled,
    /// A relocation kind the loader does not apply.
    RelocKind(Reloc),
    /// A relocation against a user name outside the artifact's namespaces.
    RelocName {
        /// The name's namespace.
        namespace: u32,
        /// The name's index.
        index: u32,
    },
    /// A relocation against a target the loader does not resolve.
    RelocTarget(FinalizedRelocTarget),
    /// A library call the loader does not resolve.
    LibCall(LibCall),
    /// A trap code codegen does not emit.
    TrapCode(TrapCode),
    /// The code does not fit 4 GiB.
    CodeTooLarge,
}

impl CodegenError {
    /// An error of `kind`, not located.
    pub fn new(kind: impl Into<CodegenErrorKind>) -> Self {
        CodegenError {
            kind: kind.into(),
            offset: None,
            func_index: None,
        }
    }

    /// An error at a wasm byte offset.
    pub fn at(kind: impl Into<CodegenErrorKind>, offset: u64) -> Self {
        CodegenError {
            offset: Some(offset),
            ..CodegenError::new(kind)
        }
    }

    /// Attaches the function index (keeps one already set).
    pub fn in_function(mut self, func_index: u32) -> Self {
        self.func_index.get_or_insert(func_index);
        self
    }

    /// Whether the body is valid WebAssembly but uses a feature stagec does not compile
    /// (SIMD, tail calls, GC, ...), as opposed to being invalid. wasmparser reports a
    /// proposal outside stagec's feature set as "<proposal> support is not enabled".
    pub fn is_unsupported(&self) -> bool {
        match &self.kind {
            CodegenErrorKind::Unsupported(_) => true,
            CodegenErrorKind::Wasm(e) => e.message().ends_with("support is not enabled"),
            _ => false,
        }
    }

    /// For an import binding that does not fit its import: the import (module, name).
    pub fn import(&self) -> Option<(&str, &str)> {
        match &self.kind {
            CodegenErrorKind::Binding(b) => Some((&b.module, &b.name)),
            _ => None,
        }
    }
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(index) = self.func_index {
            write!(f, " in function {index}")?;
        }
        if let Some(offset) = self.offset {
            write!(f, " (at offset {offset:#x})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CodegenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            CodegenErrorKind::Wasm(e) => Some(e),
            CodegenErrorKind::Setup(e) => Some(e),
            CodegenErrorKind::Verifier { source: e, .. }
            | CodegenErrorKind::Cranelift(e)
            | CodegenErrorKind::Inlining(e) => Some(e),
            _ => None,
        }
    }
}

impl From<wasmparser::BinaryReaderError> for CodegenError {
    /// Keeps the validator's message and offset.
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        let offset = e.offset();
        CodegenError::at(CodegenErrorKind::Wasm(e), offset)
    }
}

impl From<Unsupported> for CodegenErrorKind {
    fn from(u: Unsupported) -> Self {
        CodegenErrorKind::Unsupported(u)
    }
}

impl From<UnitsProblem> for CodegenErrorKind {
    fn from(p: UnitsProblem) -> Self {
        CodegenErrorKind::Units(p)
    }
}

impl From<SetupError> for CodegenErrorKind {
    fn from(e: SetupError) -> Self {
        CodegenErrorKind::Setup(e)
    }
}

impl From<OutputProblem> for CodegenErrorKind {
    fn from(p: OutputProblem) -> Self {
        CodegenErrorKind::Output(p)
    }
}

impl fmt::Display for CodegenErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CodegenErrorKind as K;
        match self {
            K::Wasm(e) => f.write_str(e.message()),
            K::UnclosedFrames => f.write_str("control frames remain at end of function body"),
            K::Unsupported(u) => write!(f, "unsupported feature: {u}"),
            K::Binding(b) => write!(
                f,
                "import `{}`.`{}` of unit {}: {}",
                b.module, b.name, b.unit, b.problem
            ),
            K::Units(p) => write!(f, "{p}"),
            K::SetConstantGlobal { index } => write!(f, "global.set of constant global {index}"),
            K::NoSuchFunction { defined_index } => {
                write!(f, "no defined function with index {defined_index}")
            }
            K::BodyOutsideModule => f.write_str("function body range outside the module bytes"),
            K::BodyCountMismatch => f.write_str(
                "module has a different number of function bodies and declared functions",
            ),
            K::Setup(e) => write!(f, "{e}"),
            K::Verifier { report, .. } => write!(f, "Cranelift verifier error: {report}"),
            K::Cranelift(e) => write!(f, "Cranelift compilation failed: {e}"),
            K::Inlining(e) => write!(f, "inlining failed: {e}"),
            K::Output(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsupported::Operator { name, proposal } => {
                write!(f, "operator {name} (proposal {proposal})")
            }
            Unsupported::GcArrayAccess => f.write_str("memory access to a GC array"),
        }
    }
}

impl fmt::Display for BindingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use BindingProblem as P;
        match self {
            P::KindMismatch { import, binding } => {
                write!(f, "a {import} import cannot be bound to {binding}")
            }
            P::MutableConstant => f.write_str("a mutable global cannot be bound to a constant"),
            P::ConstantType { global, constant } => write!(
                f,
                "a global of type {global} cannot be bound to a {constant} constant"
            ),
            P::NotCallable { unit, caller } => write!(
                f,
                "a runtime import of unit {unit}, which is not instantiated at compile time, \
                 cannot be called from unit {caller}"
            ),
            P::Cycle => f.write_str("function bindings form a cycle"),
            P::NoSuchUnit { unit, count } => {
                write!(f, "bound to unit {unit}, but there are {count} units")
            }
            P::NoSuchFunction { unit, func } => write!(f, "unit {unit} has no function {func}"),
            P::NotContextUnit { unit } => write!(
                f,
                "known code must be in a context unit (neither unit 0 nor fixed), unit {unit} \
                 is not one"
            ),
            P::NotCompiled { unit, func } => {
                write!(f, "function {func} of unit {unit} is not compiled")
            }
            P::KnownCodeElsewhere { unit, caller } => write!(
                f,
                "a known-code import of unit {unit} cannot be called from unit {caller} (its \
                 callee's context is in unit {unit}'s import slot)"
            ),
            P::FunctionType {
                expected,
                unit,
                func,
                found,
            } => write!(
                f,
                "expected a function of type {expected}, function {func} of unit {unit} has \
                 type {found}"
            ),
        }
    }
}

impl fmt::Display for UnitsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use UnitsProblem as P;
        match self {
            P::NoUnits => f.write_str("a compilation needs at least one unit"),
            P::BindingCount {
                unit,
                imports,
                bindings,
            } => write!(
                f,
                "unit {unit} has {imports} imports but {bindings} bindings"
            ),
            P::FixedUnitZero => {
                f.write_str("unit 0 is the unit being instantiated: it cannot be fixed")
            }
            P::FixedCount {
                unit,
                what,
                given,
                expected,
            } => write!(
                f,
                "fixed unit {unit} lists {given} {what}, its module has {expected}"
            ),
            P::TooManyFunctions => f.write_str("too many functions"),
            P::PartialUnit { unit } => write!(
                f,
                "unit {unit} is unit 0 or fixed: only context units are compiled in part"
            ),
            P::FunctionList { unit } => write!(
                f,
                "the functions to compile of unit {unit} are not ascending defined-function \
                 indices of its module"
            ),
            P::NotInstantiated { target, caller } => write!(
                f,
                "unit {target} is not instantiated at compile time: unit {caller} cannot call \
                 its functions directly"
            ),
        }
    }
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Setting(e) => write!(f, "Cranelift setting: {e}"),
            SetupError::Host(e) => write!(f, "unsupported host: {e}"),
            SetupError::Isa(e) => write!(f, "Cranelift ISA: {e}"),
        }
    }
}

impl std::error::Error for SetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SetupError::Setting(e) => Some(e),
            SetupError::Host(_) => None,
            SetupError::Isa(e) => Some(e),
        }
    }
}

impl fmt::Display for OutputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputProblem::NotCompiled => f.write_str("the function was not compiled"),
            OutputProblem::RelocKind(kind) => write!(f, "unsupported relocation kind {kind}"),
            OutputProblem::RelocName { namespace, index } => {
                write!(f, "unexpected relocation target u{namespace}:{index}")
            }
            OutputProblem::RelocTarget(target) => {
                write!(f, "unsupported relocation target {target:?}")
            }
            OutputProblem::LibCall(libcall) => write!(f, "unsupported library call {libcall}"),
            OutputProblem::TrapCode(code) => write!(f, "unexpected Cranelift trap code {code}"),
            OutputProblem::CodeTooLarge => f.write_str("compiled code exceeds 4 GiB"),
        }
    }
}
