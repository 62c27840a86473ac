//! Specialization on preimports: constants, folded branches and addresses, direct and
//! inlined calls into fixed units, validation of dead code. Checked on the optimized CLIF
//! and the disassembly that `Compiler::explain` returns, and on the artifact of
//! `compile_units`. Binding errors are in `binding_errors.rs`.

mod common;

use common::{
    CONSUMER, PROVIDER, compile, compile_err, count, explain, fixed_unit, opts, parse, unit,
};
use stagec_codegen::{
    CodegenErrorKind, CompileUnit, Compiler, ConstValue, ImportBinding, MemoryExtent,
};
use stagec_environ::TrapKind;
use stagec_environ::artifact::RelocTarget;

use ImportBinding::{Constant, Runtime};

/// Instruction lines of the disassembly.
fn machine_lines(disasm: &str) -> Vec<&str> {
    disasm
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.ends_with(':') && !l.starts_with("unwind"))
        .collect()
}

#[test]
fn constant_global_is_folded() {
    let m = parse(
        r#"(module
            (import "env" "n" (global $n i32))
            (func (result i32) (i32.mul (global.get $n) (i32.const 3))))"#,
    );
    let specialized = explain(
        &[unit(&m, vec![Constant(ConstValue::I32(7))])],
        &opts(100),
        0,
    );
    assert_eq!(count(&specialized.clif, "load"), 0, "{}", specialized.clif);
    assert!(
        specialized.clif.contains("iconst.i32 21"),
        "{}",
        specialized.clif
    );
    assert_eq!(count(&specialized.clif, "imul"), 0, "{}", specialized.clif);

    let generic = explain(&[unit(&m, vec![Runtime])], &opts(100), 0);
    assert!(count(&generic.clif, "load") >= 2, "{}", generic.clif);
    assert!(generic.clif_insts > specialized.clif_insts);
    assert!(generic.machine_insts > specialized.machine_insts);
}

#[test]
fn float_and_i64_constants() {
    let m = parse(
        r#"(module
            (import "env" "x" (global $x f64))
            (import "env" "y" (global $y i64))
            (import "env" "z" (global $z f32))
            (func (result f64) (f64.add (global.get $x) (f64.const 1)))
            (func (result i64) (i64.shl (global.get $y) (i64.const 65)))
            (func (result f32) (global.get $z)))"#,
    );
    let units = [unit(
        &m,
        vec![
            Constant(ConstValue::F64(2.5f64.to_bits())),
            Constant(ConstValue::I64(-3)),
            Constant(ConstValue::F32(1.5f32.to_bits())),
        ],
    )];
    let x = explain(&units, &opts(100), 0);
    assert_eq!(count(&x.clif, "load"), 0, "{}", x.clif);
    assert!(
        x.clif.contains("f64const 0x1.c000000000000p1"),
        "{}",
        x.clif
    );
    let y = explain(&units, &opts(100), 1);
    assert!(y.clif.contains("iconst.i64 -6"), "{}", y.clif);
    let z = explain(&units, &opts(100), 2);
    assert!(z.clif.contains("f32const 0x1.800000p0"), "{}", z.clif);
}

const MODE_SWITCH: &str = r#"(module
    (import "env" "mode" (global $mode i32))
    (import "env" "log" (func $log (param i32)))
    (func (param i32) (result i32)
        (if (result i32) (i32.eq (global.get $mode) (i32.const 1))
            (then (call $log (i32.const 1111)) (i32.const 10))
            (else (i32.mul (local.get 0) (i32.const 2222))))))"#;

