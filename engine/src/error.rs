//! The engine's error type: small, typed, and naming what went wrong where.

use stagec_runtime::{TrapKind, TrapReason};
use std::fmt;
use std::path::PathBuf;

/// A trap: wasm execution stopped abnormally.
#[derive(Debug)]
pub struct Trap {
    reason: TrapReason,
}

impl Trap {
    pub(crate) fn new(reason: TrapReason) -> Trap {
        Trap { reason }
    }

    /// The kind of trap, if it was raised by wasm code (not by a host function).
    pub fn kind(&self) -> Option<TrapKind> {
        match &self.reason {
            TrapReason::Wasm { kind, .. } => Some(*kind),
            TrapReason::Host(_) => None,
        }
    }

    /// Byte offset in the module of the trapping operator, when known.
    pub fn wasm_offset(&self) -> Option<u32> {
        match &self.reason {
            TrapReason::Wasm { wasm_offset, .. } => *wasm_offset,
            TrapReason::Host(_) => None,
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            TrapReason::Wasm {
                kind,
                wasm_offset: Some(off),
            } => write!(f, "wasm trap: {kind} (at wasm offset {off:#x})"),
            TrapReason::Wasm { kind, .. } => write!(f, "wasm trap: {kind}"),
            TrapReason::Host(e) => write!(f, "host function error: {e}"),
        }
    }
}

/// Any error of the stagec engine.
#[derive(Debug)]
pub enum Error {
    /// The module is malformed, invalid, or uses an unsupported feature.
    Frontend(stagec_frontend::FrontendError),
    /// The text format could not be parsed.
    Wat(String),
    /// Code generation failed (including function-body validation errors).
    Codegen(stagec_codegen::CodegenError),
    /// Compiled code could not be loaded.
    Load(stagec_runtime::LoadError),
    /// A required import was not provided.
    UnknownImport {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
    },
    /// An import was provided with the wrong kind or type.
    IncompatibleImport {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
        /// What did not match.
        reason: String,
    },
    /// Execution trapped.
    Trap(Trap),
    /// The program ended itself with this exit status (WASI `proc_exit`): a host function
    /// returned `Error::Exit(n)`, which unwinds through the wasm frames like a trap. The
    /// store stays usable.
    Exit(i32),
    /// An error raised by a host function, passed through the wasm frames that called it
    /// (see [`Trap`] for how it surfaces from a call).
    Host(Box<dyn std::error::Error + Send + Sync>),
    /// A resource (memory, table) could not be created.
    Resource(String),
    /// A preimport could not be bound (unknown import, wrong type or kind, unknown
    /// provider export, an unbound import of a provider).
    Preimport(String),
    /// A staged module could not be compiled (the message names the stage and import).
    Staged(String),
    /// An API call was given arguments that do not fit (wrong count or types).
    Usage(String),
    /// A serialized artifact (a precompiled module or a cache entry) cannot be used:
    /// malformed, truncated, corrupted, or made by another engine version or for another
    /// target.
    Artifact(String),
    /// The engine denies compilation from bytes ([`Config::deny_compilation`]).
    ///
    /// [`Config::deny_compilation`]: crate::Config::deny_compilation
    CompilationDenied,
    /// A file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An error attributed to a file.
    InFile {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: Box<Error>,
    },
}

impl Error {
    /// The trap, if this error is one.
    pub fn as_trap(&self) -> Option<&Trap> {
        match self {
            Error::Trap(t) => Some(t),
            Error::InFile { source, .. } => source.as_trap(),
            _ => None,
        }
    }

    /// The exit status, if the program ended itself (see [`Error::Exit`]).
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Error::Exit(code) => Some(*code),
            Error::InFile { source, .. } => source.exit_code(),
            _ => None,
        }
    }

    /// Whether the module was rejected only for using a feature stagec does not support.
    pub fn is_unsupported(&self) -> bool {
        match self {
            Error::Frontend(e) => e.unsupported,
            Error::Codegen(e) => e.unsupported,
            Error::InFile { source, .. } => source.is_unsupported(),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Frontend(e) => write!(f, "{e}"),
            Error::Wat(e) => write!(f, "{e}"),
            Error::Codegen(e) => write!(f, "{e}"),
            Error::Load(e) => write!(f, "{e}"),
            Error::UnknownImport { module, name } => {
                write!(
                    f,
                    "unknown import: `{module}`.`{name}` has not been defined"
                )
            }
            Error::IncompatibleImport {
                module,
                name,
                reason,
            } => write!(
                f,
                "incompatible import type for `{module}`.`{name}`: {reason}"
            ),
            Error::Trap(t) => write!(f, "{t}"),
            Error::Exit(code) => write!(f, "exited with status {code}"),
            Error::Host(e) => write!(f, "{e}"),
            Error::Resource(e) => write!(f, "{e}"),
            Error::Usage(e) => write!(f, "{e}"),
            Error::Preimport(e) => write!(f, "preimport: {e}"),
            Error::Staged(e) => write!(f, "{e}"),
            Error::Artifact(e) => write!(f, "invalid compiled artifact: {e}"),
            Error::CompilationDenied => {
                f.write_str("compilation from bytes is disabled; load a precompiled artifact")
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::InFile { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {}

impl From<stagec_frontend::FrontendError> for Error {
    fn from(e: stagec_frontend::FrontendError) -> Self {
        Error::Frontend(e)
    }
}
impl From<stagec_codegen::CodegenError> for Error {
    fn from(e: stagec_codegen::CodegenError) -> Self {
        Error::Codegen(e)
    }
}
impl From<stagec_runtime::LoadError> for Error {
    fn from(e: stagec_runtime::LoadError) -> Self {
        Error::Load(e)
    }
}
impl From<TrapReason> for Error {
    /// A trap, except that an exit requested by a host function stays an exit.
    fn from(r: TrapReason) -> Self {
        match r {
            TrapReason::Host(e) => match e.downcast::<Error>() {
                Ok(e) if matches!(*e, Error::Exit(_)) => *e,
                Ok(e) => Error::Trap(Trap::new(TrapReason::Host(e))),
                Err(e) => Error::Trap(Trap::new(TrapReason::Host(e))),
            },
            other => Error::Trap(Trap::new(other)),
        }
    }
}

/// Result with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
