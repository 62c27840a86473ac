//! Compiles small modules and checks the shape of the artifact: function and trampoline
//! tables, trap sites, relocations, errors.

use stagec_codegen::{Artifact, CodegenError, CodegenErrorKind, Compiler};
use stagec_environ::TrapKind;
use stagec_environ::artifact::{RelocKind, RelocTarget};
use stagec_frontend::{FuncType, ParsedModule, ValType};

fn parse(wat: &str) -> ParsedModule {
    let bytes = wat::parse_str(wat).expect("valid wat");
    stagec_frontend::parse(bytes).expect("frontend accepts the module")
}

fn compile(wat: &str) -> Artifact {
    let module = parse(wat);
    Compiler::new()
        .unwrap()
        .compile_module(&module)
        .unwrap_or_else(|e| panic!("compile failed: {e}"))
}

fn compile_err(wat: &str) -> CodegenError {
    let module = parse(wat);
    Compiler::new()
        .unwrap()
        .compile_module(&module)
        .expect_err("compilation must fail")
}

fn trap_kinds_in(artifact: &Artifact, function: usize) -> Vec<TrapKind> {
    let range = artifact.functions[function];
    artifact
        .traps
        .iter()
        .filter(|t| t.code_offset >= range.offset && t.code_offset < range.offset + range.len)
        .map(|t| t.kind)
        .collect()
}

#[test]
fn function_and_trampoline_tables() {
    let artifact = compile(
        r#"(module
            (type (func))
            (type (func (param i32) (result i32)))
            (type (func (param i64 f32 f64) (result f64 i32)))
            (import "env" "f" (func (type 0)))
            (func (type 0))
            (func (type 1) local.get 0)
            (func (type 1) i32.const 7))"#,
    );
    assert_eq!(artifact.functions.len(), 3, "imports are not compiled");
    assert_eq!(artifact.entry_trampolines.len(), 3, "one per type index");
    for range in artifact.functions.iter().chain(&artifact.entry_trampolines) {
        assert_eq!(range.offset % 16, 0, "functions are 16-byte aligned");
        assert!(range.len > 0);
        assert!((range.offset + range.len) as usize <= artifact.code.len());
    }
}

#[test]
fn div_s_has_trap_sites() {
    let wat = r#"(module
        (func (param i32 i32) (result i32)
            local.get 0
            local.get 1
            i32.div_s))"#;
    let artifact = compile(wat);
    assert!(!artifact.traps.is_empty());
    let kinds = trap_kinds_in(&artifact, 0);
    assert!(
        kinds.contains(&TrapKind::IntegerDivisionByZero),
        "{kinds:?}"
    );
    assert!(kinds.contains(&TrapKind::IntegerOverflow), "{kinds:?}");

    // Division traps point at the `i32.div_s` operator.
    let module = parse(wat);
    let body = module.info.bodies[0].range.clone();
    let div_offset = module.bytes[body.clone()]
        .iter()
        .rposition(|&b| b == 0x6d)
        .map(|i| (body.start + i) as u32)
        .expect("i32.div_s opcode");
    assert!(
        artifact
            .traps
            .iter()
            .filter(|t| t.kind == TrapKind::IntegerDivisionByZero)
            .all(|t| t.wasm_offset == div_offset),
        "{:?}, div_s at {div_offset:#x}",
        artifact.traps
    );
}

#[test]
fn traps_are_sorted() {
    let artifact = compile(
        r#"(module
            (memory 1)
            (func (param i32) (result i32)
                local.get 0 i32.load
                local.get 0 i32.div_u
                local.get 0 i32.rem_s)
            (func (param f64) (result i64)
                local.get 0 i64.trunc_f64_s)
            (func unreachable))"#,
    );
    assert!(
        artifact
            .traps
            .windows(2)
            .all(|w| w[0].code_offset <= w[1].code_offset)
    );
    assert!(trap_kinds_in(&artifact, 0).contains(&TrapKind::MemoryOutOfBounds));
    let conversions = trap_kinds_in(&artifact, 1);
    assert!(
        conversions.contains(&TrapKind::BadConversionToInteger),
        "{conversions:?}"
    );
    assert!(
        conversions.contains(&TrapKind::IntegerOverflow),
        "{conversions:?}"
    );
    assert_eq!(trap_kinds_in(&artifact, 2), vec![TrapKind::Unreachable]);
}