#[test]
fn known_if_translates_the_live_arm_only() {
    let m = parse(MODE_SWITCH);
    let mode = |v| vec![Constant(ConstValue::I32(v)), Runtime];
    let then = explain(&[unit(&m, mode(1))], &opts(100), 0);
    assert_eq!(count(&then.clif, "brif"), 0, "{}", then.clif);
    assert_eq!(count(&then.clif, "call_indirect"), 1, "{}", then.clif);
    assert!(then.clif.contains("1111") && !then.clif.contains("2222"));

    let otherwise = explain(&[unit(&m, mode(0))], &opts(100), 0);
    assert_eq!(count(&otherwise.clif, "brif"), 0, "{}", otherwise.clif);
    assert_eq!(count(&otherwise.clif, "call_indirect"), 0);
    assert!(otherwise.clif.contains("2222") && !otherwise.clif.contains("1111"));

    let generic = explain(&[unit(&m, vec![Runtime, Runtime])], &opts(100), 0);
    assert_eq!(count(&generic.clif, "brif"), 1, "{}", generic.clif);
}

#[test]
fn known_if_shapes() {
    // `if` without `else` carrying parameters, nested `if`s, dead arms with nested blocks
    // and branches out of the live arm: all compile (the verifier runs in debug builds).
    let m = parse(
        r#"(module
            (import "env" "c" (global $c i32))
            (func (param i32) (result i32)
                (local.get 0)
                (if (param i32) (result i32) (global.get $c)
                    (then (i32.const 1) (i32.add)))
                (if (param i32) (result i32) (i32.eqz (global.get $c))
                    (then (block (loop (br 1))) (i32.const 2) (i32.add))
                    (else (if (global.get $c) (then (br 2 (i32.const 9)))))))
            (func (result i32)
                (block (result i32)
                    (if (global.get $c)
                        (then (br 1 (i32.const 5)))
                        (else (br 1 (i32.const 6))))
                    (i32.const 7))))"#,
    );
    for c in [0, 1] {
        let units = [unit(&m, vec![Constant(ConstValue::I32(c))])];
        compile(&units, &opts(100));
        let e = explain(&units, &opts(100), 1);
        let expected = if c == 1 {
            "iconst.i32 5"
        } else {
            "iconst.i32 6"
        };
        assert!(e.clif.contains(expected), "{}", e.clif);
        assert_eq!(count(&e.clif, "brif"), 0, "{}", e.clif);
    }
}

#[test]
fn dead_arms_are_still_validated() {
    let m = parse(
        r#"(module
            (import "env" "c" (global $c i32))
            (func (result i32)
                (if (result i32) (global.get $c)
                    (then (i32.const 1))
                    (else (i64.const 2)))))"#,
    );
    let e = compile_err(&[unit(&m, vec![Constant(ConstValue::I32(1))])]);
    assert!(
        matches!(&e.kind, CodegenErrorKind::Wasm(v) if v.message().contains("type mismatch")),
        "{e:?}"
    );
    assert_eq!(e.func_index, Some(0));
}

#[test]
fn br_if_br_table_and_select_fold() {
    let m = parse(
        r#"(module
            (import "env" "sel" (global $sel i32))
            (func (result i32)
                (block $a
                    (block $b
                        (block $c
                            (br_table $a $b $c (global.get $sel)))
                        (return (i32.const 300)))
                    (return (i32.const 200)))
                (i32.const 100))
            (func (param i32) (result i32)
                (block $out (result i32)
                    (br_if $out (i32.const 400) (i32.eq (global.get $sel) (i32.const 1)))
                    (drop)
                    (local.get 0)))
            (func (param i32 i32) (result i32)
                (select (local.get 0) (local.get 1) (global.get $sel))))"#,
    );
    let sel = |v| [unit(&m, vec![Constant(ConstValue::I32(v))])];
    let generic = [unit(&m, vec![Runtime])];

    let table = explain(&sel(1), &opts(100), 0);
    assert_eq!(count(&table.clif, "br_table"), 0, "{}", table.clif);
    assert!(table.clif.contains("iconst.i32 200"), "{}", table.clif);
    let default = explain(&sel(17), &opts(100), 0);
    assert!(default.clif.contains("iconst.i32 300"), "{}", default.clif);
    assert_eq!(count(&explain(&generic, &opts(100), 0).clif, "br_table"), 1);

    let taken = explain(&sel(1), &opts(100), 1);
    assert_eq!(count(&taken.clif, "brif"), 0, "{}", taken.clif);
    assert!(taken.clif.contains("iconst.i32 400"), "{}", taken.clif);
    let not_taken = explain(&sel(0), &opts(100), 1);
    assert_eq!(count(&not_taken.clif, "brif"), 0, "{}", not_taken.clif);
    assert!(!not_taken.clif.contains("400"), "{}", not_taken.clif);
    assert_eq!(count(&explain(&generic, &opts(100), 1).clif, "brif"), 1);

    let select = explain(&sel(0), &opts(100), 2);
    assert_eq!(count(&select.clif, "select"), 0, "{}", select.clif);
    assert!(
        select.clif.contains("return v3"),
        "second parameter: {}",
        select.clif
    );
    assert_eq!(count(&explain(&generic, &opts(100), 2).clif, "select"), 1);
}

