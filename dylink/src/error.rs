//! The crate's typed errors: a malformed `dylink.0` section, a module that cannot be
//! inspected, a module the loader cannot load, a library the linker cannot link.

use std::fmt;
use std::path::PathBuf;

/// A malformed `dylink.0` section, at byte `offset` of the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dylink0Error {
    /// Module offset where the problem was found.
    pub offset: usize,
    /// What is wrong.
    pub problem: Dylink0Problem,
}

/// What is wrong with a `dylink.0` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dylink0Problem {
    /// The section ends inside a subsection header, an integer or a string.
    Truncated,
    /// A subsection's contents end before its declared size.
    SubsectionSize {
        /// The subsection id.
        id: u8,
        /// Its declared size.
        declared: u32,
        /// The bytes its contents take.
        used: u32,
    },
    /// A subsection's contents need more bytes than its declared size.
    SubsectionOverrun {
        /// The subsection id.
        id: u8,
        /// Its declared size.
        declared: u32,
    },
    /// An integer does not fit in 32 bits.
    IntegerTooLarge,
    /// A name is not UTF-8.
    InvalidUtf8,
    /// The section is not the module's first section.
    NotFirst,
    /// The module around the section is malformed (wasmparser's message).
    Module(String),
}

impl fmt::Display for Dylink0Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed dylink.0 section at offset {:#x}: ",
            self.offset
        )?;
        match &self.problem {
            Dylink0Problem::Truncated => write!(f, "unexpected end of section"),
            Dylink0Problem::SubsectionSize { id, declared, used } => write!(
                f,
                "subsection {id} declares {declared} bytes but its contents take {used}"
            ),
            Dylink0Problem::SubsectionOverrun { id, declared } => write!(
                f,
                "subsection {id} declares {declared} bytes but its contents run past them"
            ),
            Dylink0Problem::IntegerTooLarge => write!(f, "integer too large"),
            Dylink0Problem::InvalidUtf8 => write!(f, "name is not UTF-8"),
            Dylink0Problem::NotFirst => write!(f, "it must be the module's first section"),
            Dylink0Problem::Module(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for Dylink0Error {}

/// A module that cannot be inspected.
#[derive(Debug)]
pub enum InspectError {
    /// The binary is malformed (wasmparser's error, with its offset).
    Binary(wasmparser::BinaryReaderError),
    /// A type the engine does not represent (e.g. a typed function reference).
    Unsupported {
        /// Module offset of the construct.
        offset: usize,
        /// What it is.
        what: String,
    },
    /// The `dylink.0` section is malformed.
    Dylink0(Dylink0Error),
}

impl fmt::Display for InspectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InspectError::Binary(e) => write!(f, "malformed module: {e}"),
            InspectError::Unsupported { offset, what } => {
                write!(f, "unsupported {what} at offset {offset:#x}")
            }
            InspectError::Dylink0(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for InspectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InspectError::Binary(e) => Some(e),
            InspectError::Dylink0(e) => Some(e),
            InspectError::Unsupported { .. } => None,
        }
    }
}

impl From<wasmparser::BinaryReaderError> for InspectError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        InspectError::Binary(e)
    }
}

impl From<Dylink0Error> for InspectError {
    fn from(e: Dylink0Error) -> Self {
        InspectError::Dylink0(e)
    }
}

/// A module the loader cannot load, compile or instantiate.
#[derive(Debug)]
pub enum LoadError {
    /// No registered source has a module of this id.
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// The id cannot name a module of a directory source (empty, `.`, `..`, or with a
    /// path separator or NUL).
    InvalidId {
        /// The id asked for.
        id: String,
    },
    /// The host built the loader without the capability to compile.
    CompilationDenied,
    /// Reading a source's file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The instance has no export of that name (or not of the kind asked for).
    NoExport {
        /// The export asked for.
        name: String,
    },
    /// The engine failed (deserializing, compiling or instantiating); `id` names the
    /// module when it came from a source.
    Engine {
        /// The module's id, if it was loaded by id.
        id: Option<String>,
        /// The engine's error.
        source: stagec::Error,
    },
}

