//! Errors about imports: what an import is, why a supplied object does not fit it, and
//! why a preimport cannot be bound.

use stagec_frontend::{
    EntityType, ExternKind, FuncType, GlobalType, IndexType, Limits, MemoryType, ModuleInfo,
    TableType, ValType,
};
use std::fmt;

/// An import's module and field name; displayed as `` `module`.`name` ``.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImportName {
    /// The import's module name.
    pub module: String,
    /// The import's field name.
    pub name: String,
}

impl ImportName {
    /// The import `module`.`name`.
    pub fn new(module: &str, name: &str) -> ImportName {
        ImportName {
            module: module.to_string(),
            name: name.to_string(),
        }
    }
}

impl fmt::Display for ImportName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`.`{}`", self.module, self.name)
    }
}

/// The type of an import or export; displayed as the text format writes it, e.g.
/// `(global (mut i32))`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternType {
    /// A function of this signature.
    Func(FuncType),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
}

impl ExternType {
    /// The type `ty` of an import or export of module `info`.
    pub(crate) fn of(info: &ModuleInfo, ty: &EntityType) -> ExternType {
        match *ty {
            EntityType::Func(t) => ExternType::Func(info.types[t as usize].clone()),
            EntityType::Table(t) => ExternType::Table(t),
            EntityType::Memory(m) => ExternType::Memory(m),
            EntityType::Global(g) => ExternType::Global(g),
        }
    }
}

impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limits = |l: &Limits| match l.max {
            Some(max) => format!("{} {max}", l.min),
            None => l.min.to_string(),
        };
        match self {
            ExternType::Func(t) => write!(f, "{t}"),
            ExternType::Table(t) => write!(f, "(table {} {})", limits(&t.limits), t.element),
            ExternType::Memory(m) => write!(f, "(memory {})", limits(&m.limits)),
            ExternType::Global(g) if g.mutable => write!(f, "(global (mut {}))", g.ty),
            ExternType::Global(g) => write!(f, "(global {})", g.ty),
        }
    }
}

/// An import was given an object of the wrong kind or type.
#[derive(Debug)]
pub struct IncompatibleImport {
    /// The import.
    pub import: ImportName,
    /// What did not match.
    pub reason: ImportMismatch,
}

impl fmt::Display for IncompatibleImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "incompatible import type for {}: {}",
            self.import, self.reason
        )
    }
}

impl std::error::Error for IncompatibleImport {}

/// Who supplied the object that does not fit an import (the messages differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Supplier {
    /// The caller, at instantiation.
    Instantiation,
    /// A provider's export, or a live object bound at compile time.
    Provider,
}

/// Why an object does not fit an import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportMismatch {
    /// A function of another signature.
    FuncType {
        /// The import's signature.
        expected: FuncType,
        /// The object's.
        actual: FuncType,
        /// Who supplied it.
        supplier: Supplier,
    },
    /// A global of another type or mutability.
    GlobalType {
        /// The import's type.
        expected: GlobalType,
        /// The object's.
        actual: GlobalType,
        /// Who supplied it.
        supplier: Supplier,
    },
    /// A table of another element type.
    TableElement {
        /// The import's element type.
        expected: ValType,
        /// The table's.
        actual: ValType,
        /// Who supplied it.
        supplier: Supplier,
    },
    /// A memory or table of the other index type (memory64: `i64` addresses or indices).
    IndexType {
        /// A memory or a table.
        kind: ExternKind,
        /// The import's index type.
        expected: IndexType,
        /// The object's.
        actual: IndexType,
    },
    /// A memory or table whose limits do not fit the import's.
    Limits(LimitsMismatch),
    /// An object of another kind.
    Kind {
        /// The import's kind.
        expected: ExternKind,
        /// The object's.
        actual: ExternKind,
        /// Who supplied it.
        supplier: Supplier,
    },
    /// The import was compiled as known code (`Preimport::Code`), and the function given
    /// is not that function of an instance of that code.
    NotKnownCode {
        /// The known code's function index.
        func: u32,
    },
}

fn mutability(ty: &GlobalType) -> &'static str {
    if ty.mutable { "mut " } else { "" }
}

impl fmt::Display for ImportMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Supplier::{Instantiation, Provider};
        match self {
            ImportMismatch::FuncType {
                expected,
                actual,
                supplier: Instantiation,
            } => write!(f, "expected {expected}, found {actual}"),
            ImportMismatch::FuncType {
                expected,
                actual,
                supplier: Provider,
            } => write!(f, "expected {expected}, the provider's export is {actual}"),
            ImportMismatch::GlobalType {
                expected: e,
                actual: a,
                supplier: Instantiation,
            } => write!(
                f,
                "expected {}{}, found {}{}",
                mutability(e),
                e.ty,
                mutability(a),
                a.ty
            ),
            ImportMismatch::GlobalType {
                expected: e,
                actual: a,
                supplier: Provider,
            } => write!(
                f,
                "expected a global of type {}{}, the provider's is {}{}",
                mutability(e),
                e.ty,
                mutability(a),
                a.ty
            ),
            ImportMismatch::TableElement {
                expected,
                actual,
                supplier: Instantiation,
            } => write!(f, "expected a table of {expected}, found {actual}"),
            ImportMismatch::TableElement {
                expected,
                actual,
                supplier: Provider,
            } => write!(
                f,
                "expected a table of {expected}, the provider's holds {actual}"
            ),
            ImportMismatch::IndexType {
                kind,
                expected,
                actual,
            } => write!(f, "expected an {expected} {kind}, found an {actual} {kind}"),
            ImportMismatch::Limits(e) => write!(f, "{e}"),
            ImportMismatch::Kind {
                expected,
                actual,
                supplier: Instantiation,
            } => write!(f, "expected a {expected}, found a {actual}"),
            ImportMismatch::Kind {
                expected,
                supplier: Provider,
                ..
            } => write!(
                f,
                "expected a {expected}, the provider exports something else"
            ),
            ImportMismatch::NotKnownCode { func } => write!(
                f,
                "the import is compiled as known code (function {func} of a module given \
                 before compilation); the function supplied is not that function of an \
                 instance of that module compiled with the same constants"
            ),
        }
    }
}

/// Why the limits of a memory or table do not fit an import's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitsMismatch {
    /// The object is smaller than the import's minimum.
    MinimumTooSmall {
        /// The object's current size.
        actual: u64,
        /// The import's minimum.
        required: u64,
    },
    /// The import has a maximum; the object has none.
    NoMaximum {
        /// The import's maximum.
        required: u64,
    },
    /// The object's maximum exceeds the import's.
    MaximumTooLarge {
        /// The object's maximum.
        actual: u64,
        /// The import's maximum.
        required: u64,
    },
}

impl LimitsMismatch {
    /// Checks that an object with limits `actual` fits an import requiring `expected`.
    pub(crate) fn check(
        expected: &stagec_frontend::Limits,
        actual: &stagec_frontend::Limits,
    ) -> Result<(), LimitsMismatch> {
        if actual.min < expected.min {
            return Err(LimitsMismatch::MinimumTooSmall {
                actual: actual.min,
                required: expected.min,
            });
        }
        if let Some(required) = expected.max {
            match actual.max {
                None => return Err(LimitsMismatch::NoMaximum { required }),
                Some(actual) if actual > required => {
                    return Err(LimitsMismatch::MaximumTooLarge { actual, required });
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

impl fmt::Display for LimitsMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitsMismatch::MinimumTooSmall { actual, required } => write!(
                f,
                "minimum size {actual} is smaller than the required {required}"
            ),
            LimitsMismatch::NoMaximum { required } => {
                write!(f, "no maximum size, but at most {required} is required")
            }
            LimitsMismatch::MaximumTooLarge { actual, required } => {
                write!(f, "maximum size {actual} exceeds the required {required}")
            }
        }
    }
}

/// A preimport could not be bound.
#[derive(Debug)]
pub struct PreimportError {
    /// The provider whose preimport it is; `None` for the module being compiled.
    pub provider: Option<String>,
    /// The import the preimport binds.
    pub import: ImportName,
    /// Why it cannot be bound.
    pub problem: PreimportProblem,
}

/// Why a preimport cannot be bound ([`PreimportError`]).
#[derive(Debug)]
pub enum PreimportProblem {
    /// The module has no such import.
    NotImported,
    /// An import of a provider is not preimported (a provider is instantiated at compile
    /// time, so all of them must be).
    NotBound,
    /// A constant bound to a mutable global import.
    ConstantForMutableGlobal,
    /// A constant of another type than the global import's.
    ValueType {
        /// The import's type.
        expected: ValType,
        /// The constant's.
        actual: ValType,
    },
    /// A constant bound to an import that is not a global.
    NotAGlobal {
        /// The import's kind.
        kind: ExternKind,
    },
    /// A provider's export does not fit the import.
    Mismatch(ImportMismatch),
    /// The provider has no such export.
    NoExport {
        /// The provider.
        provider: String,
        /// The export.
        export: String,
    },
    /// A live object of a store (`Preimport::Extern`) bound without naming the store
    /// it belongs to.
    LiveWithoutStore,
    /// A live object of another store than the one compiled for (or of a store that
    /// has been dropped).
    LiveOfAnotherStore,
    /// Known code's module binds something else than a constant (its instance is
    /// supplied at instantiation, so only constants can be known before).
    KnownCodeBinding,
    /// Known code bound to an import of a provider (a provider is instantiated at compile
    /// time, when no instance of the known code exists yet).
    KnownCodeInProvider,
}

impl fmt::Display for PreimportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let import = &self.import;
        // A missing export names its provider itself.
        let names_provider = matches!(self.problem, PreimportProblem::NoExport { .. });
        if let Some(provider) = self.provider.as_ref().filter(|_| !names_provider) {
            write!(f, "provider {provider}: ")?;
        }
        match &self.problem {
            PreimportProblem::NotImported => {
                write!(f, "the module has no import {import} to bind")
            }
            PreimportProblem::NotBound => write!(
                f,
                "import {import} is not preimported (a provider's imports must all be bound)"
            ),
            PreimportProblem::ConstantForMutableGlobal => write!(
                f,
                "cannot bind a constant to mutable global import {import}; bind a provider's global instead"
            ),
            PreimportProblem::ValueType { expected, actual } => write!(
                f,
                "import {import} is a global of type {expected}, but the value is {actual}"
            ),
            PreimportProblem::NotAGlobal { kind } => write!(
                f,
                "import {import} is a {kind}, not a global: it cannot be bound to a value"
            ),
            PreimportProblem::Mismatch(reason) => write!(f, "import {import}: {reason}"),
            PreimportProblem::NoExport { provider, export } => {
                write!(f, "provider {provider} has no export `{export}`")
            }
            PreimportProblem::LiveWithoutStore => write!(
                f,
                "import {import} is bound to a live object of a store: compile with \
                 `Module::with_preimports_in` (or `Module::from_staged_in`) and that store"
            ),
            PreimportProblem::KnownCodeBinding => write!(
                f,
                "import {import} of known code's module is bound to something else than a \
                 constant"
            ),
            PreimportProblem::KnownCodeInProvider => write!(
                f,
                "import {import} is bound to known code, which only the module compiled (not \
                 a provider) can import"
            ),
            PreimportProblem::LiveOfAnotherStore => write!(
                f,
                "import {import} is bound to a live object of another store, or of a store \
                 that has been dropped: only objects of the store compiled for can be bound"
            ),
        }
    }
}

impl std::error::Error for PreimportError {}
