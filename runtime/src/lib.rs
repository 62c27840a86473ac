//! stagec runtime: code memory, the vmctx layout, linear memories, tables, instances,
//! signal-based trap handling and host functions.

#![deny(missing_docs)]

pub mod artifact;
mod builtins_abi;
mod trap;
pub mod vm;
pub mod vmoffsets;

pub use builtins_abi::{AbiType, Builtin};
pub use trap::TrapKind;
pub use vmoffsets::VMOffsets;
