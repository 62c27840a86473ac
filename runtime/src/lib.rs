//! stagec runtime: code memory, the vmctx layout, linear memories, tables, instances,
//! signal-based trap handling and host functions.

#![deny(missing_docs)]

pub mod artifact;
mod builtins;
mod builtins_abi;
mod call;
mod code;
mod instance;
mod memory;
mod table;
mod trap;
mod traphandlers;
pub mod vm;
pub mod vmoffsets;

pub use builtins_abi::{AbiType, Builtin};
pub use call::{invoke, DEFAULT_MAX_WASM_STACK};
pub use code::{CodeMemory, LoadError};
pub use instance::{Instance, InstanceConfig, InstanceImports};
pub use memory::{Memory, MemoryError, MAX_PAGES, PAGE_SIZE};
pub use table::{Table, MAX_TABLE_ELEMENTS};
pub use trap::TrapKind;
pub use traphandlers::{catch_traps, set_pending_trap, TrapReason};
pub use vmoffsets::VMOffsets;
