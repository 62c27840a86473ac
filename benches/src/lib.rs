//! The specialization benchmarks of stagec: kernels written as plain modules with imports,
//! each run four ways in one process.
//!
//! | variant | what runs |
//! |---|---|
//! | [`Variant::StagecSpec`] | stagec, the imports bound before compilation (preimports): constants in immediates, provider functions compiled in and inlined |
//! | [`Variant::StagecIndir`] | stagec, the *same* bindings supplied as ordinary runtime imports ([`stagec::Preimports::link`]) |
//! | [`Variant::Wasmtime`] | wasmtime (default configuration) on the generic module with ordinary imports |
//! | [`Variant::WasmtimeHand`] | wasmtime on the hand-specialized copy (constants written into the source, provider functions pasted in): the limit |
//!
//! Every kernel exports `run(i32) -> i64` returning a checksum, which must be the same for
//! all four variants ([`Bench::new`] checks it before anything is timed). The kernels'
//! sources live in `kernels/`, each described in its header comment; benches/README.md
//! describes the table and the results.

use anyhow::{Context, Result, bail};

pub mod experiments;
pub mod report;
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

/// The four ways of running a kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// stagec with the bindings as preimports.
    StagecSpec,
    /// stagec with the same bindings as runtime imports.
    StagecIndir,
    /// wasmtime, the generic module with ordinary imports.
    Wasmtime,
    /// wasmtime, the hand-specialized copy.
    WasmtimeHand,
}

impl Variant {
    /// All variants, in table order.
    pub const ALL: [Variant; 4] = [
        Variant::StagecSpec,
        Variant::StagecIndir,
        Variant::Wasmtime,
        Variant::WasmtimeHand,
    ];

    /// The criterion function name and table column.
    pub fn name(self) -> &'static str {
        match self {
            Variant::StagecSpec => "stagec-spec",
            Variant::StagecIndir => "stagec-indir",
            Variant::Wasmtime => "wasmtime",
            Variant::WasmtimeHand => "wasmtime-hand",
        }
    }
}

/// An instantiated kernel, ready to call `run`.
pub trait Runner {
    /// Calls the kernel's `run(arg)` and returns its checksum.
    fn run(&mut self, arg: i32) -> Result<i64>;
}

/// Compiles and instantiates `kernel` as `variant`, at code placement `placement` (0: the
/// sources as they are; see [`place`]).
pub fn instantiate(kernel: &Kernel, variant: Variant, placement: usize) -> Result<Box<dyn Runner>> {
    let runner = match variant {
        Variant::StagecSpec => stagec_side::specialized(kernel, placement),
        Variant::StagecIndir => stagec_side::indirection(kernel, placement),
        Variant::Wasmtime => wasmtime_side::generic(kernel, placement),
        Variant::WasmtimeHand => wasmtime_side::hand(kernel, placement),
    };
    runner.with_context(|| format!("kernel {}: {}", kernel.name, variant.name()))
}