#[test]
fn direct_call_is_relocated() {
    let artifact = compile(
        r#"(module
            (import "env" "g" (func $g))
            (func $callee (result i32) i32.const 1)
            (func $caller (result i32) call $g call $callee))"#,
    );
    let caller = artifact.functions[1];
    let relocs: Vec<_> = artifact
        .relocations
        .iter()
        .filter(|r| r.target == RelocTarget::DefinedFunc(0))
        .collect();
    assert_eq!(relocs.len(), 1, "{:?}", artifact.relocations);
    let reloc = relocs[0];
    assert!(reloc.offset >= caller.offset && reloc.offset < caller.offset + caller.len);
    if cfg!(target_arch = "x86_64") {
        assert_eq!(reloc.kind, RelocKind::X86PcRel4);
    }
    // The imported call goes through the vmctx: no relocation for it.
    assert!(artifact.relocations.iter().all(|r| matches!(
        r.target,
        RelocTarget::DefinedFunc(0) | RelocTarget::LibCall(_)
    )));
}

#[test]
fn call_indirect_checks() {
    let artifact = compile(
        r#"(module
            (type $t (func (param i32) (result i32)))
            (table 2 funcref)
            (func (param i32) (result i32)
                i32.const 5
                local.get 0
                call_indirect (type $t)))"#,
    );
    let kinds = trap_kinds_in(&artifact, 0);
    for kind in [
        TrapKind::UndefinedElement,
        TrapKind::UninitializedElement,
        TrapKind::BadSignature,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} missing from {kinds:?}");
    }
}

#[test]
fn non_leaf_functions_check_the_stack_limit() {
    let artifact = compile(
        r#"(module
            (func $f (param i32) (result i32)
                local.get 0
                i32.eqz
                if (result i32)
                    i32.const 0
                else
                    local.get 0
                    i32.const 1
                    i32.sub
                    call $f
                end))"#,
    );
    assert!(trap_kinds_in(&artifact, 0).contains(&TrapKind::StackOverflow));
}

#[test]
fn tables_and_bulk_operations() {
    let artifact = compile(
        r#"(module
            (memory 1)
            (table $t 1 funcref)
            (table $e 1 externref)
            (elem $seg func $f)
            (data $d "hello")
            (func $f (param i32 externref) (result i32)
                (table.set $e (local.get 0) (local.get 1))
                (drop (table.get $t (local.get 0)))
                (drop (table.grow $t (ref.func $f) (i32.const 1)))
                (table.fill $t (i32.const 0) (ref.null func) (i32.const 1))
                (table.copy $t $t (i32.const 0) (i32.const 0) (i32.const 1))
                (table.init $t $seg (i32.const 0) (i32.const 0) (i32.const 1))
                (elem.drop $seg)
                (memory.fill (i32.const 0) (i32.const 0) (i32.const 1))
                (memory.copy (i32.const 0) (i32.const 1) (i32.const 1))
                (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1))
                (data.drop $d)
                (drop (memory.grow (i32.const 1)))
                (drop (ref.is_null (local.get 1)))
                (i32.add (table.size $t) (memory.size))))"#,
    );
    let kinds = trap_kinds_in(&artifact, 0);
    assert!(kinds.contains(&TrapKind::TableOutOfBounds), "{kinds:?}");
    assert!(kinds.contains(&TrapKind::Pending), "{kinds:?}");
}

