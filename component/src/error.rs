//! The component crate's error type.

use crate::types::{LiftError, ScalarType};
use std::fmt;
use std::path::PathBuf;

/// Any error of loading, instantiating or calling a component.
#[derive(Debug)]
pub enum Error {
    /// The component text could not be parsed.
    Wat(wat::Error),
    /// The bytes are a core module, not a component.
    NotAComponent,
    /// The component is malformed or invalid (wasmparser's component validator).
    Invalid(wasmparser::BinaryReaderError),
    /// The component's parts do not fit together although it validated (a wasmparser
    /// bug, or a construct this crate reads wrongly).
    Malformed {
        /// What did not fit.
        reason: &'static str,
        /// Byte offset in the component.
        offset: u64,
    },
    /// The component uses a construct outside the subset (see `docs/components.md`).
    Unsupported {
        /// The construct, as the component model names it (`resource type`, `string`,
        /// `canon lower option memory`, `nested component`, ...).
        construct: String,
        /// Byte offset of the construct in the component binary.
        offset: u64,
    },
    /// A static core module failed to compile.
    Compile {
        /// Index of the module in the component's list of static modules.
        module: usize,
        /// The engine's error.
        source: stagec::Error,
    },
    /// The engine could not make the host function of a lowered import.
    Lower {
        /// The import.
        import: String,
        /// The engine's error.
        source: stagec::Error,
    },
    /// The linker does not define an import of the component.
    MissingImport {
        /// The import's name.
        name: String,
    },
    /// Instantiating a core instance failed (an import rejected by the engine, a trap in
    /// a segment initializer or a start function).
    Instantiate {
        /// The core instance (index in the component's core instance index space).
        instance: u32,
        /// The static module it instantiates.
        module: usize,
        /// The engine's error.
        source: stagec::Error,
    },
    /// The component has no exported function of that name.
    UnknownExport {
        /// The name asked for.
        name: String,
    },
    /// A call was given values that do not fit the function's type.
    Signature {
        /// The export or import called.
        func: String,
        /// What did not fit.
        reason: SignatureMismatch,
    },
    /// A value crossing the component boundary could not be lifted (a `char` that is not
    /// a Unicode scalar value): a trap of the canonical ABI.
    Lift {
        /// The export whose result, or the import whose argument, it was.
        func: String,
        /// Why.
        source: LiftError,
    },
    /// A host function defined in the linker returned an error.
    Host {
        /// The import.
        import: String,
        /// The host's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A call into the component's core code failed (a trap).
    Call {
        /// The export called.
        export: String,
        /// The engine's error.
        source: stagec::Error,
    },
    /// The component instance trapped earlier; like wasmtime, it cannot be entered again.
    Poisoned,
    /// A file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A static module index outside the component's list.
    UnknownModule {
        /// The index given.
        module: usize,
    },
}

/// How values did not fit a function's type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureMismatch {
    /// Wrong number of values.
    Count {
        /// Parameters or results.
        what: &'static str,
        /// How many the type has.
        expected: usize,
        /// How many were given.
        found: usize,
    },
    /// A value of the wrong type.
    Type {
        /// Parameters or results.
        what: &'static str,
        /// Position.
        index: usize,
        /// The type's.
        expected: ScalarType,
        /// The value's.
        found: ScalarType,
    },
}

impl fmt::Display for SignatureMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureMismatch::Count {
                what,
                expected,
                found,
            } => write!(f, "expected {expected} {what}, got {found}"),
            SignatureMismatch::Type {
                what,
                index,
                expected,
                found,
            } => write!(f, "{what} {index} has type {found}, expected {expected}"),
        }
    }
}

impl Error {
    /// Whether the component was refused only for using a construct outside the subset.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, Error::Unsupported { .. })
    }

    /// The byte offset in the component the error refers to, when it has one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Unsupported { offset, .. } | Error::Malformed { offset, .. } => Some(*offset),
            Error::Invalid(e) => Some(e.offset()),
            _ => None,
        }
    }

    /// Whether this is a trap: of core code, of the canonical ABI (an invalid `char`), an
    /// error of a host function, or entering a poisoned instance.
    pub fn is_trap(&self) -> bool {
        match self {
            Error::Call { source, .. } | Error::Instantiate { source, .. } => {
                source.as_trap().is_some()
            }
            Error::Lift { .. } | Error::Host { .. } | Error::Poisoned => true,
            _ => false,
        }
    }

    /// The core trap kind, if this is a trap raised by core wasm code.
    pub fn trap_kind(&self) -> Option<stagec::TrapKind> {
        match self {
            Error::Call { source, .. } | Error::Instantiate { source, .. } => {
                source.as_trap().and_then(|t| t.kind())
            }
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Wat(e) => write!(f, "{e}"),
            Error::NotAComponent => f.write_str("this is a core module, not a component"),
            Error::Invalid(e) => write!(
                f,
                "invalid component: {} (at offset {:#x})",
                e.message(),
                e.offset()
            ),
            Error::Malformed { reason, offset } => {
                write!(f, "malformed component: {reason} (at offset {offset:#x})")
            }
            Error::Unsupported { construct, offset } => write!(
                f,
                "unsupported: {construct} is outside the module-linking subset \
                 (at offset {offset:#x})"
            ),
            Error::Compile { module, .. } => write!(f, "core module {module} does not compile"),
            Error::Lower { import, .. } => {
                write!(f, "cannot make the host function of import `{import}`")
            }
            Error::MissingImport { name } => {
                write!(f, "the linker defines no function for import `{name}`")
            }
            Error::Instantiate {
                instance, module, ..
            } => write!(
                f,
                "instantiating core instance {instance} (module {module}) failed"
            ),
            Error::UnknownExport { name } => {
                write!(f, "the component exports no function `{name}`")
            }
            Error::Signature { func, reason } => write!(f, "calling `{func}`: {reason}"),
            Error::Lift { func, .. } => write!(f, "lifting a value of `{func}` failed"),
            Error::Host { import, .. } => write!(f, "host function `{import}` failed"),
            Error::Call { export, .. } => write!(f, "calling `{export}` failed"),
            Error::Poisoned => f.write_str(
                "cannot enter the component instance: it trapped before (it is poisoned)",
            ),
            Error::Io { path, .. } => write!(f, "cannot read {}", path.display()),
            Error::UnknownModule { module } => {
                write!(f, "the component has no static module {module}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Compile { source, .. }
            | Error::Lower { source, .. }
            | Error::Instantiate { source, .. }
            | Error::Call { source, .. } => Some(source),
            Error::Lift { source, .. } => Some(source),
            Error::Host { source, .. } => Some(&**source),
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Result with the component crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
