//! The `.wast` runner's own rules: what passes, fails and is skipped.

use stagec::wast::{WastReport, run_wast_source};

/// Runs `script` on a thread with a big stack, as the spec test does.
fn run(script: &'static str) -> WastReport {
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || run_wast_source("test.wast", script))
        .expect("spawn")
        .join()
        .expect("runner panicked")
}

fn assert_counts(report: &WastReport, passed: usize, failed: usize, skipped: usize) {
    assert_eq!(
        (report.passed, report.failed(), report.skipped),
        (passed, failed, skipped),
        "{report}\nskip reasons: {:?}",
        report.skip_reasons
    );
}

#[test]
fn values_and_patterns() {
    let report = run(r#"
        (module
          (func (export "canon") (result f32) (f32.const nan))
          (func (export "arith") (result f64) (f64.const nan:0xc000000000001))
          (func (export "neg0") (result f32) (f32.const -0))
          (func (export "id") (param externref) (result externref) (local.get 0))
          (func $f (export "fref") (result funcref) (ref.func $f))
          (func (export "fnull") (result funcref) (ref.null func))
          (func (export "two") (result i32 i64) (i32.const -1) (i64.const 2)))
        (assert_return (invoke "canon") (f32.const nan:canonical))
        (assert_return (invoke "arith") (f64.const nan:arithmetic))
        (assert_return (invoke "arith") (f64.const nan:canonical))
        (assert_return (invoke "neg0") (f32.const -0))
        (assert_return (invoke "neg0") (f32.const 0))
        (assert_return (invoke "id" (ref.extern 7)) (ref.extern 7))
        (assert_return (invoke "id" (ref.extern 7)) (ref.extern))
        (assert_return (invoke "id" (ref.null extern)) (ref.null extern))
        (assert_return (invoke "id" (ref.extern 7)) (ref.extern 8))
        (assert_return (invoke "fref") (ref.func))
        (assert_return (invoke "fnull") (ref.null func))
        (assert_return (invoke "fnull") (ref.null))
        (assert_return (invoke "two") (i32.const -1) (i64.const 2))
        (assert_return (invoke "two") (either (i32.const 0) (i32.const -1)) (i64.const 2))
        (assert_return (invoke "two") (i32.const -1))
    "#);
    assert_counts(&report, 12, 4, 0);
    let lines: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, [12, 14, 18, 24], "{report}");
}

