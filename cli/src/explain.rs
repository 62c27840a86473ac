//! `stagec explain`: a function's optimized CLIF and machine code, specialized next to
//! generic, with instruction, vmctx-load and call counts.

use crate::bindings::Binder;
use crate::{BindingArgs, engine, read_module};
use anyhow::Result;
use stagec::{Explanation, Module};
use std::path::Path;

pub fn explain(file: &Path, func: &str, clif_only: bool, args: &BindingArgs) -> Result<()> {
    let engine = engine()?;
    let binary = read_module(file)?;
    let imports = Module::import_types(&binary)?;
    let flags = BindingArgs::parse(&args.preimports)?;
    let mut binder = Binder::new(&engine, &flags);
    let preimports = binder.preimports_for(&imports)?;
    binder.check_all_used()?;
    let explained = Module::explain(&engine, &binary, &preimports, func, &args.options())?;
    print_explained(&format!("`{func}`"), &explained, clif_only);
    Ok(())
}

/// Prints an explanation: both builds' CLIF and machine code and a summary titled
/// `title`, or only the specialized CLIF.
pub fn print_explained(title: &str, explained: &stagec::Explained, clif_only: bool) {
    if clif_only {
        println!("{}", explained.specialized.clif.trim_end());
        return;
    }
    print_section("specialized", &explained.specialized);
    print_section("generic", &explained.generic);
    let (s, g) = (&explained.specialized, &explained.generic);
    println!("== summary: {title}");
    println!(
        "CLIF instructions:    specialized {:>5}   generic {:>5}",
        s.clif_insts, g.clif_insts
    );
    println!(
        "machine instructions: specialized {:>5}   generic {:>5}",
        s.machine_insts, g.machine_insts
    );
    println!(
        "vmctx loads:          specialized {:>5}   generic {:>5}",
        s.vmctx_loads, g.vmctx_loads
    );
    let calls = |e: &Explanation| {
        format!(
            "{}/{}/{}",
            e.calls.direct, e.calls.indirect, e.calls.builtin
        )
    };
    println!(
        "calls (direct/indirect/builtin): specialized {}   generic {}",
        calls(s),
        calls(g)
    );
}

fn print_section(title: &str, e: &Explanation) {
    println!("== {title}: optimized CLIF ({} instructions)", e.clif_insts);
    println!("{}", e.clif.trim_end());
    println!(
        "== {title}: machine code ({} instructions)",
        e.machine_insts
    );
    println!("{}", e.disasm.trim_end());
    println!();
}
