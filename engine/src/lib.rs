//! stagec: a WebAssembly engine on Cranelift built for staged compilation.
//!
//! The API is shaped like wasmtime's: an [`Engine`] compiles [`Module`]s, a [`Store`]
//! owns the runtime objects, a [`Linker`] resolves imports by name, and an [`Instance`]
//! exposes exports ([`Func`], [`Global`], [`Memory`], [`Table`]).

#![deny(missing_docs)]

mod binding_spec;
mod cache;
mod engine;
mod error;
mod externals;
mod func;
mod instance;
mod interrupt;
mod linker;
mod module;
mod preimports;
mod recipe;
mod serialize;
mod snapshot;
mod specialize;
mod staged;
mod store;
mod values;
pub mod wast;

pub use binding_spec::{BindingSpec, BindingValue};
pub use cache::{CacheConfig, CacheEntry, DEFAULT_CACHE_MAX_BYTES, cache_entries, clear_cache};
pub use engine::{CacheStats, Config, Engine};
pub use error::{Error, Result, Trap};
pub use externals::{Extern, Global, Memory, Table};
pub use func::{Caller, Func, HostFn};
pub use instance::Instance;
pub use interrupt::InterruptHandle;
pub use linker::Linker;
pub use module::{CacheOutcome, CompileTimings, Explained, Module};
pub use preimports::{Preimport, Preimports, Provider};
pub use serialize::is_artifact;
pub use stagec_codegen::{CompileOptions, Explanation};
pub use stagec_environ::TrapKind;
pub use stagec_frontend::{
    EntityType, ExternKind, FuncType, GlobalType, Limits, MemoryType, TableType,
};
pub use stagec_frontend::{Stage, StageKind, StagedModule, encode_swasm, parse_swasm, parse_swat};
pub use staged::{FRESH_MODULE, FRESH_NAME};
pub use store::Store;
pub use values::{ExternRef, Val, ValType};
