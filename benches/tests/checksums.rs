//! Every kernel computes the same checksum in all four variants (stagec specialized,
//! stagec with runtime imports, wasmtime generic, wasmtime hand-specialized), and that
//! checksum is the recorded one.

use stagec_benches::{Bench, KERNELS};

#[test]
fn all_variants_agree_with_the_recorded_checksum() {
    let mut failures = Vec::new();
    for kernel in KERNELS {
        match Bench::new(kernel, kernel.test_arg) {
            Ok(bench) if bench.checksum == kernel.test_checksum => {}
            Ok(bench) => failures.push(format!(
                "{}: run({}) = {}, recorded {}",
                kernel.name, kernel.test_arg, bench.checksum, kernel.test_checksum
            )),
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_argument_changes_the_checksum() {
    // Guards against a kernel whose checksum ignores the work (e.g. a loop that never ran).
    for kernel in KERNELS {
        let mut bench = Bench::new(kernel, kernel.test_arg).unwrap();
        let other = bench.check(kernel.test_arg + 1).unwrap();
        assert_ne!(bench.checksum, other, "{}", kernel.name);
    }
}

#[test]
fn code_placement_does_not_change_the_checksum() {
    for kernel in KERNELS {
        for placement in 1..3 {
            let bench = Bench::placed(kernel, kernel.test_arg, placement)
                .unwrap_or_else(|e| panic!("{e:#}"));
            assert_eq!(
                bench.checksum, kernel.test_checksum,
                "{} placement {placement}",
                kernel.name
            );
        }
    }
}