#[test]
fn constant_address_is_a_displacement() {
    let m = parse(
        r#"(module
            (import "env" "off" (global $off i32))
            (memory 1)
            (func (result i32) (i32.load (i32.add (global.get $off) (i32.const 16)))))"#,
    );
    let e = explain(
        &[unit(&m, vec![Constant(ConstValue::I32(8))])],
        &opts(100),
        0,
    );
    let lines = machine_lines(&e.disasm);
    let loads: Vec<_> = lines
        .iter()
        .filter(|l| l.starts_with("movl") && l.contains("0x18("))
        .collect();
    assert_eq!(loads.len(), 1, "{}", e.disasm);
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("add") || l.starts_with("lea")),
        "{}",
        e.disasm
    );
    assert_eq!(count(&e.clif, "iadd"), 0, "{}", e.clif);
}

/// Whether `clif` takes the fixed address `address` of the compilation of `units`: a
/// `func_addr` of its slot (namespace 1), relocated when the artifact is loaded.
fn refers_to(clif: &str, units: &[CompileUnit<'_>], address: usize) -> bool {
    let slots = stagec_codegen::fixed_addresses(units);
    let Some(slot) = slots.iter().position(|&a| a == address) else {
        return false;
    };
    clif.contains("func_addr") && clif.contains(&format!(" = u1:{slot} "))
}

#[test]
fn bound_memory_needs_no_vmctx_load() {
    let m = parse(
        r#"(module
            (import "env" "mem" (memory 1))
            (import "env" "off" (global $off i32))
            (func (result i32) (i32.load offset=4 (global.get $off)))
            (func (result i32) (memory.size)))"#,
    );
    let units = [unit(
        &m,
        vec![
            ImportBinding::MemoryAt {
                base: 0x7000_0000,
                def: 0x5000,
                extent: MemoryExtent::default(),
            },
            Constant(ConstValue::I32(12)),
        ],
    )];
    let e = explain(&units, &opts(100), 0);
    // One load: the access itself, from the constant base, displacement 16.
    assert_eq!(count(&e.clif, "load"), 1, "{}", e.clif);
    assert!(refers_to(&e.clif, &units, 0x7000_0000), "{}", e.clif);
    assert!(e.clif.contains("+16"), "{}", e.clif);
    let size = explain(&units, &opts(100), 1);
    assert!(refers_to(&size.clif, &units, 0x5000), "{}", size.clif);
    assert_eq!(count(&size.clif, "load"), 1, "{}", size.clif);
}

