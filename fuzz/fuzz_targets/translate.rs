//! Compilation never panics: arbitrary bytes (binary or text) are compiled, and valid
//! wasm-smith modules are compiled generic and specialized on random preimport values
//! (where every compilation must succeed).
#![no_main]

#[path = "../../tests/tests/common/differential.rs"]
mod differential;

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static ENGINE: LazyLock<stagec::Engine> = LazyLock::new(differential::stagec_engine);

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let engine = &*ENGINE;
    match mode % 4 {
        // Raw bytes: must be an error or a module, never a panic.
        0 => {
            let _ = stagec::Module::from_binary(engine, rest);
        }
        // Text (or binary), through `Module::new`.
        1 => {
            let _ = stagec::Module::new(engine, rest);
        }
        // A valid module: both builds compile.
        _ => {
            let Some(bytes) = differential::generate_from_data(rest) else {
                return;
            };
            let module = stagec::Module::from_binary(engine, &bytes)
                .unwrap_or_else(|e| panic!("a valid module fails to compile: {e}"));
            let mut r = differential::Rng(mode as u64 ^ rest.len() as u64);
            let plan = differential::plan_stagec(&module, &mut r);
            let mut pre = stagec::Preimports::new();
            for ((m, n, p), bind) in plan.imports.iter().zip(&plan.binds) {
                if let (differential::Bind::Value, differential::ImportPlan::Global { value, .. }) =
                    (bind, p)
                {
                    pre.value(m, n, differential::sc_val(*value));
                }
            }
            stagec::Module::with_preimports(engine, &bytes, &pre)
                .unwrap_or_else(|e| panic!("a valid module fails to compile specialized: {e}"));
        }
    }
});
