//! The engine's error type: small, typed, and naming what went wrong where.
//!
//! [`Error`] is two words: every variant with a payload boxes it (but for the exit status
//! of [`Error::Exit`], a bare `i32`), so that `Result<T>` stays small on the paths that
//! return it (calls into wasm above all). Payloads are
//! typed ([`UsageError`], [`PreimportError`], [`ArtifactError`], ...): their fields name
//! the import, stage, provider, offset or types involved, and their `Display` is the
//! message.
//!
//! Every `Display` is complete on its own (it includes the messages of its causes), and
//! [`std::error::Error::source`] also exposes the cause as a typed value. A printer that
//! walks the chain should stop at an [`Error`], as the `stagec` CLI does: the messages of
//! its sources are parts of its own.

mod artifact;
mod import;
mod usage;

pub use artifact::{ArtifactError, RequiredCheck, SnapshotMismatch};
pub use import::{
    ExternType, ImportMismatch, ImportName, IncompatibleImport, LimitsMismatch, PreimportError,
    PreimportProblem, Supplier,
};
pub use usage::{ResourceError, UsageError, ValueRole};

use stagec_environ::TrapKind;
use stagec_frontend::StageKind;
use stagec_runtime::{Backtrace, TrapReason, Trapped};
use std::fmt;
use std::path::PathBuf;

/// A trap: wasm execution stopped abnormally.
#[derive(Debug)]
pub struct Trap {
    reason: TrapReason,
    backtrace: Backtrace,
}

impl Trap {
    pub(crate) fn new(trapped: Trapped) -> Trap {
        Trap {
            reason: trapped.reason,
            backtrace: trapped.backtrace,
        }
    }

    /// The wasm frames active when the trap happened, innermost first: each frame's
    /// function and the operator it was executing (the trapping one, then calls). Empty
    /// for a trap outside wasm code (an instance's initialization).
    pub fn backtrace(&self) -> &Backtrace {
        &self.backtrace
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

impl std::error::Error for Trap {
    /// The host function's error, for a trap raised by one.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.reason {
            TrapReason::Wasm { .. } => None,
            TrapReason::Host(e) => Some(&**e),
        }
    }
}

/// The text format could not be parsed: the first line of the parser's message (the
/// rest quotes the source).
#[derive(Debug)]
pub struct WatError(wat::Error);

impl WatError {
    /// The parser's error, with its full message.
    pub fn wat_error(&self) -> &wat::Error {
        &self.0
    }
}

impl fmt::Display for WatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.0.to_string();
        f.write_str(message.lines().next().unwrap_or_default())
    }
}

/// No source: the parser's error is this one's message with the source quoted
/// ([`WatError::wat_error`]).
impl std::error::Error for WatError {}

