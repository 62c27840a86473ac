//! Frontend errors: every error carries the byte offset in the module where it was found.

use std::fmt;

/// A module could not be parsed, is invalid, or uses a feature stagec does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontendError {
    /// What went wrong.
    pub message: String,
    /// Byte offset in the module.
    pub offset: u64,
    /// Whether the module is valid WebAssembly but uses an unsupported feature.
    pub unsupported: bool,
}

impl FrontendError {
    /// An error for a valid construct that stagec does not support.
    pub fn unsupported(what: &str, offset: u64) -> Self {
        FrontendError {
            message: format!("unsupported feature: {what}"),
            offset,
            unsupported: true,
        }
    }
}

impl fmt::Display for FrontendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {:#x})", self.message, self.offset)
    }
}

impl std::error::Error for FrontendError {}

impl From<wasmparser::BinaryReaderError> for FrontendError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        FrontendError {
            message: e.message().to_string(),
            offset: e.offset(),
            unsupported: false,
        }
    }
}
