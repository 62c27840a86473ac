//! The specialization benchmarks of stagec: kernels written as plain modules with imports,
//! each run four ways in one process.
//!
//! | variant | what runs |
//! |---|---|
//! | [`EngineKind::StagecSpec`] | stagec, the imports bound before compilation (preimports): constants in immediates, provider functions compiled in and inlined |
//! | [`EngineKind::StagecIndir`] | stagec, the *same* bindings supplied as ordinary runtime imports ([`stagec::Preimports::link`]) |
//! | [`EngineKind::Wasmtime`] | wasmtime (default configuration) on the generic module with ordinary imports |
//! | [`EngineKind::WasmtimeHand`] | wasmtime on the hand-specialized copy (constants written into the source, provider functions pasted in): the limit |
//!
//! Every kernel exports `run(i32) -> i64` returning a checksum, which must be the same for
//! all four variants ([`Bench::new`] checks it before anything is timed). The kernels'
//! sources live in `kernels/`, each described in its header comment; benches/README.md
//! describes the table and the results.
//!
//! The rest of the crate: [`plan`] (what to instantiate, for any engine), [`runner`] (one
//! module per engine: stagec, wasmtime, node), [`timing`] (interleaved rounds) and
//! [`stats`] (medians, quantiles, geomeans), shared by the kernels, the real-program
//! [`workloads`], the [`experiments`] and every binary.

use anyhow::{Context, Result, bail};
use plan::{ModuleSpec, Plan, Value};
use runner::{BuildOptions, EngineKind, Runner};

pub mod cli;
pub mod counts;
pub mod experiments;
pub mod plan;
pub mod report;
pub mod runner;
pub mod stats;
pub mod timing;
pub mod workloads;

/// A benchmark kernel: a generic module, what its imports are bound to, and its
/// hand-specialized copy.
#[derive(Debug)]
pub struct Kernel {
    /// Short name (criterion group, table row).
    pub name: &'static str,
    /// One line: what the kernel does and what is preimported.
    pub description: &'static str,
    /// The generic module (WAT), with imports.
    pub generic: &'static str,
    /// The hand-specialized copy (WAT), without imports. For a control kernel, the generic
    /// module itself.
    pub hand: &'static str,
    /// The provider module whose exports the function imports are bound to, if any.
    pub provider: Option<&'static str>,
    /// Immutable i32 global imports: (module, name, value).
    pub values: &'static [(&'static str, &'static str, i32)],
    /// Function imports: (module, name, the provider's export).
    pub functions: &'static [(&'static str, &'static str, &'static str)],
    /// The argument of `run` when benchmarking (about 2–10 ms per call).
    pub arg: i32,
    /// A small argument for the checksum tests.
    pub test_arg: i32,
    /// `run(test_arg)`, as every variant must compute it.
    pub test_checksum: i64,
    /// A control kernel: nothing that specialization can use.
    pub control: bool,
}

