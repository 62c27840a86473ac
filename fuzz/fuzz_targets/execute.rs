//! Execution never crashes the host: valid wasm-smith modules (with termination fuel) are
//! instantiated with host-supplied imports and every export is called, on stagec generic
//! and specialized on a random subset of the imports. Any trap is fine; a panic, a crash or
//! a compile error of a valid module is a bug.
#![no_main]

#[path = "../../tests/tests/common/differential.rs"]
mod differential;

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static ENGINE: LazyLock<stagec::Engine> = LazyLock::new(differential::stagec_engine);

fuzz_target!(|data: &[u8]| {
    let Some(bytes) = differential::generate_from_data(data) else {
        return;
    };
    let engine = &*ENGINE;
    let module = stagec::Module::from_binary(engine, &bytes)
        .unwrap_or_else(|e| panic!("a valid module fails to compile: {e}"));
    let mut r = differential::Rng(data.len() as u64);
    let plan = differential::plan_stagec(&module, &mut r);
    let generic = differential::run_stagec(engine, &bytes, &plan, false)
        .unwrap_or_else(|e| panic!("generic: {e}"));
    if plan.specializes() {
        let specialized = differential::run_stagec(engine, &bytes, &plan, true)
            .unwrap_or_else(|e| panic!("specialized: {e}"));
        // Generic and specialized stagec must agree too.
        if let differential::Verdict::Mismatch(m) =
            differential::compare(&plan, &generic, &specialized)
        {
            panic!("generic and specialized stagec disagree: {m}");
        }
    }
});
