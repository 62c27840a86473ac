//! Real-program workloads (`workloads/manifest.toml`): each run by stagec specialized on
//! its preimports, stagec with the same bindings as runtime imports, wasmtime on the
//! generic module with ordinary imports and on the hand-specialized module, and V8 (node)
//! on both modules. The `bench-workloads` binary drives it; benches/README.md describes
//! the output.

pub mod engines;
pub mod manifest;
pub mod measure;
pub mod node;
pub mod plan;

use serde::Serialize;

/// The ways a workload is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineKind {
    /// stagec, the bindings as preimports (`Module::with_preimports`).
    StagecSpec,
    /// stagec, the same bindings as runtime imports (`Preimports::link`).
    StagecIndir,
    /// wasmtime, the generic module with ordinary imports.
    Wasmtime,
    /// wasmtime, the hand-specialized module.
    WasmtimeHand,
    /// V8 (node), the generic module with ordinary imports.
    Node,
    /// V8 (node), the hand-specialized module.
    NodeHand,
}

impl EngineKind {
    /// Every engine, in table order.
    pub const ALL: [EngineKind; 6] = [
        EngineKind::StagecSpec,
        EngineKind::StagecIndir,
        EngineKind::Wasmtime,
        EngineKind::WasmtimeHand,
        EngineKind::Node,
        EngineKind::NodeHand,
    ];

    /// The column heading and plot label.
    pub fn label(self) -> &'static str {
        match self {
            EngineKind::StagecSpec => "stagec spec",
            EngineKind::StagecIndir => "stagec indir",
            EngineKind::Wasmtime => "wasmtime",
            EngineKind::WasmtimeHand => "wasmtime hand",
            EngineKind::Node => "node",
            EngineKind::NodeHand => "node hand",
        }
    }

    /// Whether it runs the hand-specialized module.
    pub fn is_hand(self) -> bool {
        matches!(self, EngineKind::WasmtimeHand | EngineKind::NodeHand)
    }

    /// Whether it runs in a node process rather than in this one.
    pub fn is_node(self) -> bool {
        matches!(self, EngineKind::Node | EngineKind::NodeHand)
    }
}
