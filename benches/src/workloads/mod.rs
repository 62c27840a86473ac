//! Real-program workloads (`workloads/manifest.toml`): each run by stagec specialized on
//! its preimports, stagec with the same bindings as runtime imports, wasmtime on the
//! generic module with ordinary imports and on the hand-specialized module, and V8 (node)
//! on both modules (the engines: [`crate::runner::EngineKind`]). The `bench-workloads`
//! binary drives it; benches/README.md describes the output.

pub mod manifest;
pub mod measure;
pub mod resolve;
