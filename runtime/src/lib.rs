//! stagec runtime: code memory, the vmctx layout, linear memories, tables, instances,
//! signal-based trap handling and host functions.

#![deny(missing_docs)]

pub mod artifact;
mod builtins;
mod builtins_abi;
mod call;
mod code;
pub mod codec;
mod instance;
mod memory;
mod memory_image;
mod table;
mod trap;
mod traphandlers;
pub mod vm;
pub mod vmoffsets;

pub use builtins_abi::{AbiType, Builtin};
pub use call::{DEFAULT_MAX_WASM_STACK, invoke};
pub use code::{CodeMemory, LoadError};
pub use instance::{Instance, InstanceConfig, InstanceImports};
pub use memory::{MAX_PAGES, Memory, MemoryError, PAGE_SIZE};
pub use memory_image::MemoryImage;
pub use table::{MAX_TABLE_ELEMENTS, Table};
pub use trap::TrapKind;
pub use traphandlers::{TrapReason, catch_traps, set_pending_trap};
pub use vmoffsets::VMOffsets;