#[test]
fn traps_and_exhaustion() {
    let report = run(r#"
        (module
          (memory 1)
          (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
          (func $loop (export "loop") (call $loop)))
        (assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
        (assert_trap (invoke "div" (i32.const 0)) "integer divide")
        (assert_trap (invoke "div" (i32.const 0)) "unreachable")
        (assert_trap (invoke "div" (i32.const 1)) "integer divide by zero")
        (assert_exhaustion (invoke "loop") "call stack exhausted")
        (assert_trap (module (memory 1) (data (i32.const 65536) "x")) "out of bounds memory access")
        (assert_trap (module (func $s unreachable) (start $s)) "unreachable")
        (assert_trap (module) "unreachable")
    "#);
    assert_counts(&report, 6, 3, 0);
}

#[test]
fn modules_linking_and_rejection() {
    let report = run(r#"
        (module $A (global (export "g") i32 (i32.const 42)) (func (export "f") (result i32) (i32.const 7)))
        (register "a" $A)
        (module $B
          (import "a" "g" (global i32))
          (import "a" "f" (func $f (result i32)))
          (import "spectest" "print_i32" (func (param i32)))
          (import "spectest" "memory" (memory 1))
          (import "spectest" "table" (table 10 funcref))
          (import "spectest" "global_i32" (global i32))
          (func (export "sum") (result i32) (i32.add (global.get 0) (call $f))))
        (assert_return (invoke $B "sum") (i32.const 49))
        (assert_return (get $A "g") (i32.const 42))
        (assert_unlinkable (module (import "a" "nope" (func))) "unknown import")
        (assert_unlinkable (module (import "a" "g" (global i64))) "incompatible import type")
        (assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
        (assert_malformed (module quote "(func (i32.const))") "unexpected token")
        (assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
        (assert_invalid (module (func (result i32) (i32.const 0))) "accepted: fails")
        (module definition $D (func (export "h") (result i32) (i32.const 5)))
        (module instance $I $D)
        (assert_return (invoke $I "h") (i32.const 5))
    "#);
    assert_counts(&report, 13, 1, 0);
    assert_eq!(report.failures[0].line, 19, "{report}");
}

#[test]
fn unsupported_modules_are_skipped_with_their_commands() {
    let report = run(r#"
        (module $M (memory (export "mem") 1) (func (export "read") (result i32) (i32.load8_u (i32.const 0))))
        (register "m" $M)
        (module $S (func (export "v") (result anyref) (ref.null any)))
        (assert_return (invoke $S "v") (ref.null any))
        (invoke $S "v")
        (register "s" $S)
        (module (import "s" "v" (func (result anyref))))
        (module (import "m" "mem" (memory 1)) (type (struct)) (data (i32.const 0) "\01"))
        (assert_return (invoke $M "read") (i32.const 1))
        (module (func (export "ok") (result i32) (i32.const 3)))
        (assert_return (invoke "ok") (i32.const 3))
    "#);
    // $M's data may have been changed by the skipped GC module: `read` is skipped.
    assert_counts(&report, 4, 0, 7);
}

#[test]
fn v128_arguments_and_lane_patterns() {
    let report = run(r#"
        (module
          (func (export "id") (param v128) (result v128) (local.get 0))
          (func (export "nans") (result v128)
            (f32x4.div (v128.const f32x4 0 0 1 -1) (v128.const f32x4 0 0 0 0))))
        (assert_return (invoke "id" (v128.const i16x8 1 -2 3 -4 5 -6 7 -8))
                       (v128.const i16x8 1 -2 3 -4 5 -6 7 -8))
        (assert_return (invoke "id" (v128.const i64x2 -1 2)) (v128.const i32x4 -1 -1 2 0))
        (assert_return (invoke "id" (v128.const f64x2 nan:0x8000000000001 -0x1p-1074))
                       (v128.const f64x2 nan:arithmetic -0x1p-1074))
        (assert_return (invoke "nans") (v128.const f32x4 nan:canonical nan:canonical inf -inf))
        (assert_return (invoke "nans") (either (v128.const i32x4 0 0 0 0)
                                               (v128.const f32x4 nan:arithmetic nan:arithmetic inf -inf)))
        (assert_return (invoke "id" (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1))
                       (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2))
        (assert_return (invoke "nans") (v128.const f32x4 0 nan:canonical inf -inf))
    "#);
    // The last two directives fail: a wrong lane, and a number where a NaN is.
    assert_counts(&report, 6, 2, 0);
    assert_eq!(report.failures[0].line, 14, "{report}");
    assert!(report.to_string().contains("v128:i8x16 0 0 0"), "{report}");
}

#[test]
fn failed_modules_mark_their_dependents() {
    let report = run(r#"
        (module $Bad (func (export "f") (result i32) (i64.const 0)))
        (assert_return (invoke "f") (i32.const 0))
        (assert_return (invoke $Bad "f") (i32.const 0))
        (register "bad" $Bad)
        (module (import "bad" "f" (func (result i32))))
    "#);
    assert_counts(&report, 0, 5, 0);
    let causes: Vec<Option<usize>> = report.failures.iter().map(|f| f.caused_by).collect();
    assert_eq!(
        causes,
        [None, Some(2), Some(2), Some(2), Some(2)],
        "{report}"
    );
}

#[test]
fn script_errors_are_one_failure() {
    let report = run("(module (func)) (assert_return (invoke \"f\"");
    assert_counts(&report, 0, 1, 0);
    assert_eq!(report.failures[0].directive, "script");
    let report = run(r#"(assert_return (invoke "f") (i32.const 0))"#);
    assert_counts(&report, 0, 1, 0);
    assert!(report.failures[0].message.contains("no module"), "{report}");
}