#[test]
fn control_flow_with_values() {
    // Multi-value blocks, loops with parameters, `if` without `else` carrying values,
    // `br_table` with arguments, unreachable code after branches.
    compile(
        r#"(module
            (func (param i32) (result i32 i64)
                (block $outer (result i32 i64)
                    (block $inner (result i32 i64)
                        (i32.const 7)
                        (i64.const 1)
                        (br_table $inner $outer $inner (local.get 0)))
                    (drop)
                    (i64.const 3)))
            (func (param i32) (result i32)
                (local.get 0)
                (block (param i32) (result i32)
                    (i32.const 1)
                    (i32.add)))
            (func (param i32) (result i32)
                (local.get 0)
                (loop $l (param i32) (result i32)
                    (i32.sub (i32.const 1))
                    (local.tee 0)
                    (br_if $l (local.get 0)))
                (if (param i32) (result i32) (local.get 0)
                    (then (i32.const 1) (i32.add))))
            (func (result f32)
                (block (result f32)
                    (f32.const 1)
                    (br 0)
                    (unreachable)
                    (block (loop (if (i32.const 0) (then) (else))))
                    (drop)
                    (f32.const 2)))
            (func (param i32) (result i32)
                (if (result i32) (local.get 0)
                    (then (return (i32.const 1)))
                    (else (br 0 (i32.const 2)))))
            (func (param i32)
                (block (br_table 0 0 0 (local.get 0))))
            (func (result i32) (select (i32.const 1) (i32.const 2) (i32.const 0)))
            (func (result i64)
                (i64.extend32_s (i64.const 5)))
        )"#,
    );
}

#[test]
fn many_functions_compile_deterministically() {
    let mut wat = String::from("(module (memory 1)\n");
    for i in 0..40 {
        wat.push_str(&format!(
            "(func (param i32) (result i32) (i32.add (i32.load (local.get 0)) (i32.const {i})))\n"
        ));
    }
    wat.push(')');
    let a = compile(&wat);
    let b = compile(&wat);
    assert_eq!(a.functions.len(), 40);
    assert_eq!(a.code, b.code);
    assert_eq!(a.functions, b.functions);
    assert_eq!(a.traps, b.traps);
    assert_eq!(a.relocations, b.relocations);
}

#[test]
fn validation_errors_keep_message_and_offset() {
    let e = compile_err(
        r#"(module
            (func (result i32)
                i64.const 1))"#,
    );
    let CodegenErrorKind::Wasm(validator) = &e.kind else {
        panic!("{e:?}")
    };
    assert!(validator.message().contains("type mismatch"), "{e}");
    assert_eq!(e.offset, Some(validator.offset()), "{e:?}");
    assert_eq!(e.func_index, Some(0));
    assert!(!e.is_unsupported());
    assert!(std::error::Error::source(&e).is_some());
    assert!(
        e.to_string()
            .ends_with(&format!("(at offset {:#x})", e.offset.unwrap()))
    );
}

#[test]
fn invalid_function_does_not_poison_later_ones() {
    // Compiled in parallel: one invalid body among many valid ones.
    let mut wat = String::from("(module\n");
    for _ in 0..20 {
        wat.push_str("(func (result i32) i32.const 1)\n");
    }
    wat.push_str("(func (result i32) f32.const 1)\n");
    for _ in 0..20 {
        wat.push_str("(func (result i32) i32.const 1)\n");
    }
    wat.push(')');
    let e = compile_err(&wat);
    assert_eq!(e.func_index, Some(20), "{e}");
}

#[test]
fn host_adapter() {
    let compiler = Compiler::new().unwrap();
    let ty = FuncType::new(
        [ValType::I32, ValType::F64, ValType::ExternRef],
        [ValType::I64, ValType::F32],
    );
    let artifact = compiler.compile_host_adapter(&ty).unwrap();
    assert_eq!(artifact.functions.len(), 1);
    assert_eq!(artifact.entry_trampolines.len(), 1);
    assert!(artifact.relocations.is_empty());
    assert_eq!(trap_kinds_in(&artifact, 0), vec![TrapKind::Pending]);

    let empty = compiler.compile_host_adapter(&FuncType::default()).unwrap();
    assert_eq!(empty.functions.len(), 1);
}

#[test]
fn clif_is_available_for_golden_tests() {
    let module = parse("(module (func (param i32) (result i32) local.get 0 i32.const 1 i32.add))");
    let clif = Compiler::new().unwrap().clif(&module, 0).unwrap();
    assert!(clif.contains("iadd"), "{clif}");
}