/// Every kernel, in table order: (a)–(d) specializable, then the controls.
pub const KERNELS: &[Kernel] = &[
    Kernel {
        name: "struct",
        description: "(a) particle records, layout (field offsets, stride) and count preimported",
        generic: include_str!("../kernels/struct.wat"),
        hand: include_str!("../kernels/struct_hand.wat"),
        provider: None,
        values: &[
            ("layout", "size", 24),
            ("layout", "off_w", 0),
            ("layout", "off_x", 4),
            ("layout", "off_y", 8),
            ("layout", "off_vx", 12),
            ("layout", "off_vy", 16),
            ("env", "count", 1024),
        ],
        functions: &[],
        arg: 1500,
        test_arg: 3,
        test_checksum: -914_342,
        control: false,
    },
    Kernel {
        name: "hashtab",
        description: "(b) open-addressing hash table, hash and eq preimported from a provider",
        generic: include_str!("../kernels/hashtab.wat"),
        hand: include_str!("../kernels/hashtab_hand.wat"),
        provider: Some(include_str!("../kernels/hashtab_provider.wat")),
        values: &[],
        functions: &[("key", "hash", "hash"), ("key", "eq", "eq")],
        arg: 16,
        test_arg: 1,
        test_checksum: 33_550_336,
        control: false,
    },
    Kernel {
        name: "matmul",
        description: "(c) f64 matrix multiply, dimensions M, K, N preimported",
        generic: include_str!("../kernels/matmul.wat"),
        hand: include_str!("../kernels/matmul_hand.wat"),
        provider: None,
        values: &[("dim", "M", 64), ("dim", "K", 48), ("dim", "N", 80)],
        functions: &[],
        arg: 32,
        test_arg: 1,
        test_checksum: -479,
        control: false,
    },
    Kernel {
        name: "interp",
        description: "(d) bytecode interpreter, opcodes and the decode (dispatch) function preimported",
        generic: include_str!("../kernels/interp.wat"),
        hand: include_str!("../kernels/interp_hand.wat"),
        provider: Some(include_str!("../kernels/interp_provider.wat")),
        values: &[
            ("isa", "HALT", 0x05),
            ("isa", "PUSH", 0x15),
            ("isa", "LOAD", 0x25),
            ("isa", "STORE", 0x35),
            ("isa", "ADD", 0x45),
            ("isa", "SUB", 0x55),
            ("isa", "MUL", 0x65),
            ("isa", "XOR", 0x75),
            ("isa", "SHR", 0x85),
            ("isa", "JNZ", 0x95),
        ],
        functions: &[("isa", "decode", "decode")],
        arg: 100_000,
        test_arg: 1000,
        test_checksum: 1_682_004_654,
        control: false,
    },
    Kernel {
        name: "sha",
        description: "(e) control: SHA-256-like compression, no imports",
        generic: include_str!("../kernels/sha.wat"),
        hand: include_str!("../kernels/sha.wat"),
        provider: None,
        values: &[],
        functions: &[],
        arg: 16_384,
        test_arg: 10,
        test_checksum: 4_217_113_860_573_541_173,
        control: true,
    },
    Kernel {
        name: "nbody",
        description: "(e) control: n-body simulation (f64, sqrt, div), no imports",
        generic: include_str!("../kernels/nbody.wat"),
        hand: include_str!("../kernels/nbody.wat"),
        provider: None,
        values: &[],
        functions: &[],
        arg: 50_000,
        test_arg: 1000,
        test_checksum: -4_628_111_993_556_820_050,
        control: true,
    },
];

impl Kernel {
    /// The generic module's source, at code placement `placement` (see [`place`]).
    pub fn generic_source(&self, placement: usize) -> String {
        place(self.generic, placement)
    }

    /// The hand-specialized copy's source, at code placement `placement`.
    pub fn hand_source(&self, placement: usize) -> String {
        place(self.hand, placement)
    }

    /// The kernel at code placement `placement` as a [`Plan`] for any engine: the generic
    /// module with its bindings, the provider (if any) and the hand-specialized copy.
    pub fn plan(&self, placement: usize) -> Result<Plan> {
        let label = |suffix: &str| format!("kernels/{}{suffix}.wat", self.name);
        let mut main = ModuleSpec::from_text(&label(""), &self.generic_source(placement))?;
        for &(module, name, value) in self.values {
            main.bind_value(module, name, Value::I32(value));
        }
        for &(module, name, export) in self.functions {
            main.bind_export(module, name, 0, export);
        }
        let providers = match self.provider {
            Some(source) => vec![ModuleSpec::from_text(&label("_provider"), source)?],
            None => Vec::new(),
        };
        let hand = ModuleSpec::from_text(&label("_hand"), &self.hand_source(placement))?;
        Ok(Plan {
            providers,
            main,
            hand: Some(hand),
        })
    }
}

