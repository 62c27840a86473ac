//! The counts of `Compiler::explain` beside the instruction counts: vmctx loads and calls
//! by kind (direct, indirect, builtin), in the generic and the specialized build.

mod common;

use common::{parse, unit};
use stagec_codegen::{CallCounts, CompileOptions, Compiler, ConstValue, ImportBinding};

use ImportBinding::{Constant, Runtime};

/// A function that reads an imported global, calls an imported function, an own function
/// twice, one through a table, and `memory.fill` (a builtin).
const MODULE: &str = r#"(module
    (import "env" "k" (global $k i32))
    (import "env" "f" (func $f (param i32) (result i32)))
    (memory 1)
    (table 1 funcref)
    (type $t (func (param i32) (result i32)))
    (func $own (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
    (func (param $x i32) (result i32)
      (memory.fill (local.get $x) (i32.const 0) (global.get $k))
      (i32.add
        (i32.add (call $f (global.get $k)) (call $own (local.get $x)))
        (i32.add (call $own (i32.const 3))
                 (call_indirect (type $t) (local.get $x) (local.get $x))))))"#;

#[test]
fn vmctx_loads_and_calls_are_counted() {
    let m = parse(MODULE);
    let compiler = Compiler::new().unwrap();
    // No inlining: the own calls stay calls.
    let opts = CompileOptions {
        inline_threshold: 0,
        ..CompileOptions::default()
    };
    let generic = compiler
        .explain(&[unit(&m, vec![Runtime, Runtime])], &opts, 1)
        .unwrap();
    assert_eq!(
        generic.calls,
        CallCounts {
            direct: 2,
            indirect: 2,
            builtin: 1
        },
        "{}",
        generic.clif
    );
    let specialized = compiler
        .explain(
            &[unit(&m, vec![Constant(ConstValue::I32(64)), Runtime])],
            &opts,
            1,
        )
        .unwrap();
    assert_eq!(specialized.calls, generic.calls, "{}", specialized.clif);
    // The generic build reads `$k`'s address from the vmctx (then `$k` through it); the
    // specialized one has 64 as an immediate.
    assert!(
        specialized.vmctx_loads < generic.vmctx_loads,
        "specialized {} vs generic {}:\n{}",
        specialized.vmctx_loads,
        generic.vmctx_loads,
        generic.clif
    );
    let vmctx_lines = |clif: &str| {
        // `vN = load... vM+off` with vM the vmctx parameter (v0 in stagec's signatures).
        clif.lines()
            .filter(|l| {
                l.contains("load")
                    && l.trim_end()
                        .rsplit(' ')
                        .next()
                        .is_some_and(|a| a == "v0" || a.starts_with("v0+") || a.starts_with("v0-"))
            })
            .count()
    };
    assert_eq!(
        generic.vmctx_loads,
        vmctx_lines(&generic.clif),
        "{}",
        generic.clif
    );
    assert_eq!(specialized.vmctx_loads, vmctx_lines(&specialized.clif));

    // A leaf without memory or imports loads nothing from the vmctx and calls nothing.
    let leaf = compiler
        .explain(&[unit(&m, vec![Runtime, Runtime])], &opts, 0)
        .unwrap();
    assert_eq!((leaf.vmctx_loads, leaf.calls), (0, CallCounts::default()));
}