impl LoadError {
    pub(crate) fn engine(id: Option<&str>) -> impl FnOnce(stagec::Error) -> LoadError {
        let id = id.map(str::to_string);
        move |source| LoadError::Engine { id, source }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NotFound { id } => write!(f, "no module `{id}` in the loader's sources"),
            LoadError::InvalidId { id } => write!(f, "`{id}` is not a valid module id"),
            LoadError::CompilationDenied => write!(
                f,
                "compiling from bytes is denied by this loader: only precompiled modules load"
            ),
            LoadError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            LoadError::NoExport { name } => write!(f, "no export `{name}`"),
            LoadError::Engine {
                id: Some(id),
                source,
            } => write!(f, "module `{id}`: {source}"),
            LoadError::Engine { id: None, source } => source.fmt(f),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Io { source, .. } => Some(source),
            LoadError::Engine { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A library the dynamic linker cannot load or link. Every variant names the library.
#[derive(Debug)]
pub enum LinkError {
    /// The main module lacks an export the linker needs (its memory, table, stack
    /// pointer or allocator).
    MainExport {
        /// The export.
        name: String,
    },
    /// No library of this name on the search path.
    NotFound {
        /// The library's name.
        library: String,
    },
    /// The module has no `dylink.0` section.
    NotALibrary {
        /// The library's name.
        library: String,
    },
    /// Libraries that need each other (each needs the next; the last is the first).
    Cycle {
        /// The chain of names.
        chain: Vec<String>,
    },
    /// A strong symbol nothing defines.
    Undefined {
        /// The library importing it.
        library: String,
        /// The symbol.
        symbol: String,
    },
    /// A function import whose definition has another signature.
    Signature {
        /// The library importing it.
        library: String,
        /// The symbol.
        symbol: String,
        /// The import's type.
        expected: stagec::FuncType,
        /// The definition's type.
        actual: stagec::FuncType,
    },
    /// An import the dynamic-linking convention does not define.
    UnsupportedImport {
        /// The library.
        library: String,
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
    /// The library's memory could not be allocated (the main module's allocator
    /// returned 0).
    Allocation {
        /// The library.
        library: String,
        /// The bytes asked for.
        size: u32,
    },
    /// The module cannot be inspected.
    Inspect {
        /// The library.
        library: String,
        /// Why.
        source: InspectError,
    },
    /// The loader failed (the library is not precompiled and compiling is denied, or
    /// compiling or instantiating failed).
    Load {
        /// The library.
        library: String,
        /// Why.
        source: LoadError,
    },
    /// The engine failed (growing the table, running relocations or constructors).
    Engine {
        /// The library.
        library: String,
        /// Why.
        source: stagec::Error,
    },
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::MainExport { name } => write!(f, "the main module does not export `{name}`"),
            LinkError::NotFound { library } => write!(f, "{library}: library not found"),
            LinkError::NotALibrary { library } => {
                write!(f, "{library}: not a shared library (no dylink.0 section)")
            }
            LinkError::Cycle { chain } => {
                write!(f, "libraries need each other: {}", chain.join(" -> "))
            }
            LinkError::Undefined { library, symbol } => {
                write!(f, "{library}: undefined symbol `{symbol}`")
            }
            LinkError::Signature {
                library,
                symbol,
                expected,
                actual,
            } => write!(
                f,
                "{library}: symbol `{symbol}` imported as {expected} but defined as {actual}"
            ),
            LinkError::UnsupportedImport {
                library,
                module,
                name,
            } => write!(f, "{library}: unsupported import `{module}.{name}`"),
            LinkError::Allocation { library, size } => {
                write!(f, "{library}: cannot allocate {size} bytes of memory")
            }
            LinkError::Inspect { library, source } => write!(f, "{library}: {source}"),
            LinkError::Load { library, source } => write!(f, "{library}: {source}"),
            LinkError::Engine { library, source } => write!(f, "{library}: {source}"),
        }
    }
}

impl std::error::Error for LinkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LinkError::Inspect { source, .. } => Some(source),
            LinkError::Load { source, .. } => Some(source),
            LinkError::Engine { source, .. } => Some(source),
            _ => None,
        }
    }
}
