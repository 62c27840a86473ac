//! Differential fuzzing against wasmtime 48: the same comparison as
//! `tests/tests/differential_wasmtime.rs` (`common/differential.rs`), on modules that
//! wasm-smith builds from the fuzzer's input. A mismatch panics with its description.
#![no_main]

#[path = "../../tests/tests/common/differential.rs"]
mod differential;

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static ENGINES: LazyLock<differential::Engines> = LazyLock::new(differential::Engines::new);

fuzz_target!(|data: &[u8]| {
    let Some(bytes) = differential::generate_from_data(data) else {
        return;
    };
    let seed = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100_0000_01b3)
    });
    let report = differential::check_module(&ENGINES, &bytes, seed);
    if let Some(why) = report.rejected {
        panic!("wasmtime rejected a wasm-smith module: {why}");
    }
    if !report.mismatches.is_empty() {
        panic!(
            "stagec disagrees with wasmtime:\n{}",
            report.mismatches.join("\n")
        );
    }
});
