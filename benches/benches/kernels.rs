//! Criterion benches: one group per kernel, one function per variant (stagec-spec,
//! stagec-indir, wasmtime, wasmtime-hand). Every kernel's four checksums are checked to be
//! equal before it is timed.
//!
//! `cargo bench -p stagec-benches --bench kernels [-- FILTER]` measures;
//! `cargo test --benches` (and the CI's `cargo test --workspace --all-targets`) runs each
//! function once, as a test. For one table of all medians and ratios, use the
//! `bench-table` binary (see benches/README.md).

use criterion::{Criterion, criterion_group, criterion_main};
use stagec_benches::{Bench, KERNELS};
use std::hint::black_box;
use std::time::Duration;

fn kernels(c: &mut Criterion) {
    for kernel in KERNELS {
        let mut bench = Bench::new(kernel, kernel.arg)
            .unwrap_or_else(|e| panic!("kernel {}: {e:#}", kernel.name));
        let checksum = bench.checksum;
        let mut group = c.benchmark_group(kernel.name);
        // Each call takes milliseconds: few, long samples.
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        for (variant, runner) in &mut bench.runners {
            group.bench_function(variant.name(), |b| {
                b.iter(|| {
                    let sum = runner.call(&[black_box(kernel.arg)]).unwrap();
                    assert_eq!(sum, checksum, "{}: {}", kernel.name, variant.name());
                    sum
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, kernels);
criterion_main!(benches);