/// An error returned by a host function (see [`Error::host`]).
#[derive(Debug)]
pub struct HostError(Box<dyn std::error::Error + Send + Sync>);

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for HostError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// A file could not be read.
#[derive(Debug)]
pub struct IoError {
    /// The file.
    pub path: PathBuf,
    /// The underlying error.
    pub source: std::io::Error,
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// An error attributed to a file, or to a provider (named by its file or, for a stage of
/// a staged module, by the stage).
#[derive(Debug)]
pub struct InFile {
    /// The file (or provider name).
    pub path: PathBuf,
    /// The underlying error.
    pub source: Error,
}

impl fmt::Display for InFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for InFile {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A staged module (or an extension stage) could not be compiled.
#[derive(Debug)]
pub enum StagedError {
    /// Stage `stage` (of kind `kind`) cannot be compiled.
    Stage {
        /// The stage's name.
        stage: String,
        /// Its kind.
        kind: StageKind,
        /// What is wrong with it.
        problem: StageProblem,
    },
    /// A preimport binds an import that no stage has.
    UnusedPreimport(ImportName),
    /// Two `single` stages export the same name (a staged module without `multi` stage
    /// re-exports them all).
    DuplicateExport {
        /// The export's name.
        export: String,
    },
    /// An import of an extension stage is neither a stage of the instance nor preimported.
    ExtensionUnbound(ImportName),
    /// An extension stage imports an export that its stage does not have.
    ExtensionNoExport(ImportName),
    /// The extension stage failed to compile.
    Extension(Error),
}

/// What is wrong with one stage ([`StagedError::Stage`]).
#[derive(Debug)]
pub enum StageProblem {
    /// It imports from a `multi` stage, which has no single instance to refer to.
    ReferencesMulti {
        /// The import.
        import: ImportName,
    },
    /// It imports an export that the earlier stage does not have.
    NoExport {
        /// The import (its module is the earlier stage).
        import: ImportName,
    },
    /// It imports an export of an earlier stage with another type.
    TypeMismatch {
        /// The import.
        import: ImportName,
        /// The import's type.
        imported_as: ExternType,
        /// The export's type.
        exported_as: ExternType,
    },
    /// It imports `stagec.fresh` as something other than an immutable i64 global.
    FreshType {
        /// The import.
        import: ImportName,
    },
    /// An import of a `pre` or `single` stage is neither a stage reference nor preimported.
    Unbound {
        /// The import.
        import: ImportName,
    },
    /// A `pre` or `single` stage imports WASI without a preimport: WASI is not available
    /// at compile time (see docs/staged-modules.md).
    WasiAtCompileTime {
        /// The import.
        import: ImportName,
    },
    /// Compiling it failed.
    Compile(Error),
}

impl fmt::Display for StagedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StagedError::Stage {
                stage,
                kind,
                problem,
            } => write!(f, "stage `{stage}` ({kind}): {problem}"),
            StagedError::UnusedPreimport(import) => write!(f, "no stage imports {import} to bind"),
            StagedError::DuplicateExport { export } => {
                write!(
                    f,
                    "export `{export}` is defined by more than one single stage"
                )
            }
            StagedError::ExtensionUnbound(import) => write!(
                f,
                "extension stage imports {import}, which is neither a stage of the instance nor preimported"
            ),
            StagedError::ExtensionNoExport(import) => write!(
                f,
                "extension stage imports {import}, but stage `{}` has no export `{}`",
                import.module, import.name
            ),
            StagedError::Extension(e) => write!(f, "extension stage: {e}"),
        }
    }
}

impl fmt::Display for StageProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StageProblem::ReferencesMulti { import } => write!(
                f,
                "imports {import}, but stage `{}` is a multi stage",
                import.module
            ),
            StageProblem::NoExport { import } => write!(
                f,
                "imports {import}, but stage `{}` has no export `{}`",
                import.module, import.name
            ),
            StageProblem::TypeMismatch {
                import,
                imported_as,
                exported_as,
            } => write!(
                f,
                "imports {import} as {imported_as}, but stage `{}` exports it as {exported_as}",
                import.module
            ),
            StageProblem::FreshType { import } => {
                write!(f, "imports {import}, which must be an immutable i64 global")
            }
            StageProblem::Unbound { import } => write!(
                f,
                "imports {import}, which is neither a stage reference nor preimported \
                 (imports of pre and single stages are bound at compile time)"
            ),
            StageProblem::WasiAtCompileTime { import } => write!(
                f,
                "imports {import}: WASI is not available at compile time (pre and single \
                 stages run while the module is compiled, and a compilation depends only on \
                 its stages and preimports); pass what the stage needs as a preimport, and \
                 use WASI in the multi stage"
            ),
            StageProblem::Compile(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StagedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StagedError::Stage {
                problem: StageProblem::Compile(e),
                ..
            }
            | StagedError::Extension(e) => Some(e),
            _ => None,
        }
    }
}

/// Any error of the stagec engine.
#[derive(Debug)]
pub enum Error {
    /// The module is malformed, invalid, or uses an unsupported feature.
    Frontend(Box<stagec_frontend::FrontendError>),
    /// The text format could not be parsed.
    Wat(Box<WatError>),
    /// Code generation failed (including function-body validation errors).
    Codegen(Box<stagec_codegen::CodegenError>),
    /// Compiled code could not be loaded.
    Load(Box<stagec_runtime::LoadError>),
    /// A required import was not provided.
    UnknownImport(Box<ImportName>),
    /// An import was provided with the wrong kind or type.
    IncompatibleImport(Box<IncompatibleImport>),
    /// Execution trapped.
    Trap(Box<Trap>),
    /// A resource (memory, table, the deadline watchdog) could not be created.
    Resource(Box<ResourceError>),
    /// A preimport could not be bound (unknown import, wrong type or kind, unknown
    /// provider export, an unbound import of a provider, a live object of no live store).
    Preimport(Box<PreimportError>),
    /// A staged module could not be compiled (the error names the stage and import).
    Staged(Box<StagedError>),
    /// An API call was given arguments that do not fit (wrong count or types, objects of
    /// another store, an option the engine was not configured with).
    Usage(Box<UsageError>),
    /// A serialized artifact (a precompiled module or a cache entry) cannot be used:
    /// malformed, truncated, corrupted, or made by another engine version or for another
    /// target.
    Artifact(Box<ArtifactError>),
    /// An error of a host function ([`Error::host`]).
    Host(Box<HostError>),
    /// The program ended itself with this exit status (WASI `proc_exit`): a host function
    /// returned `Error::Exit(n)`, which unwinds through the wasm frames like a trap and
    /// comes out of the call as this same error (not as a [`Trap`]). The store and engine
    /// stay usable.
    Exit(i32),
    /// The engine denies compilation from bytes ([`Config::deny_compilation`]).
    ///
    /// [`Config::deny_compilation`]: crate::Config::deny_compilation
    CompilationDenied,
    /// A file could not be read.
    Io(Box<IoError>),
    /// An error attributed to a file (or a provider).
    InFile(Box<InFile>),
}

