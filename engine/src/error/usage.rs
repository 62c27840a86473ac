//! Errors of API use (arguments that do not fit) and of resources that cannot be had.

use stagec_frontend::ValType;
use std::fmt;

/// What a list of values is, in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueRole {
    /// Arguments of a call.
    Argument,
    /// Results of a host function.
    Result,
    /// The value of a global or table element.
    Value,
}

impl fmt::Display for ValueRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueRole::Argument => "argument",
            ValueRole::Result => "result",
            ValueRole::Value => "value",
        })
    }
}

/// An API call was given arguments that do not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageError {
    /// Instantiation was given another number of imports than the module has.
    ImportCount {
        /// The module's (runtime) imports.
        expected: usize,
        /// The imports given.
        given: usize,
    },
    /// The module is bound to live objects of another store.
    OtherStore,
    /// A call was given a result buffer of another length than the function's results.
    ResultCount {
        /// The function's results.
        expected: usize,
        /// The buffer's length.
        given: usize,
    },
    /// Another number of values than the types.
    ValueCount {
        /// What the values are.
        role: ValueRole,
        /// How many the types want.
        expected: usize,
        /// How many were given.
        given: usize,
    },
    /// A value of another type.
    ValueType {
        /// What the value is.
        role: ValueRole,
        /// Its position.
        index: usize,
        /// Its type.
        actual: ValType,
        /// The type wanted.
        expected: ValType,
    },
    /// A function reference of another store.
    ForeignFuncRef {
        /// What the value is.
        role: ValueRole,
        /// Its position.
        index: usize,
    },
    /// Setting an immutable global.
    ImmutableGlobal,
    /// A table element index past the table's end.
    TableIndex {
        /// The index.
        index: u32,
    },
    /// A store operation needing an option the engine was not configured with.
    NotConfigured {
        /// The [`Config`](crate::Config) field.
        option: &'static str,
    },
    /// No exported function of that name, and not a function index.
    NoFunction {
        /// The name (or index) asked for.
        name: String,
    },
    /// The function is imported: it has no code in the module.
    ImportedFunction {
        /// The name (or index) asked for.
        name: String,
    },
    /// A module bound to live objects of a store cannot be serialized.
    NotSerializable,
    /// A value that does not parse as its type.
    InvalidValue {
        /// The type.
        ty: ValType,
        /// The value as written.
        text: String,
    },
    /// Only a null function reference can be written as text.
    FuncRefValue {
        /// The value as written.
        text: String,
    },
    /// A binding that is none of `MOD.NAME=VALUE`, `MOD.NAME=@FILE#EXPORT`, `MOD=@FILE`.
    BindingSyntax {
        /// The binding as written.
        text: String,
    },
    /// A binding `MOD.NAME=@...` without `FILE#EXPORT`.
    BindingExportSyntax {
        /// The binding as written.
        text: String,
    },
    /// Known code naming a function that is not a defined function of its module.
    KnownCodeFunction {
        /// The function index given.
        func: u32,
    },
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::ImportCount { expected, given } => {
                write!(f, "module has {expected} imports, {given} were given")
            }
            UsageError::OtherStore => f.write_str(
                "this module was compiled against objects of another store; instantiate it there",
            ),
            UsageError::ResultCount { expected, given } => {
                write!(f, "expected {expected} results, got a buffer of {given}")
            }
            UsageError::ValueCount {
                role,
                expected,
                given,
            } => write!(f, "expected {expected} {role}s, got {given}"),
            UsageError::ValueType {
                role,
                index,
                actual,
                expected,
            } => write!(f, "{role} {index} has type {actual}, expected {expected}"),
            UsageError::ForeignFuncRef { role, index } => {
                write!(f, "{role} {index} belongs to another store")
            }
            UsageError::ImmutableGlobal => f.write_str("cannot set an immutable global"),
            UsageError::TableIndex { .. } => f.write_str("table index out of bounds"),
            UsageError::NotConfigured { option } => {
                write!(f, "the engine was not configured with `Config::{option}`")
            }
            UsageError::NoFunction { name } => {
                write!(f, "no exported function or function index `{name}`")
            }
            UsageError::ImportedFunction { name } => {
                write!(f, "function `{name}` is imported; it has no code here")
            }
            UsageError::NotSerializable => f.write_str(
                "this module is bound to live objects of a store; it cannot be serialized",
            ),
            UsageError::InvalidValue { ty, text } => write!(f, "invalid {ty} `{text}`"),
            UsageError::FuncRefValue { text } => {
                write!(f, "only `null` can be passed as a funcref, not `{text}`")
            }
            UsageError::BindingSyntax { text } => {
                write!(f, "`{text}`: expected MOD.NAME=VALUE or MOD=@FILE")
            }
            UsageError::BindingExportSyntax { text } => {
                write!(f, "`{text}`: expected @FILE#EXPORT")
            }
            UsageError::KnownCodeFunction { func } => write!(
                f,
                "known code names function {func}, which is not a defined function of its module"
            ),
        }
    }
}

impl std::error::Error for UsageError {}

/// A resource could not be created.
#[derive(Debug)]
pub enum ResourceError {
    /// A memory could not be created.
    Memory(stagec_runtime::MemoryError),
    /// `Memory::grow` beyond the memory's maximum or the engine's limit.
    MemoryGrow {
        /// The pages asked for.
        delta: u64,
    },
    /// A table larger than stagec supports.
    TableTooLarge,
    /// `Table::grow` beyond the table's maximum or stagec's limit.
    TableGrow {
        /// The elements asked for.
        delta: u32,
    },
    /// The thread that enforces deadlines could not be started.
    Watchdog,
}

impl fmt::Display for ResourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceError::Memory(e) => write!(f, "{e}"),
            ResourceError::MemoryGrow { .. } => f.write_str("memory cannot grow that far"),
            ResourceError::TableTooLarge => f.write_str("table too large"),
            ResourceError::TableGrow { .. } => f.write_str("table cannot grow that far"),
            ResourceError::Watchdog => f.write_str("cannot start the deadline watchdog thread"),
        }
    }
}

impl std::error::Error for ResourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ResourceError::Memory(e) => Some(e),
            _ => None,
        }
    }
}
