//! Shows what a kernel's code looks like: stagec's optimized CLIF and machine code of one
//! function, specialized on the kernel's bindings next to the generic build; with
//! `--cwasm DIR`, also writes wasmtime's compiled generic and hand-specialized modules
//! (`KERNEL.cwasm`, `KERNEL_hand.cwasm`, ELF files: `objdump -d` them).
//!
//! ```sh
//! cargo run --release -p stagec-benches --bin bench-explain -- KERNEL [FUNC] [--cwasm DIR]
//! ```
//! FUNC is an export name or a function index (default `run`).

use anyhow::{Context, Result};
use clap::Parser;
use stagec::{CompileOptions, Engine, Explanation, Module};
use stagec_benches::runner::stagec as stagec_runner;
use stagec_benches::runner::wasmtime::wt;
use std::path::PathBuf;

/// Prints stagec's optimized CLIF and machine code of one function of a kernel,
/// specialized on the kernel's bindings next to the generic build.
#[derive(Debug, Parser)]
struct Options {
    /// The kernel (struct, hashtab, matmul, interp, sha, nbody)
    kernel: String,
    /// The function: an export name or a function index
    #[arg(default_value = "run")]
    func: String,
    /// Also write wasmtime's compiled generic and hand-specialized modules into DIR
    /// (KERNEL.cwasm, KERNEL_hand.cwasm)
    #[arg(long, value_name = "DIR")]
    cwasm: Option<PathBuf>,
}

fn main() -> Result<()> {
    let Options {
        kernel,
        func,
        cwasm,
    } = Options::parse();
    let name = kernel.as_str();
    let kernel = stagec_benches::kernel(name).with_context(|| format!("no kernel `{name}`"))?;

    let engine = Engine::new(Default::default())?;
    let pre = stagec_runner::bindings(&engine, &kernel.plan(0)?)?;
    let explained = Module::explain(
        &engine,
        kernel.generic,
        &pre,
        &func,
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
            let compiled = wt(engine.precompile_module(&bytes))?;
            let path = dir.join(format!("{name}{suffix}.cwasm"));
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

#[cfg(test)]
mod tests {
    use super::*;
    use stagec_benches::cli::try_parse;

    #[test]
    fn flags_and_defaults() {
        let o = try_parse::<Options>(&["struct"]).unwrap();
        assert_eq!(
            (o.kernel.as_str(), o.func.as_str(), o.cwasm),
            ("struct", "run", None)
        );
        let o = try_parse::<Options>(&["interp", "3", "--cwasm", "/tmp"]).unwrap();
        assert_eq!((o.kernel.as_str(), o.func.as_str()), ("interp", "3"));
        assert_eq!(o.cwasm, Some(PathBuf::from("/tmp")));
        assert!(try_parse::<Options>(&[]).is_err());
    }
}
