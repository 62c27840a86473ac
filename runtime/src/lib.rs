//! stagec runtime: code memory, linear memories, tables, instances, signal-based trap
//! handling and host functions. The vmctx layout, the builtin ABI, trap kinds and the
//! artifact format it shares with codegen are in `stagec_environ`.

#![deny(missing_docs)]

mod builtins;
mod call;
mod code;
mod instance;
mod memory;
mod memory_image;
mod table;
mod traphandlers;
pub mod vm;

pub use call::{DEFAULT_MAX_WASM_STACK, invoke};
pub use code::{CodeMemory, LoadError};
pub use instance::{Instance, InstanceConfig, InstanceImports};
pub use memory::{MAX_PAGES, Memory, MemoryError, PAGE_SIZE};
pub use memory_image::MemoryImage;
pub use table::{MAX_TABLE_ELEMENTS, Table};
pub use traphandlers::{TrapReason, catch_traps, set_pending_trap};
