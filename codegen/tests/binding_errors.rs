//! Import bindings that do not fit their imports, and units that do not fit together, are
//! typed errors naming the import or the units.

mod common;

use common::{CONSUMER, PROVIDER, compile_err, fixed_unit, parse, unit};
use stagec_codegen::{
    BindingProblem, CodegenErrorKind, CompileOptions, Compiler, ConstValue, ImportBinding,
    MemoryExtent, UnitsProblem,
};

use ImportBinding::{Constant, Runtime};

#[test]
fn mismatched_bindings_are_errors_naming_the_import() {
    let m = parse(
        r#"(module
            (import "env" "f" (func (param i32)))
            (import "env" "g" (global i32))
            (import "env" "mg" (global (mut i32)))
            (import "env" "mem" (memory 1))
            (import "env" "tab" (table 1 funcref)))"#,
    );
    let ok = || vec![Runtime; 5];
    let with = |i: usize, b: ImportBinding| {
        let mut v = ok();
        v[i] = b;
        v
    };
    let provider = parse(PROVIDER);
    let cases = [
        (with(0, Constant(ConstValue::I32(1))), "env.f"),
        (
            with(
                1,
                ImportBinding::MemoryAt {
                    base: 0,
                    def: 0,
                    extent: MemoryExtent::default(),
                },
            ),
            "env.g",
        ),
        (with(1, Constant(ConstValue::I64(1))), "env.g"),
        (with(2, Constant(ConstValue::I32(1))), "env.mg"),
        (with(3, ImportBinding::GlobalAt(0x1000)), "env.mem"),
        (
            with(4, ImportBinding::Function { unit: 1, func: 0 }),
            "env.tab",
        ),
        // (i32) -> () bound to (i32) -> i32
        (
            with(0, ImportBinding::Function { unit: 1, func: 0 }),
            "env.f",
        ),
        (
            with(0, ImportBinding::Function { unit: 7, func: 0 }),
            "env.f",
        ),
    ];
    for (bindings, name) in cases {
        let units = [unit(&m, bindings.clone()), fixed_unit(&provider, vec![])];
        let e = compile_err(&units);
        let (module, field) = name.split_once('.').unwrap();
        assert_eq!(e.import(), Some((module, field)), "{bindings:?}: {e}");
        assert!(
            matches!(&e.kind, CodegenErrorKind::Binding(b) if b.unit == 0),
            "{e:?}"
        );
        assert!(
            e.to_string().contains(&format!("`{module}`.`{field}`")),
            "{bindings:?}: {e}"
        );
        let err = Compiler::new()
            .unwrap()
            .explain(&units, &CompileOptions::default(), 0)
            .expect_err("explain checks bindings too");
        assert_eq!(err.import(), Some((module, field)));
    }
    // Wrong number of bindings, and a binding into a unit that is not fixed.
    let e = compile_err(&[unit(&m, vec![Runtime])]);
    assert!(
        matches!(
            e.kind,
            CodegenErrorKind::Units(UnitsProblem::BindingCount {
                unit: 0,
                imports: 5,
                bindings: 1
            })
        ),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "unit 0 has 5 imports but 1 bindings");
    let consumer = parse(CONSUMER);
    let e = compile_err(&[
        unit(
            &consumer,
            vec![ImportBinding::Function { unit: 1, func: 0 }],
        ),
        unit(&provider, vec![]),
    ]);
    assert!(
        matches!(
            e.kind,
            CodegenErrorKind::Units(UnitsProblem::NotInstantiated { target: 1, .. })
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("not instantiated at compile time"),
        "{e}"
    );
}

#[test]
fn function_binding_cycles_are_errors() {
    let a = parse(r#"(module (import "x" "f" (func $f)) (func (call $f)))"#);
    let b = parse(r#"(module (import "y" "f" (func $f)))"#);
    let units = [
        unit(&a, vec![ImportBinding::Function { unit: 1, func: 0 }]),
        fixed_unit(&b, vec![ImportBinding::Function { unit: 2, func: 0 }]),
        fixed_unit(&b, vec![ImportBinding::Function { unit: 1, func: 0 }]),
    ];
    let e = compile_err(&units);
    assert!(
        matches!(&e.kind, CodegenErrorKind::Binding(b) if b.problem == BindingProblem::Cycle),
        "{e:?}"
    );
    assert!(e.to_string().contains("cycle"), "{e}");
}
