//! stagec frontend: parses and validates WebAssembly modules (module-level pass only) and
//! describes them with the engine's own types. Function bodies stay byte ranges for codegen.

#![deny(missing_docs)]

mod error;
mod module;
mod parse;
mod staged;
mod types;

pub use error::{FrontendError, StagedErrorKind, SwasmField};
pub use module::*;
pub use parse::{FEATURES, convert_val_type, parse, parse_trusted};
pub use staged::*;
pub use types::*;
pub use wasmparser;
