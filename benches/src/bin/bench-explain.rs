//! Shows what a kernel's code looks like: stagec's optimized CLIF and machine code of one
//! function, specialized on the kernel's bindings next to the generic build; with
//! `--cwasm DIR`, also writes wasmtime's compiled generic and hand-specialized modules
//! (`KERNEL.cwasm`, `KERNEL_hand.cwasm`, ELF files: `objdump -d` them).
//!
//! ```sh
//! cargo run --release -p stagec-benches --bin bench-explain -- KERNEL [FUNC] [--cwasm DIR]
//! ```
//! FUNC is an export name or a function index (default `run`).

use anyhow::{Context, Result, bail};
use stagec::{CompileOptions, Engine, Explanation, Module, Preimports, Provider, Val};

const USAGE: &str = "usage: bench-explain KERNEL [FUNC] [--cwasm DIR]";

fn main() -> Result<()> {
    let mut positional = Vec::new();
    let mut cwasm = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cwasm" => cwasm = Some(args.next().context("--cwasm needs a directory")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ if arg.starts_with('-') => bail!("unknown option `{arg}`\n{USAGE}"),
            _ => positional.push(arg),
        }
    }
    let (name, func) = match positional.as_slice() {
        [k] => (k.as_str(), "run"),
        [k, f] => (k.as_str(), f.as_str()),
        _ => bail!("{USAGE}"),
    };
    let kernel = stagec_benches::kernel(name).with_context(|| format!("no kernel `{name}`"))?;

    let engine = Engine::new(Default::default())?;
    let mut pre = Preimports::new();
    for &(module, name, value) in kernel.values {
        pre.value(module, name, Val::I32(value));
    }
    if let Some(source) = kernel.provider {
        let provider = Provider::new(&engine, source, Preimports::new())?;
        for &(module, name, export) in kernel.functions {
            pre.export(module, name, &provider, export);
        }
    }
    let explained = Module::explain(
        &engine,
        kernel.generic,
        &pre,
        func,
        &CompileOptions::default(),
    )?;
    section("specialized", &explained.specialized);
    section("generic", &explained.generic);
    println!(
        "== summary: {name} `{func}`: CLIF {} specialized / {} generic, machine {} / {}",
        explained.specialized.clif_insts,
        explained.generic.clif_insts,
        explained.specialized.machine_insts,
        explained.generic.machine_insts
    );

    if let Some(dir) = cwasm {
        let engine = wasmtime::Engine::default();
        for (suffix, source) in [("", kernel.generic), ("_hand", kernel.hand)] {
            let bytes = wat::parse_str(source)?;
            let compiled = engine
                .precompile_module(&bytes)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let path = std::path::Path::new(&dir).join(format!("{name}{suffix}.cwasm"));
            std::fs::write(&path, compiled).with_context(|| path.display().to_string())?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(())
}

fn section(title: &str, e: &Explanation) {
    println!("== {title}: optimized CLIF ({} instructions)", e.clif_insts);
    println!("{}", e.clif.trim_end());
    println!(
        "== {title}: machine code ({} instructions)",
        e.machine_insts
    );
    println!("{}\n", e.disasm.trim_end());
}
