//! The crate's error type.

use std::fmt;
use std::path::PathBuf;

/// What can go wrong setting up or running a WASI program.
#[derive(Debug)]
pub enum WasiError {
    /// A preopened directory could not be opened.
    Preopen {
        /// The directory on the host.
        host: PathBuf,
        /// Why it could not be opened.
        source: std::io::Error,
    },
    /// An argument or environment entry cannot be passed to the program (it contains a NUL
    /// byte, or an `=` in a variable's name, or the total is too large).
    InvalidString {
        /// What the string is: "argument", "environment variable".
        what: &'static str,
        /// The string.
        value: String,
    },
    /// The preview 1 functions need the caller's exported memory `memory`.
    MissingMemory {
        /// The WASI function that was called.
        function: &'static str,
    },
    /// A WASI function trapped (a guest pointer out of bounds or misaligned, an exit
    /// status out of range, ...), as the preview 1 specification requires.
    Trap {
        /// The WASI function.
        function: &'static str,
        /// What wasi-common reported.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// `bench.end` was called without a matching `bench.start`.
    BenchEndWithoutStart,
    /// The module is not a WASI command: it exports no `_start` function.
    MissingStart,
    /// An error of the engine (compilation, instantiation, a trap of the program).
    Engine(stagec::Error),
}

impl fmt::Display for WasiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WasiError::Preopen { host, source } => {
                write!(f, "cannot preopen directory {}: {source}", host.display())
            }
            WasiError::InvalidString { what, value } => {
                write!(f, "invalid {what} for a WASI program: {value:?}")
            }
            WasiError::MissingMemory { function } => write!(
                f,
                "`{}`.`{function}` needs the calling module to export its memory as `memory`",
                crate::MODULE
            ),
            WasiError::Trap { function, source } => {
                write!(f, "`{}`.`{function}`: {source}", crate::MODULE)
            }
            WasiError::BenchEndWithoutStart => {
                f.write_str("`bench`.`end` called without a matching `bench`.`start`")
            }
            WasiError::MissingStart => {
                f.write_str("the module is not a WASI command: it exports no `_start` function")
            }
            WasiError::Engine(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for WasiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WasiError::Preopen { source, .. } => Some(source),
            WasiError::Trap { source, .. } => Some(&**source),
            WasiError::Engine(e) => Some(e),
            _ => None,
        }
    }
}

impl From<stagec::Error> for WasiError {
    fn from(e: stagec::Error) -> Self {
        WasiError::Engine(e)
    }
}

impl WasiError {
    /// This error as a host function's error: it unwinds the wasm frames and comes back
    /// from the call as a trap carrying it.
    pub(crate) fn into_host(self) -> stagec::Error {
        stagec::Error::host(self)
    }
}
