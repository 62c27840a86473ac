//! Known code with a runtime context (`ImportBinding::KnownFunction`): a function import
//! known to be a function of another module whose instance comes at instantiation. The
//! call is direct, with the callee vmctx read from the import slot, inlined when small; the
//! context unit compiles only the functions it lists, and calls the others through its
//! funcrefs; traps in inlined known code keep the callee module's offsets.

mod common;

use common::{compile, compile_err, count, explain, fixed_unit, opts, parse, unit};
use stagec_codegen::{
    BindingProblem, CodegenErrorKind, CompileUnit, ImportBinding, UnitsProblem,
    known_code_functions,
};
use stagec_environ::TrapKind;
use stagec_environ::artifact::RelocTarget;
use stagec_environ::vmoffsets::{VMOffsets, func_import};

const LIB: &str = r#"(module
    (global $k (mut i32) (i32.const 3))
    (func $inc (export "inc") (param i32) (result i32)
        (i32.add (local.get 0) (call $step)))
    (func $step (result i32) (global.get $k))
    (func $div (export "div") (param i32) (result i32)
        (i32.div_u (i32.const 100) (local.get 0)))
    (func $far (export "far") (param i32) (result i32) (call $other (local.get 0)))
    (func $other (param i32) (result i32) (i32.mul (local.get 0) (global.get $k))))"#;

const APP: &str = r#"(module
    (import "lib" "inc" (func $inc (param i32) (result i32)))
    (import "lib" "div" (func $div (param i32) (result i32)))
    (import "lib" "far" (func $far (param i32) (result i32)))
    (func (param i32) (result i32) (call $inc (local.get 0)))
    (func (param i32) (result i32) (call $div (local.get 0)))
    (func (param i32) (result i32) (call $far (local.get 0))))"#;

/// App bound to Lib's `inc`, `div`, `far` (functions 0, 2, 3) in a context unit that
/// compiles `functions` of Lib.
fn units<'a>(
    app: &'a stagec_frontend::ParsedModule,
    lib: &'a stagec_frontend::ParsedModule,
    functions: Vec<u32>,
) -> Vec<CompileUnit<'a>> {
    let known = |func| ImportBinding::KnownFunction { unit: 1, func };
    let mut context = unit(lib, vec![]);
    context.functions = Some(functions);
    vec![unit(app, vec![known(0), known(2), known(3)]), context]
}

/// The text of the read-only load of the vmctx field at `offset` from the vmctx (`v0`).
fn slot_load(offset: u32) -> String {
    format!("readonly can_move v0+{offset}")
}

#[test]
fn known_code_is_a_direct_call_with_the_import_slots_vmctx() {
    let (app, lib) = (parse(APP), parse(LIB));
    let units = units(&app, &lib, vec![0, 1, 2, 3]);
    let vmctx_slot = VMOffsets::new(&app.info).func_import(0) + func_import::VMCTX;

    let direct = explain(&units, &opts(0), 0);
    assert_eq!(count(&direct.clif, "call"), 1, "{}", direct.clif);
    assert_eq!(count(&direct.clif, "call_indirect"), 0, "{}", direct.clif);
    assert!(
        direct.clif.contains(&slot_load(vmctx_slot)),
        "the callee vmctx comes from the import slot: {}",
        direct.clif
    );
    // Not the code pointer of the slot: the call is direct.
    let code_slot = VMOffsets::new(&app.info).func_import(0) + func_import::CODE;
    assert!(
        !direct.clif.contains(&slot_load(code_slot)),
        "{}",
        direct.clif
    );

    // Inlined: `inc` and the `step` it calls (same context unit) disappear; what is left
    // reads Lib's global through the vmctx of the slot.
    let inlined = explain(&units, &opts(100), 0);
    assert_eq!(count(&inlined.clif, "call"), 0, "{}", inlined.clif);
    assert_eq!(count(&inlined.clif, "call_indirect"), 0, "{}", inlined.clif);
    assert_eq!(count(&inlined.clif, "iadd"), 1, "{}", inlined.clif);
    assert!(
        inlined.clif.contains(&slot_load(vmctx_slot)),
        "{}",
        inlined.clif
    );

    // The artifact: App's three functions, then the four of Lib the unit lists; App's
    // calls are relocated against Lib's copies.
    let artifact = compile(&units, &opts(0));
    assert_eq!(artifact.functions.len(), 3 + 4);
    assert_eq!(artifact.unit_starts, vec![0, 3]);
    let caller = artifact.functions[0];
    assert!(
        artifact
            .relocations
            .iter()
            .any(|r| r.target == RelocTarget::DefinedFunc(3)
                && (caller.offset..caller.offset + caller.len).contains(&r.offset))
    );
}

#[test]
fn functions_the_context_unit_leaves_out_are_called_through_funcrefs() {
    let (app, lib) = (parse(APP), parse(LIB));
    // `far` is copied, `other` (which it calls) is not.
    let some = units(&app, &lib, vec![0, 1, 2, 3]);
    let artifact = compile(&some, &opts(0));
    assert_eq!(artifact.functions.len(), 3 + 4);
    let inlined = explain(&some, &opts(100), 2);
    assert_eq!(count(&inlined.clif, "call"), 0, "{}", inlined.clif);
    assert_eq!(
        count(&inlined.clif, "call_indirect"),
        1,
        "`other` through Lib's funcref: {}",
        inlined.clif
    );
    assert!(
        inlined
            .clif
            .contains(&format!("+{}", VMOffsets::funcrefs())),
        "{}",
        inlined.clif
    );

    // With `other` copied too, everything inlines.
    let all = units(&app, &lib, vec![0, 1, 2, 3, 4]);
    let inlined = explain(&all, &opts(100), 2);
    assert_eq!(count(&inlined.clif, "call_indirect"), 0, "{}", inlined.clif);
    assert_eq!(count(&inlined.clif, "imul"), 1, "{}", inlined.clif);
}