/// `source` with its code moved by `placement` steps of about 16 bytes.
///
/// Loop timings on current x86 cores depend on where the loop falls relative to 32- and
/// 64-byte fetch boundaries; neither engine aligns loops, so two builds of the same loop
/// can differ by 50% for no other reason (matmul did on the development machine). To
/// average that out, a kernel is measured at several placements: placement `p` adds, in
/// front of the module's functions, an exported function of `3 * p` rotate-xor steps
/// (placement 0 is the source unchanged), which moves every following function.
pub fn place(source: &str, placement: usize) -> String {
    if placement == 0 {
        return source.to_string();
    }
    let step = "(local.set $x (i32.xor (local.get $x) (i32.rotl (local.get $x) (i32.const 5))))";
    let pad = format!(
        "  (func $__placement (export \"__placement\") (param $x i32) (result i32)\n    {}\n    (local.get $x))\n",
        vec![step; 3 * placement].join("\n    ")
    );
    // Imports must precede definitions: insert after the last import line, or after
    // the `(module` line.
    let mut at = source
        .find("(module")
        .map(|i| i + source[i..].find('\n').unwrap_or(0) + 1);
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        offset += line.len();
        if line.trim_start().starts_with("(import") {
            at = Some(offset);
        }
    }
    let at = at.expect("a kernel is a (module ...)");
    format!("{}{}{}", &source[..at], pad, &source[at..])
}

/// The kernel called `name`.
pub fn kernel(name: &str) -> Option<&'static Kernel> {
    KERNELS.iter().find(|k| k.name == name)
}

/// How the kernels' engines are configured: wasmtime's default configuration, or with
/// Cranelift's inliner on if `STAGEC_BENCH_WASMTIME_INLINING=1` (an experiment: what
/// wasmtime's own inliner does with the hand-specialized copies).
pub fn build_options() -> BuildOptions {
    BuildOptions {
        wasmtime_inlining: std::env::var("STAGEC_BENCH_WASMTIME_INLINING").is_ok_and(|v| v == "1"),
    }
}

/// Compiles and instantiates `kernel` as `variant` (an in-process engine), at code
/// placement `placement` (0: the sources as they are; see [`place`]).
pub fn instantiate(
    kernel: &Kernel,
    variant: EngineKind,
    placement: usize,
) -> Result<Box<dyn Runner>> {
    kernel
        .plan(placement)
        .and_then(|plan| runner::build(variant, &plan, "run", build_options()))
        .with_context(|| format!("kernel {}: {}", kernel.name, variant.name()))
}

/// A kernel instantiated all four ways, its checksums checked.
pub struct Bench {
    /// The kernel.
    pub kernel: &'static Kernel,
    /// One runner per variant, in [`EngineKind::IN_PROCESS`] order.
    pub runners: Vec<(EngineKind, Box<dyn Runner>)>,
    /// `run(arg)`, the same for every variant.
    pub checksum: i64,
}

impl Bench {
    /// Instantiates `kernel` four ways and checks that `run(arg)` gives the same checksum
    /// for each (this also warms every runner up once).
    pub fn new(kernel: &'static Kernel, arg: i32) -> Result<Bench> {
        Self::placed(kernel, arg, 0)
    }

    /// [`Bench::new`] at code placement `placement` (see [`place`]).
    pub fn placed(kernel: &'static Kernel, arg: i32, placement: usize) -> Result<Bench> {
        let mut runners = Vec::new();
        for variant in EngineKind::IN_PROCESS {
            runners.push((variant, instantiate(kernel, variant, placement)?));
        }
        let mut bench = Bench {
            kernel,
            runners,
            checksum: 0,
        };
        bench.checksum = bench.check(arg)?;
        Ok(bench)
    }

    /// Runs every variant with `arg` and returns the common checksum, or an error listing
    /// every variant's checksum if they differ.
    pub fn check(&mut self, arg: i32) -> Result<i64> {
        let mut sums = Vec::new();
        for (variant, runner) in &mut self.runners {
            let sum = runner
                .call(&[arg])
                .with_context(|| format!("kernel {}: {}", self.kernel.name, variant.name()))?;
            sums.push((*variant, sum));
        }
        let first = sums[0].1;
        if sums.iter().any(|&(_, s)| s != first) {
            let all: Vec<String> = sums
                .iter()
                .map(|(v, s)| format!("{} = {s}", v.name()))
                .collect();
            bail!(
                "kernel {}: checksums of run({arg}) differ: {}",
                self.kernel.name,
                all.join(", ")
            );
        }
        Ok(first)
    }
}