/// A kernel instantiated all four ways, its checksums checked.
pub struct Bench {
    /// The kernel.
    pub kernel: &'static Kernel,
    /// One runner per variant, in [`Variant::ALL`] order.
    pub runners: Vec<(Variant, Box<dyn Runner>)>,
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
        for variant in Variant::ALL {
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
                .run(arg)
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

mod stagec_side {
    use super::{Kernel, Runner};
    use anyhow::{Context, Result, anyhow};
    use stagec::{Engine, Func, Linker, Module, Preimports, Provider, Store, Val};

    struct StagecRunner {
        store: Store,
        run: Func,
    }

    impl Runner for StagecRunner {
        fn run(&mut self, arg: i32) -> Result<i64> {
            let mut results = [Val::I64(0)];
            self.run
                .call(&mut self.store, &[Val::I32(arg)], &mut results)?;
            match results[0] {
                Val::I64(v) => Ok(v),
                other => Err(anyhow!("run returned {other:?}, expected an i64")),
            }
        }
    }

    /// The kernel's bindings as a preimport set.
    fn bindings(engine: &Engine, kernel: &Kernel) -> Result<Preimports> {
        let mut pre = Preimports::new();
        for &(module, name, value) in kernel.values {
            pre.value(module, name, Val::I32(value));
        }
        if let Some(source) = kernel.provider {
            let provider = Provider::new(engine, source, Preimports::new())
                .context("compiling the provider")?;
            for &(module, name, export) in kernel.functions {
                pre.export(module, name, &provider, export);
            }
        }
        Ok(pre)
    }

    fn runner(mut store: Store, module: &Module, linker: &Linker) -> Result<Box<dyn Runner>> {
        let instance = linker.instantiate(&mut store, module)?;
        let run = instance
            .get_func(&store, "run")
            .context("the module exports no function `run`")?;
        Ok(Box::new(StagecRunner { store, run }))
    }

    pub(super) fn specialized(kernel: &Kernel, placement: usize) -> Result<Box<dyn Runner>> {
        let engine = Engine::new(Default::default())?;
        let pre = bindings(&engine, kernel)?;
        let module = Module::with_preimports(&engine, kernel.generic_source(placement), &pre)?;
        runner(Store::new(&engine), &module, &Linker::new())
    }

    pub(super) fn indirection(kernel: &Kernel, placement: usize) -> Result<Box<dyn Runner>> {
        let engine = Engine::new(Default::default())?;
        let pre = bindings(&engine, kernel)?;
        let module = Module::new(&engine, kernel.generic_source(placement))?;
        let mut store = Store::new(&engine);
        let mut linker = Linker::new();
        pre.link(&mut store, &mut linker)?;
        runner(store, &module, &linker)
    }
}

mod wasmtime_side {
    use super::{Kernel, Runner};
    use anyhow::{Result, anyhow};
    use wasmtime::{
        Engine, Global, GlobalType, Instance, Linker, Module, Mutability, Store, TypedFunc, Val,
        ValType,
    };

    struct WasmtimeRunner {
        store: Store<()>,
        run: TypedFunc<i32, i64>,
    }

    impl Runner for WasmtimeRunner {
        fn run(&mut self, arg: i32) -> Result<i64> {
            self.run
                .call(&mut self.store, arg)
                .map_err(|e| anyhow!("{e:?}"))
        }
    }

    /// wasmtime's default configuration (Cranelift, opt level speed, no inlining), or with
    /// Cranelift's inliner on if `STAGEC_BENCH_WASMTIME_INLINING=1` (an experiment: what
    /// wasmtime's own inliner does with the hand-specialized copies).
    fn engine() -> Result<Engine> {
        let mut config = wasmtime::Config::new();
        if std::env::var("STAGEC_BENCH_WASMTIME_INLINING").is_ok_and(|v| v == "1") {
            config.compiler_inlining(wasmtime::Inlining::Yes);
        }
        wt(Engine::new(&config))
    }

    /// wasmtime's errors, as anyhow errors.
    fn wt<T>(r: wasmtime::Result<T>) -> Result<T> {
        r.map_err(|e| anyhow!("{e:?}"))
    }

    fn runner(
        mut store: Store<()>,
        module: &Module,
        linker: &Linker<()>,
    ) -> Result<Box<dyn Runner>> {
        let instance = wt(linker.instantiate(&mut store, module))?;
        let run = wt(instance.get_typed_func::<i32, i64>(&mut store, "run"))?;
        Ok(Box::new(WasmtimeRunner { store, run }))
    }

    /// The generic module, its imports defined as host globals and as exports of an
    /// instance of the provider.
    pub(super) fn generic(kernel: &Kernel, placement: usize) -> Result<Box<dyn Runner>> {
        let engine = engine()?;
        let module = wt(Module::new(&engine, kernel.generic_source(placement)))?;
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        for &(module, name, value) in kernel.values {
            let ty = GlobalType::new(ValType::I32, Mutability::Const);
            let global = wt(Global::new(&mut store, ty, Val::I32(value)))?;
            wt(linker.define(&store, module, name, global))?;
        }
        if let Some(source) = kernel.provider {
            let provider = wt(Module::new(&engine, source))?;
            let instance = wt(Instance::new(&mut store, &provider, &[]))?;
            for &(module, name, export) in kernel.functions {
                let func = instance
                    .get_func(&mut store, export)
                    .ok_or_else(|| anyhow!("the provider exports no function `{export}`"))?;
                wt(linker.define(&store, module, name, func))?;
            }
        }
        runner(store, &module, &linker)
    }

    /// The hand-specialized copy, which imports nothing.
    pub(super) fn hand(kernel: &Kernel, placement: usize) -> Result<Box<dyn Runner>> {
        let engine = engine()?;
        let module = wt(Module::new(&engine, kernel.hand_source(placement)))?;
        let store = Store::new(&engine, ());
        runner(store, &module, &Linker::new(&engine))
    }
}