#[test]
fn the_copied_functions_are_the_entries_and_their_direct_callees() {
    let lib = parse(LIB);
    assert_eq!(known_code_functions(&lib, &[0]).unwrap(), vec![0, 1]);
    assert_eq!(known_code_functions(&lib, &[2]).unwrap(), vec![2]);
    assert_eq!(
        known_code_functions(&lib, &[3, 0]).unwrap(),
        vec![0, 1, 3, 4]
    );
    let with_import = parse(
        r#"(module (import "x" "f" (func $f)) (func (export "g") call $f call $h) (func $h))"#,
    );
    // Function 1 is defined function 0; the import is not copied.
    assert_eq!(
        known_code_functions(&with_import, &[1]).unwrap(),
        vec![0, 1]
    );
    let e = known_code_functions(&with_import, &[0]).expect_err("an import is no known code");
    assert!(
        matches!(&e.kind, CodegenErrorKind::NoSuchFunction { .. }),
        "{e}"
    );
}

/// The wasm offset of the first `opcode` byte in the body of defined function `defined`.
fn offset_of(module: &stagec_frontend::ParsedModule, defined: usize, opcode: u8) -> u32 {
    let body = module.info.bodies[defined].range.clone();
    let at = module.bytes[body.clone()]
        .iter()
        .rposition(|&b| b == opcode)
        .expect("opcode in body");
    (body.start + at) as u32
}

#[test]
fn traps_in_known_code_report_the_callee_modules_offsets() {
    let (app, lib) = (parse(APP), parse(LIB));
    let units = units(&app, &lib, vec![0, 1, 2, 3]);
    let div_u = offset_of(&lib, 2, 0x6e);
    for threshold in [0, 100] {
        let artifact = compile(&units, &opts(threshold));
        let divide_traps: Vec<_> = artifact
            .traps
            .iter()
            .filter(|t| t.kind == TrapKind::IntegerDivisionByZero)
            .collect();
        assert!(!divide_traps.is_empty(), "{:?}", artifact.traps);
        assert!(
            divide_traps.iter().all(|t| t.wasm_offset == div_u),
            "inline threshold {threshold}: {divide_traps:?}, div_u at {div_u:#x} in Lib"
        );
        // Inlined into App's second function, the trap is in App's code.
        let caller = artifact.functions[1];
        let in_caller = divide_traps
            .iter()
            .any(|t| (caller.offset..caller.offset + caller.len).contains(&t.code_offset));
        assert_eq!(in_caller, threshold > 0, "{divide_traps:?}");
    }
}

#[test]
fn known_code_bindings_are_checked() {
    let (app, lib) = (parse(APP), parse(LIB));
    let problem = |units: &[CompileUnit<'_>]| match &compile_err(units).kind {
        CodegenErrorKind::Binding(b) => b.problem.clone(),
        other => panic!("not a binding error: {other}"),
    };
    let bind = |unit, func| ImportBinding::KnownFunction { unit, func };
    let rest = || vec![bind(1, 2), bind(1, 3)];
    let with = |first: ImportBinding, functions: Option<Vec<u32>>, fixed: bool| {
        let mut imports = vec![first];
        imports.extend(rest());
        let mut context = if fixed {
            fixed_unit(&lib, vec![])
        } else {
            unit(&lib, vec![])
        };
        context.functions = functions;
        vec![unit(&app, imports), context]
    };
    assert_eq!(
        problem(&with(bind(0, 0), None, false)),
        BindingProblem::NotContextUnit { unit: 0 }
    );
    assert_eq!(
        problem(&with(bind(1, 0), None, true)),
        BindingProblem::NotContextUnit { unit: 1 }
    );
    assert_eq!(
        problem(&with(bind(1, 0), Some(vec![2, 3]), false)),
        BindingProblem::NotCompiled { unit: 1, func: 0 }
    );
    assert!(matches!(
        problem(&with(bind(1, 1), None, false)),
        BindingProblem::FunctionType { func: 1, .. }
    ));
    assert_eq!(
        problem(&with(bind(2, 0), None, false)),
        BindingProblem::NoSuchUnit { unit: 2, count: 2 }
    );
    // Reached from another unit through a function binding: the vmctx is in the slot of
    // the unit whose import it is.
    let relay = parse(r#"(module (import "lib" "inc" (func (param i32) (result i32))))"#);
    let mut elsewhere = with(ImportBinding::Function { unit: 2, func: 0 }, None, false);
    elsewhere.push(fixed_unit(&relay, vec![bind(1, 0)]));
    assert_eq!(
        problem(&elsewhere),
        BindingProblem::KnownCodeElsewhere { unit: 2, caller: 0 }
    );

    let units_problem = |units: &[CompileUnit<'_>]| match &compile_err(units).kind {
        CodegenErrorKind::Units(p) => p.clone(),
        other => panic!("not a units error: {other}"),
    };
    let mut partial_zero = units(&app, &lib, vec![0, 1, 2, 3]);
    partial_zero[0].functions = Some(vec![0]);
    assert_eq!(
        units_problem(&partial_zero),
        UnitsProblem::PartialUnit { unit: 0 }
    );
    assert_eq!(
        units_problem(&units(&app, &lib, vec![2, 0, 3])),
        UnitsProblem::FunctionList { unit: 1 }
    );
    assert_eq!(
        units_problem(&units(&app, &lib, vec![0, 9])),
        UnitsProblem::FunctionList { unit: 1 }
    );
}
