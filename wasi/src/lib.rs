//! WASI preview 1 (`wasi_snapshot_preview1`) for the stagec engine, and the sightglass
//! benchmark convention (`bench.start` / `bench.end`).
//!
//! The semantics are wasmtime's `wasi-common` (the 36 LTS line) over `cap-std`, used
//! without wasmtime: each of the 46 preview 1 functions is a stagec host function that
//! hands the caller's exported `memory` to wiggle's generated entry point as a
//! `GuestMemory` and runs it to completion (every `wasi-common` operation is synchronous
//! under its `sync` implementation). What this crate adds: the builder ([`WasiCtxBuilder`]:
//! arguments, environment, standard streams inherited or captured, preopened directories,
//! clocks and randomness), `proc_exit` as [`stagec::Error::Exit`], per-function call
//! counts, and [`run_command`].
//!
//! ```no_run
//! use stagec::{Config, Engine, Linker, Module, Store};
//! use stagec_wasi::WasiCtxBuilder;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = Engine::new(Config::default())?;
//! let module = Module::from_file(&engine, "hello.wasm")?;
//! let wasi = WasiCtxBuilder::new("hello").arg("world").capture_stdout().build()?;
//! let mut store = Store::new(&engine);
//! let mut linker = Linker::new();
//! wasi.add_to_linker(&mut linker, &mut store)?;
//! let instance = linker.instantiate(&mut store, &module)?;
//! let status = stagec_wasi::run_command(&mut store, &instance)?;
//! print!("{}", String::from_utf8_lossy(&wasi.captured_stdout().unwrap_or_default()));
//! std::process::exit(status);
//! # }
//! ```
//!
//! Sandboxing is `cap-std`'s: paths are resolved beneath a preopened directory and no
//! step (`..`, an absolute path, a symlink) may leave it.

#![deny(missing_docs)]

mod bench;
mod ctx;
mod error;
mod functions;

pub use bench::{BENCH_MODULE, BenchTimer, define_bench, define_bench_noop};
pub use ctx::{WasiCtx, WasiCtxBuilder};
pub use error::WasiError;
pub use functions::{FUNCTIONS, MODULE, signature};
pub use wasi_common::RngCore;
pub use wasi_common::random::Deterministic;

/// Custom clocks for [`WasiCtxBuilder::clocks`]: the traits a clock implements and the
/// (cap-std) time types they use.
pub mod clocks {
    pub use cap_std::time::{Duration, Instant, SystemTime};
    pub use wasi_common::{WasiClocks, WasiMonotonicClock, WasiSystemClock};
}

use stagec::{Error, Instance, Store};

/// Runs a WASI command: calls the instance's exported `_start` and returns the program's
/// exit status, 0 when `_start` returns and `n` when it calls `proc_exit(n)`. A trap
/// (including a WASI function trapping on a bad guest pointer) is an error.
pub fn run_command(store: &mut Store, instance: &Instance) -> Result<i32, WasiError> {
    let start = instance
        .get_func(store, "_start")
        .ok_or(WasiError::MissingStart)?;
    match start.call(store, &[], &mut []) {
        Ok(()) => Ok(0),
        Err(Error::Exit(code)) => Ok(code),
        Err(e) => Err(WasiError::Engine(e)),
    }
}
