//! stagec: a WebAssembly engine on Cranelift built for staged compilation.
//!
//! The API is shaped like wasmtime's: an [`Engine`] compiles [`Module`]s, a [`Store`]
//! owns the runtime objects, a [`Linker`] resolves imports by name, and an [`Instance`]
//! exposes exports ([`Func`], [`Global`], [`Memory`], [`Table`]).
//!
//! # Module dependencies
//!
//! The modules of this crate depend in one direction: each uses (through `crate::` and
//! `super::` paths) only modules listed before it, and the root's re-exports below are
//! used as the module defining them. `engine/tests/architecture.rs` checks it.
//!
//! ```text
//!    module           what it holds                               uses
//!  1 error            typed errors (no crate modules)
//!  2 cache            the disk cache's files
//!  3 text             text format → binary                       error
//!  4 binding_spec     `MOD.NAME=VALUE` syntax                     error
//!  5 interrupt        interrupt handles, deadline watchdog        error
//!  6 engine           compiler, config, signatures, module cache  cache error
//!  7 compiled         CompiledModule, BoundImport, StageInfo      engine error
//!  8 store            Store                                       compiled engine error interrupt
//!  9 handles          Func Global Memory Table Extern (data)      compiled store
//! 10 values           Val, ExternRef                              error handles
//! 11 func             calls, host functions, Caller               error handles store values
//! 12 externals        globals, memories, tables: operations       error handles store values
//! 13 snapshot         compile-time state snapshots                error
//! 14 serialize        artifact file format                        engine error snapshot
//! 15 artifact_source  compile or replay artifacts                 engine error snapshot
//! 16 instantiate      instantiation, import checks                compiled error handles store values
//! 17 staged           staged-module planner                       error
//! 18 preimports       Preimport(s), Provider, KnownCode,          compiled engine error handles staged text
//!                     StagedProviders                             values
//! 19 recipe           compilation inputs, cache keys              compiled engine preimports serialize values
//! 20 specialize       specialized compilation, live bindings      artifact_source compiled engine error handles
//!                                                                 instantiate preimports snapshot store values
//! 21 driver           compile / cache / replay: Compilation       artifact_source compiled engine error preimports
//!                                                                 recipe serialize snapshot specialize
//! 22 module           Module                                      compiled driver engine error preimports recipe
//!                                                                 specialize store text
//! 23 instance         Instance, extension stages                  compiled error handles instantiate module
//!                                                                 preimports specialize store text
//! 24 linker           Linker, Preimports::link                    error handles instance module preimports store
//! 25 wast             the .wast script runner                     the public API
//! ```
//!
//! A handle type is defined in `handles` and its operations in `func` and `externals`
//! (they need values and the store, which need the handle types); `Preimports::link` is
//! implemented in `linker`, of which it is a client. Every other type has its inherent
//! methods in its own module.

#![deny(missing_docs)]

mod artifact_source;
mod binding_spec;
mod cache;
mod compiled;
mod driver;
mod engine;
pub mod error;
mod externals;
mod func;
mod handles;
mod instance;
mod instantiate;
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
mod text;
mod values;
pub mod wast;

pub use binding_spec::{BindingSpec, BindingValue};
pub use cache::{CacheConfig, CacheEntry, DEFAULT_CACHE_MAX_BYTES, cache_entries, clear_cache};
pub use driver::{CacheOutcome, CompileTimings};
pub use engine::{CacheStats, Config, Engine};
pub use error::{Error, Result, Trap};
pub use func::{Caller, HostFn};
pub use handles::{Extern, Func, Global, Memory, Table};
pub use instance::Instance;
pub use interrupt::InterruptHandle;
pub use linker::Linker;
pub use module::{Explained, Module};
pub use preimports::{KnownCode, Preimport, Preimports, Provider};
pub use serialize::is_artifact;
pub use stagec_codegen::{
    CompileOptions, Explanation, KNOWN_CODE_CALLEE_BUDGET, KNOWN_CODE_MAX_BODY,
};
pub use stagec_environ::TrapKind;
pub use stagec_frontend::{
    EntityType, ExternKind, FuncType, GlobalType, IndexType, Limits, MemoryType, TableType,
};
pub use stagec_frontend::{Stage, StageKind, StagedModule, encode_swasm, parse_swasm, parse_swat};
pub use stagec_runtime::{Backtrace, MAX_FRAMES as MAX_BACKTRACE_FRAMES, WasmFrame};
pub use staged::{FRESH_MODULE, FRESH_NAME};
pub use store::Store;
pub use values::{ExternRef, Val, ValType};