impl Error {
    /// An error for a host function to return: its message is `error`'s, and
    /// [`source`](std::error::Error::source) leads to it.
    pub fn host(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
        Error::Host(Box::new(HostError(error.into())))
    }

    /// The error a host function returned through [`Error::host`], when this error is the
    /// trap that returning it raised: given back as the host made it (to be downcast to
    /// its type); otherwise `Err(self)`.
    pub fn into_host_error(
        self,
    ) -> std::result::Result<Box<dyn std::error::Error + Send + Sync>, Error> {
        let Error::Trap(trap) = self else {
            return Err(self);
        };
        let Trap { reason, backtrace } = *trap;
        let trap = |reason| Err(Error::Trap(Box::new(Trap { reason, backtrace })));
        match reason {
            TrapReason::Host(error) => match error.downcast::<Error>() {
                Ok(engine_error) => match *engine_error {
                    Error::Host(host) => Ok(host.0),
                    other => trap(TrapReason::Host(Box::new(other))),
                },
                Err(error) => trap(TrapReason::Host(error)),
            },
            reason => trap(reason),
        }
    }

    /// `source` attributed to the file (or provider) `path`.
    pub(crate) fn in_file(path: impl Into<PathBuf>, source: Error) -> Error {
        Error::InFile(Box::new(InFile {
            path: path.into(),
            source,
        }))
    }

    /// Reading `path` failed.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io(Box::new(IoError {
            path: path.into(),
            source,
        }))
    }

    /// The trap, if this error is one.
    pub fn as_trap(&self) -> Option<&Trap> {
        match self {
            Error::Trap(t) => Some(&**t),
            Error::InFile(e) => e.source.as_trap(),
            _ => None,
        }
    }

    /// The exit status, if the program ended itself (see [`Error::Exit`]).
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Error::Exit(code) => Some(*code),
            Error::InFile(e) => e.source.exit_code(),
            _ => None,
        }
    }

    /// Whether the module was rejected only for using a feature stagec does not support.
    pub fn is_unsupported(&self) -> bool {
        match self {
            Error::Frontend(e) => e.is_unsupported(),
            Error::Codegen(e) => e.is_unsupported(),
            Error::InFile(e) => e.source.is_unsupported(),
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
            Error::UnknownImport(import) => {
                write!(f, "unknown import: {import} has not been defined")
            }
            Error::IncompatibleImport(e) => write!(f, "{e}"),
            Error::Trap(t) => write!(f, "{t}"),
            Error::Resource(e) => write!(f, "{e}"),
            Error::Usage(e) => write!(f, "{e}"),
            Error::Preimport(e) => write!(f, "preimport: {e}"),
            Error::Staged(e) => write!(f, "{e}"),
            Error::Artifact(e) => write!(f, "invalid compiled artifact: {e}"),
            Error::Host(e) => write!(f, "{e}"),
            Error::Exit(code) => write!(f, "exited with status {code}"),
            Error::CompilationDenied => {
                f.write_str("compilation from bytes is disabled; load a precompiled artifact")
            }
            Error::Io(e) => write!(f, "{e}"),
            Error::InFile(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    /// The payload of the variant (its message is part of this error's).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Frontend(e) => Some(&**e),
            Error::Wat(e) => Some(&**e),
            Error::Codegen(e) => Some(&**e),
            Error::Load(e) => Some(&**e),
            // An import's name is not a cause.
            Error::UnknownImport(_) => None,
            Error::IncompatibleImport(e) => Some(&**e),
            Error::Trap(e) => Some(&**e),
            Error::Resource(e) => Some(&**e),
            Error::Preimport(e) => Some(&**e),
            Error::Staged(e) => Some(&**e),
            Error::Usage(e) => Some(&**e),
            Error::Artifact(e) => Some(&**e),
            // The host function's error itself (its wrapper adds nothing).
            Error::Host(e) => Some(&*e.0),
            Error::Exit(_) | Error::CompilationDenied => None,
            Error::Io(e) => Some(&**e),
            Error::InFile(e) => Some(&**e),
        }
    }
}