#[test]
fn offset_folds_only_when_the_add_cannot_wrap() {
    let m = parse(
        r#"(module
            (import "env" "off" (global $off i32))
            (memory 1)
            (func (param i32) (result i32)
                (i32.load (i32.add (i32.load8_u (local.get 0)) (global.get $off))))
            (func (param i32) (result i32)
                (i32.load (i32.add (i32.and (local.get 0) (i32.const 0xffff)) (global.get $off))))
            (func (param i32) (result i32)
                (i32.load (i32.add (local.get 0) (global.get $off)))))"#,
    );
    let units = [unit(&m, vec![Constant(ConstValue::I32(40))])];
    // The displacement of the (last) `i32` heap load.
    let displacement = |clif: &str| -> String {
        let line = clif
            .lines()
            .rfind(|l| l.contains("load.i32 little"))
            .unwrap();
        line.rsplit_once('+')
            .map_or(String::new(), |(_, d)| d.trim().to_string())
    };
    // Only `base + zext(index)` adds remain (two for the byte load and the word load, one
    // for the masked index); 40 is the word load's displacement.
    for (f, adds) in [(0, 2), (1, 1)] {
        let e = explain(&units, &opts(100), f);
        assert_eq!(count(&e.clif, "iadd"), adds, "{}", e.clif);
        assert!(!e.clif.contains("iconst.i32 40"), "{}", e.clif);
        assert_eq!(displacement(&e.clif), "40", "{}", e.clif);
    }
    // An arbitrary i32 plus 40 may wrap: the 32-bit add stays.
    let e = explain(&units, &opts(100), 2);
    assert_eq!(count(&e.clif, "iadd"), 2, "{}", e.clif);
    assert!(e.clif.contains("iconst.i32 40"), "{}", e.clif);
    assert_eq!(displacement(&e.clif), "", "{}", e.clif);
}

#[test]
fn preimported_function_is_called_directly_or_inlined() {
    let provider = parse(PROVIDER);
    let consumer = parse(CONSUMER);
    let units = [
        unit(
            &consumer,
            vec![ImportBinding::Function { unit: 1, func: 0 }],
        ),
        fixed_unit(&provider, vec![]),
    ];
    let inlined = explain(&units, &opts(100), 0);
    assert_eq!(count(&inlined.clif, "call"), 0, "{}", inlined.clif);
    assert_eq!(count(&inlined.clif, "call_indirect"), 0, "{}", inlined.clif);
    assert_eq!(count(&inlined.clif, "iadd"), 1, "{}", inlined.clif);

    let direct = explain(&units, &opts(0), 0);
    assert_eq!(count(&direct.clif, "call"), 1, "{}", direct.clif);
    assert_eq!(count(&direct.clif, "call_indirect"), 0, "{}", direct.clif);
    assert_eq!(
        count(&direct.clif, "load"),
        0,
        "no load through the vmctx: {}",
        direct.clif
    );
    assert!(
        refers_to(&direct.clif, &units, 4096),
        "callee vmctx: {}",
        direct.clif
    );

    // The artifact: unit 0's function, then unit 1's; the call is relocated against the
    // whole artifact's function list.
    let artifact = compile(&units, &opts(0));
    assert_eq!(artifact.functions.len(), 2);
    assert_eq!(artifact.unit_starts, vec![0, 1]);
    assert_eq!(artifact.entry_trampolines.len(), consumer.info.types.len());
    let caller = artifact.functions[0];
    assert!(
        artifact
            .relocations
            .iter()
            .any(|r| r.target == RelocTarget::DefinedFunc(1)
                && r.offset >= caller.offset
                && r.offset < caller.offset + caller.len)
    );
    let inlined = compile(&units, &opts(100));
    assert!(
        !inlined
            .relocations
            .iter()
            .any(|r| r.target == RelocTarget::DefinedFunc(1)),
        "{:?}",
        inlined.relocations
    );
}

#[test]
fn generic_build_keeps_the_indirect_call() {
    let consumer = parse(CONSUMER);
    let e = explain(&[CompileUnit::generic(&consumer)], &opts(100), 0);
    assert_eq!(count(&e.clif, "call_indirect"), 1, "{}", e.clif);
    let artifact = Compiler::new().unwrap().compile_module(&consumer).unwrap();
    assert_eq!(artifact.unit_starts, vec![0]);
}

