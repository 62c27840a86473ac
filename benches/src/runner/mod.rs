//! Running a module on each engine, shared by the kernels, the workloads, the
//! experiments and the cache benchmark: one module per engine.
//!
//! - [`stagec`]: [`stagec::StagecRunner`], and builds of a [`Plan`] specialized on its
//!   bindings ([`stagec::specialized`]) or with them as runtime imports
//!   ([`stagec::indirection`]);
//! - [`wasmtime`]: [`wasmtime::WasmtimeRunner`], and builds of a [`Plan`]'s generic module
//!   with ordinary imports ([`wasmtime::generic`]) or of its hand-specialized module
//!   ([`wasmtime::hand`]);
//! - [`node`]: V8, in a node process of its own per module (it times itself).
//!
//! The in-process runners call an export whose parameters are all i32 and whose one
//! result is an i32 or an i64 ([`Runner::call`]); [`build`] makes any of the four
//! in-process [`EngineKind`]s from a [`Plan`], each on an engine of its own.

pub mod node;
pub mod stagec;
pub mod wasmtime;

use crate::plan::Plan;
use anyhow::{Result, bail};
use serde::Serialize;

/// An instance with an export to call.
pub trait Runner {
    /// Calls the export with `args` (one per parameter, all i32) and returns its result,
    /// an i32 result sign-extended.
    fn call(&mut self, args: &[i32]) -> Result<i64>;
}

/// The ways a module is run.
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

    /// The engines that run in this process ([`build`]), in table order.
    pub const IN_PROCESS: [EngineKind; 4] = [
        EngineKind::StagecSpec,
        EngineKind::StagecIndir,
        EngineKind::Wasmtime,
        EngineKind::WasmtimeHand,
    ];

    /// The identifier: criterion function names, results.json (`stagec-spec`, ...).
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::StagecSpec => "stagec-spec",
            EngineKind::StagecIndir => "stagec-indir",
            EngineKind::Wasmtime => "wasmtime",
            EngineKind::WasmtimeHand => "wasmtime-hand",
            EngineKind::Node => "node",
            EngineKind::NodeHand => "node-hand",
        }
    }

    /// The column heading and plot label (`stagec spec`, ...).
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

/// How the in-process engines are configured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// Turn on wasmtime's inliner (`compiler_inlining`); off is wasmtime's default
    /// configuration.
    pub wasmtime_inlining: bool,
}

/// Compiles and instantiates `plan` as `kind` (an in-process engine), on a new engine,
/// ready to call `export`.
pub fn build(
    kind: EngineKind,
    plan: &Plan,
    export: &str,
    options: BuildOptions,
) -> Result<Box<dyn Runner>> {
    let compile = ::stagec::CompileOptions::default();
    Ok(match kind {
        EngineKind::StagecSpec => Box::new(stagec::specialized(
            &stagec::engine()?,
            plan,
            &compile,
            export,
        )?),
        EngineKind::StagecIndir => Box::new(stagec::indirection(&stagec::engine()?, plan, export)?),
        EngineKind::Wasmtime => Box::new(wasmtime::generic(
            &wasmtime::engine(options.wasmtime_inlining)?,
            plan,
            export,
        )?),
        EngineKind::WasmtimeHand => Box::new(wasmtime::hand(
            &wasmtime::engine(options.wasmtime_inlining)?,
            plan,
            export,
        )?),
        EngineKind::Node | EngineKind::NodeHand => {
            bail!(
                "{} runs in a node process of its own (runner::node)",
                kind.label()
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{ModuleSpec, Value};

    #[test]
    fn names_are_the_serialized_names() {
        for kind in EngineKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.name());
        }
    }

    /// `run(x) = x * k + f(x)`, `k` a constant import, `f` a provider function; the
    /// hand copy has both pasted in.
    fn plan() -> Plan {
        let mut main = ModuleSpec::from_text(
            "main",
            r#"(module
                (import "env" "k" (global $k i32))
                (import "lib" "f" (func $f (param i32) (result i32)))
                (func (export "run") (param $x i32) (result i64)
                  (i64.extend_i32_s (i32.add (i32.mul (local.get $x) (global.get $k))
                                             (call $f (local.get $x))))))"#,
        )
        .unwrap();
        main.bind_value("env", "k", Value::I32(3))
            .bind_export("lib", "f", 0, "sq");
        let provider = ModuleSpec::from_text(
            "provider",
            r#"(module (func (export "sq") (param i32) (result i32)
                 (i32.mul (local.get 0) (local.get 0))))"#,
        )
        .unwrap();
        let hand = ModuleSpec::from_text(
            "hand",
            r#"(module (func (export "run") (param $x i32) (result i64)
                 (i64.extend_i32_s (i32.add (i32.mul (local.get $x) (i32.const 3))
                                            (i32.mul (local.get $x) (local.get $x))))))"#,
        )
        .unwrap();
        Plan {
            providers: vec![provider],
            main,
            hand: Some(hand),
        }
    }

    #[test]
    fn every_in_process_engine_computes_the_same() {
        let plan = plan();
        for kind in EngineKind::IN_PROCESS {
            let mut runner = build(kind, &plan, "run", BuildOptions::default()).unwrap();
            assert_eq!(runner.call(&[5]).unwrap(), 40, "{kind:?}");
            assert_eq!(runner.call(&[-2]).unwrap(), -2, "{kind:?}");
            let err = runner.call(&[]).unwrap_err().to_string();
            assert!(err.contains("1 argument"), "{kind:?}: {err}");
        }
        assert!(build(EngineKind::Node, &plan, "run", BuildOptions::default()).is_err());
    }
}