/// Conversions of every payload into its variant.
macro_rules! from_payload {
    ($($payload:ty => $variant:ident),* $(,)?) => {
        $(impl From<$payload> for Error {
            fn from(e: $payload) -> Self {
                Error::$variant(Box::new(e))
            }
        })*
    };
}

from_payload! {
    stagec_frontend::FrontendError => Frontend,
    WatError => Wat,
    stagec_codegen::CodegenError => Codegen,
    stagec_runtime::LoadError => Load,
    IncompatibleImport => IncompatibleImport,
    Trap => Trap,
    ResourceError => Resource,
    PreimportError => Preimport,
    StagedError => Staged,
    UsageError => Usage,
    ArtifactError => Artifact,
}

impl From<SnapshotMismatch> for Error {
    fn from(e: SnapshotMismatch) -> Self {
        ArtifactError::Snapshot(e).into()
    }
}

impl From<wat::Error> for Error {
    fn from(e: wat::Error) -> Self {
        WatError(e).into()
    }
}

impl From<TrapReason> for Error {
    /// A trap without wasm frames.
    fn from(r: TrapReason) -> Self {
        Trapped::from(r).into()
    }
}

impl From<Trapped> for Error {
    /// A trap, except that an exit a host function asked for ([`Error::Exit`]) stays an
    /// exit.
    fn from(trapped: Trapped) -> Self {
        let Trapped { reason, backtrace } = trapped;
        let reason = match reason {
            TrapReason::Host(e) => match e.downcast::<Error>() {
                Ok(e) if matches!(*e, Error::Exit(_)) => return *e,
                Ok(e) => TrapReason::Host(e),
                Err(e) => TrapReason::Host(e),
            },
            wasm => wasm,
        };
        Trap::new(Trapped { reason, backtrace }).into()
    }
}

/// Result with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn an_error_is_two_words() {
        assert_eq!(size_of::<Error>(), 2 * size_of::<usize>());
        assert_eq!(size_of::<Result<()>>(), 2 * size_of::<usize>());
    }

    /// The messages of `e` and its sources, each ending the one before.
    fn chain(e: &Error) -> Vec<String> {
        let mut chain = vec![e.to_string()];
        let mut next = e.source();
        while let Some(s) = next {
            assert!(chain.last().unwrap().ends_with(&s.to_string()), "{chain:?}");
            chain.push(s.to_string());
            next = s.source();
        }
        chain
    }

    #[test]
    fn sources_are_typed_and_their_messages_end_the_message() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = Error::in_file("a.wat", Error::io("b.wasm", io));
        assert_eq!(e.to_string(), "a.wat: b.wasm: gone");
        assert_eq!(chain(&e).len(), 5);
        assert_eq!(chain(&e).last().unwrap(), "gone");
        let in_file = e.source().unwrap().downcast_ref::<InFile>().unwrap();
        assert!(matches!(in_file.source, Error::Io(_)));

        let host = Error::host("negative input");
        assert_eq!(host.to_string(), "negative input");
        assert_eq!(host.source().unwrap().to_string(), "negative input");

        let import = ImportName::new("env", "f");
        let decode = stagec_environ::codec::Reader::new(&[])
            .u8("flag")
            .unwrap_err();
        let samples: Vec<Error> = vec![
            Error::UnknownImport(Box::new(import.clone())),
            StagedError::Stage {
                stage: "m".into(),
                kind: StageKind::Multi,
                problem: StageProblem::Compile(ArtifactError::Header(decode).into()),
            }
            .into(),
            StagedError::Extension(UsageError::OtherStore.into()).into(),
            PreimportError {
                provider: Some("p.wat".into()),
                import,
                problem: PreimportProblem::LiveWithoutStore,
            }
            .into(),
            ResourceError::TableTooLarge.into(),
        ];
        let lengths: Vec<usize> = samples.iter().map(|e| chain(e).len()).collect();
        assert_eq!(lengths, [1, 5, 4, 2, 2]);
    }
}