#[test]
fn transitive_bindings_inline_through_two_units() {
    // Unit 2 triples; unit 1 calls its import (bound to unit 2) and adds one; unit 0 calls
    // unit 1's function, and also unit 1's import directly.
    let triple = parse(
        r#"(module (func (export "triple") (param i32) (result i32)
            (i32.mul (local.get 0) (i32.const 3))))"#,
    );
    let middle = parse(
        r#"(module
            (import "t" "triple" (func $triple (param i32) (result i32)))
            (func (export "f") (param i32) (result i32)
                (i32.add (call $triple (local.get 0)) (i32.const 1))))"#,
    );
    let consumer = parse(
        r#"(module
            (import "m" "f" (func $f (param i32) (result i32)))
            (import "m" "triple" (func $triple (param i32) (result i32)))
            (func (result i32) (call $f (i32.const 5)))
            (func (param i32) (result i32) (call $triple (local.get 0))))"#,
    );
    let units = [
        unit(
            &consumer,
            vec![
                ImportBinding::Function { unit: 1, func: 1 },
                // Function 0 of unit 1 is its import: followed to unit 2.
                ImportBinding::Function { unit: 1, func: 0 },
            ],
        ),
        fixed_unit(&middle, vec![ImportBinding::Function { unit: 2, func: 0 }]),
        fixed_unit(&triple, vec![]),
    ];
    let e = explain(&units, &opts(100), 0);
    assert_eq!(count(&e.clif, "call"), 0, "{}", e.clif);
    assert!(
        e.clif.contains("iconst.i32 16"),
        "5 * 3 + 1 folded: {}",
        e.clif
    );
    let direct = explain(&units, &opts(0), 1);
    assert_eq!(count(&direct.clif, "call"), 1, "{}", direct.clif);
    let artifact = compile(&units, &opts(0));
    assert_eq!(artifact.unit_starts, vec![0, 2, 3]);
    assert_eq!(artifact.functions.len(), 4);
    // Unit 0's second function calls unit 2's function (artifact index 3) directly.
    let caller = artifact.functions[1];
    assert!(
        artifact
            .relocations
            .iter()
            .any(|r| r.target == RelocTarget::DefinedFunc(3)
                && r.offset >= caller.offset
                && r.offset < caller.offset + caller.len)
    );
}

#[test]
fn fixed_units_use_absolute_addresses() {
    let provider = parse(
        r#"(module
            (global $g (mut i32) (i32.const 0))
            (memory 1)
            (func (export "get") (result i32)
                (global.set $g (i32.add (global.get $g) (i32.const 1)))
                (i32.add (global.get $g) (i32.load (i32.const 8)))))"#,
    );
    let consumer = parse(
        r#"(module
            (import "p" "get" (func $get (result i32)))
            (func (result i32) (call $get)))"#,
    );
    let units = [
        unit(
            &consumer,
            vec![ImportBinding::Function { unit: 1, func: 0 }],
        ),
        fixed_unit(&provider, vec![]),
    ];
    let e = explain(&units, &opts(100), 0);
    assert_eq!(count(&e.clif, "call"), 0, "{}", e.clif);
    // Global at 0x3000, memory base at 0x10_0000: relocated constants, and no load
    // relative to the caller's vmctx (`v0`).
    assert!(refers_to(&e.clif, &units, 0x3000), "{}", e.clif);
    assert!(refers_to(&e.clif, &units, 0x0010_0000), "{}", e.clif);
    assert!(
        !e.clif.contains(" v0+") && !e.clif.contains(" v0\n"),
        "{}",
        e.clif
    );
}

#[test]
fn fixed_unit_functions_skip_the_stack_limit_check() {
    let provider = parse(
        r#"(module
            (func $rec (export "rec") (param i32) (result i32)
                (if (result i32) (local.get 0)
                    (then (call $rec (i32.sub (local.get 0) (i32.const 1))))
                    (else (i32.const 0)))))"#,
    );
    let consumer = parse(
        r#"(module
            (import "p" "rec" (func $rec (param i32) (result i32)))
            (func $self (param i32) (result i32)
                (i32.add (call $rec (local.get 0)) (call $self (local.get 0)))))"#,
    );
    let units = [
        unit(
            &consumer,
            vec![ImportBinding::Function { unit: 1, func: 0 }],
        ),
        fixed_unit(&provider, vec![]),
    ];
    let artifact = compile(&units, &opts(0));
    let kinds_in = |f: usize| -> Vec<TrapKind> {
        let r = artifact.functions[f];
        artifact
            .traps
            .iter()
            .filter(|t| t.code_offset >= r.offset && t.code_offset < r.offset + r.len)
            .map(|t| t.kind)
            .collect()
    };
    assert!(kinds_in(0).contains(&TrapKind::StackOverflow));
    assert!(!kinds_in(1).contains(&TrapKind::StackOverflow));
}

