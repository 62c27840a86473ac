//! Codegen errors: what went wrong, where in the module, and in which function.

use std::fmt;

/// A function could not be compiled: its body is invalid (the validator's message and
/// offset are kept intact), it uses an operator stagec does not compile, or Cranelift
/// failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodegenError {
    /// What went wrong.
    pub message: String,
    /// Byte offset in the wasm module, when known.
    pub offset: Option<u64>,
    /// Function index (imported functions first), when the error belongs to a function.
    pub func_index: Option<u32>,
    /// Whether the body is valid WebAssembly but uses a feature stagec does not compile
    /// (SIMD, tail calls, GC, ...), as opposed to being invalid.
    pub unsupported: bool,
    /// For an import binding that does not fit its import: the import, as `module.name`.
    pub import: Option<String>,
}

impl CodegenError {
    /// An error with a message only.
    pub fn new(message: impl Into<String>) -> Self {
        CodegenError {
            message: message.into(),
            offset: None,
            func_index: None,
            unsupported: false,
            import: None,
        }
    }

    /// An error at a wasm byte offset.
    pub fn at(message: impl Into<String>, offset: u64) -> Self {
        CodegenError {
            message: message.into(),
            offset: Some(offset),
            func_index: None,
            unsupported: false,
            import: None,
        }
    }

    /// An error for a construct stagec does not compile, at a wasm byte offset.
    pub fn unsupported(what: impl std::fmt::Display, offset: u64) -> Self {
        CodegenError {
            unsupported: true,
            ..CodegenError::at(format!("unsupported feature: {what}"), offset)
        }
    }

    /// Attaches the function index (keeps one already set).
    pub fn in_function(mut self, func_index: u32) -> Self {
        self.func_index.get_or_insert(func_index);
        self
    }
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(index) = self.func_index {
            write!(f, " in function {index}")?;
        }
        if let Some(offset) = self.offset {
            write!(f, " (at offset {offset:#x})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CodegenError {}

impl From<wasmparser::BinaryReaderError> for CodegenError {
    /// Keeps the validator's message and offset. wasmparser reports a proposal that is not
    /// in stagec's feature set as "<proposal> support is not enabled"; such errors are
    /// marked `unsupported`.
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        CodegenError {
            unsupported: e.message().ends_with("support is not enabled"),
            ..CodegenError::at(e.message(), e.offset())
        }
    }
}