#[test]
fn traps_in_inlined_code_map_to_the_call_site() {
    let provider = parse(
        r#"(module (func (export "div") (param i32) (result i32)
            (i32.div_u (i32.const 100) (local.get 0))))"#,
    );
    let consumer = parse(
        r#"(module
            (import "p" "div" (func $div (param i32) (result i32)))
            (func (param i32) (result i32) (call $div (local.get 0))))"#,
    );
    let units = [
        unit(
            &consumer,
            vec![ImportBinding::Function { unit: 1, func: 0 }],
        ),
        fixed_unit(&provider, vec![]),
    ];
    let artifact = compile(&units, &opts(100));
    let caller = artifact.functions[0];
    let body = consumer.info.bodies[0].range.clone();
    let call_offset = consumer.bytes[body.clone()]
        .iter()
        .rposition(|&b| b == 0x10)
        .map(|i| (body.start + i) as u32)
        .expect("call opcode");
    let traps: Vec<_> = artifact
        .traps
        .iter()
        .filter(|t| t.code_offset >= caller.offset && t.code_offset < caller.offset + caller.len)
        .collect();
    assert!(
        traps
            .iter()
            .any(|t| t.kind == TrapKind::IntegerDivisionByZero && t.wasm_offset == call_offset),
        "{traps:?}, call at {call_offset:#x}"
    );
}

#[test]
fn recursion_and_mutual_recursion_are_not_inlined_forever() {
    let provider = parse(
        r#"(module
            (func $a (export "a") (param i32) (result i32)
                (if (result i32) (local.get 0)
                    (then (call $b (i32.sub (local.get 0) (i32.const 1))))
                    (else (i32.const 0))))
            (func $b (param i32) (result i32) (call $a (local.get 0))))"#,
    );
    let consumer = parse(
        r#"(module
            (import "p" "a" (func $a (param i32) (result i32)))
            (func (param i32) (result i32) (call $a (local.get 0))))"#,
    );
    let units = [
        unit(
            &consumer,
            vec![ImportBinding::Function { unit: 1, func: 0 }],
        ),
        fixed_unit(&provider, vec![]),
    ];
    let e = explain(&units, &opts(1000), 0);
    assert!(count(&e.clif, "call") >= 1, "{}", e.clif);
    compile(&units, &opts(1000));
}

#[test]
fn many_units_compile_deterministically_in_parallel() {
    let mut provider = String::from("(module\n");
    let mut consumer = String::from("(module\n");
    for i in 0..24 {
        provider.push_str(&format!(
            "(func (export \"f{i}\") (param i32) (result i32) (i32.add (local.get 0) (i32.const {i})))\n"
        ));
        consumer.push_str(&format!(
            "(import \"p\" \"f{i}\" (func $f{i} (param i32) (result i32)))\n"
        ));
    }
    consumer.push_str("(memory 1)\n");
    for i in 0..24 {
        consumer.push_str(&format!(
            "(func (param i32) (result i32) (call $f{i} (i32.load (local.get 0))))\n"
        ));
    }
    provider.push(')');
    consumer.push(')');
    let provider = parse(&provider);
    let consumer = parse(&consumer);
    let units = [
        unit(
            &consumer,
            (0..24)
                .map(|i| ImportBinding::Function { unit: 1, func: i })
                .collect(),
        ),
        fixed_unit(&provider, vec![]),
    ];
    let a = compile(&units, &opts(100));
    let b = compile(&units, &opts(100));
    assert_eq!(a.functions.len(), 48);
    assert_eq!(a.unit_starts, vec![0, 24]);
    assert_eq!(a.code, b.code);
    assert_eq!(a.relocations, b.relocations);
    assert_eq!(a.traps, b.traps);
}

#[test]
fn extended_constant_global_over_preimports_is_a_constant() {
    // `$layout` = n * 8 + 4: known at compile time when `n` is preimported.
    let m = parse(
        r#"(module
            (import "env" "n" (global $n i32))
            (global $layout i32 (i32.add (i32.mul (global.get $n) (i32.const 8)) (i32.const 4)))
            (func (result i32) (global.get $layout)))"#,
    );
    let specialized = explain(
        &[unit(&m, vec![Constant(ConstValue::I32(5))])],
        &opts(100),
        0,
    );
    assert_eq!(count(&specialized.clif, "load"), 0, "{}", specialized.clif);
    assert!(
        specialized.clif.contains("iconst.i32 44"),
        "{}",
        specialized.clif
    );
    let generic = explain(&[unit(&m, vec![Runtime])], &opts(100), 0);
    assert_eq!(count(&generic.clif, "load"), 1, "{}", generic.clif);
}

#[test]
fn preimported_memories_keep_a_fixed_base_each() {
    let m = parse(
        r#"(module
            (import "env" "a" (memory $a 1))
            (import "env" "b" (memory $b 1))
            (func (result i32) (i32.load $a (i32.const 8)))
            (func (result i32) (i32.load $b (i32.const 8))))"#,
    );
    let at = |base, def| ImportBinding::MemoryAt {
        base,
        def,
        extent: MemoryExtent::default(),
    };
    let units = [unit(
        &m,
        vec![at(0x7000_0000, 0x5000), at(0x9000_0000, 0x6000)],
    )];
    for (func, base, other) in [(0, 0x7000_0000, 0x9000_0000), (1, 0x9000_0000, 0x7000_0000)] {
        let e = explain(&units, &opts(100), func);
        assert_eq!(count(&e.clif, "load"), 1, "{}", e.clif);
        assert!(refers_to(&e.clif, &units, base), "{}", e.clif);
        assert!(!refers_to(&e.clif, &units, other), "{}", e.clif);
    }
}

#[test]
fn memory64_checks_only_what_the_known_bounds_do_not_cover() {
    let m = parse(
        r#"(module
            (import "env" "mem" (memory i64 2))
            (func (result i32) (i32.load (i64.const 65536)))
            (func (param i64) (result i32) (i32.load (local.get 0)))
            (func (param i32) (result i32) (i32.load offset=8 (i64.extend_i32_u (local.get 0)))))"#,
    );
    // The provider's memory is `(memory i64 2 2)`: its length never changes.
    let fixed_size = MemoryExtent {
        min_bytes: 2 << 16,
        max_bytes: Some(2 << 16),
    };
    let bound = [unit(
        &m,
        vec![ImportBinding::MemoryAt {
            base: 0x7000_0000,
            def: 0x5000,
            extent: fixed_size,
        }],
    )];
    let generic = [unit(&m, vec![Runtime])];
    let checks = |units: &[CompileUnit<'_>], func| {
        let e = explain(units, &opts(100), func);
        (
            count(&e.clif, "icmp") + count(&e.clif, "trapnz"),
            count(&e.clif, "load"),
            e.clif,
        )
    };
    // A constant address inside the known length: no check, a displacement.
    let (n, loads, clif) = checks(&bound, 0);
    assert_eq!((n, loads), (0, 1), "{clif}");
    assert!(clif.contains("+0x0001_0000"), "{clif}");
    // Any address: one comparison, against the constant length (no length load).
    let (n, loads, clif) = checks(&bound, 1);
    assert_eq!((n, loads), (2, 1), "{clif}");
    assert!(clif.contains("iconst.i64 0x0002_0000"), "{clif}");
    // Generic (the import's type allows growth): against the length loaded at run time.
    let (n, loads, clif) = checks(&generic, 1);
    assert_eq!(n, 2, "{clif}");
    assert!(loads >= 3 && !clif.contains("0x0002_0000"), "{clif}");
    // An address below 2^32 with a small offset: the reservation covers it.
    for units in [&bound[..], &generic[..]] {
        let (n, _, clif) = checks(units, 2);
        assert_eq!(n, 0, "{clif}");
    }
}
