//! Live bindings (`Preimport::Extern`): objects of a store bound at compile time. A
//! compilation binds them only when given their store, which proves them alive; binding
//! an object of a dropped or another store is an error naming the import, never a read
//! of freed memory.

use stagec::error::{PreimportError, PreimportProblem};
use stagec::*;

fn engine() -> Engine {
    Engine::new(Config::default()).unwrap()
}

/// A module importing one of each kind as `env`.`g`, `env`.`mem`, `env`.`t`, `env`.`f`.
const IMPORTER: &str = r#"(module
  (import "env" "g" (global $g (mut i32)))
  (import "env" "mem" (memory 1))
  (import "env" "t" (table 1 funcref))
  (import "env" "f" (func $f (result i32)))
  (func (export "run") (result i32)
    (i32.add (global.get $g) (i32.add (i32.load (i32.const 0)) (call $f)))))"#;

/// One live object of each kind in `store`, with the import each binds.
fn objects(store: &mut Store) -> Vec<(&'static str, Extern)> {
    let g = Global::new(
        store,
        GlobalType {
            ty: ValType::I32,
            mutable: true,
        },
        Val::I32(1),
    )
    .unwrap();
    let limits = |min, max| Limits { min, max };
    let mem = Memory::new(
        store,
        MemoryType {
            limits: limits(1, None),
            index: stagec::IndexType::I32,
        },
    )
    .unwrap();
    mem.data_mut(store)[0] = 10;
    let t = Table::new(
        store,
        TableType {
            element: ValType::FuncRef,
            limits: limits(1, None),
            index: stagec::IndexType::I32,
        },
        Val::FuncRef(None),
    )
    .unwrap();
    let f = Func::new(store, FuncType::new([], [ValType::I32]), |_, _, out| {
        out[0] = Val::I32(100);
        Ok(())
    })
    .unwrap();
    vec![
        ("g", g.into()),
        ("mem", mem.into()),
        ("t", t.into()),
        ("f", f.into()),
    ]
}

/// `objects`, each bound as a preimport (the others as runtime imports of `linker`).
fn bind_one(objects: &[(&str, Extern)], which: &str) -> (Preimports, Linker) {
    let mut pre = Preimports::new();
    let mut linker = Linker::new();
    for (name, item) in objects {
        if *name == which {
            pre.bind("env", name, Preimport::Extern(*item));
        } else {
            linker.define("env", name, *item);
        }
    }
    (pre, linker)
}

/// The preimport error of `result`, which must be one (for a staged module: of
/// compiling its final module).
fn preimport_error<T>(result: Result<T>) -> Box<PreimportError> {
    let mut error = match result {
        Err(e) => e,
        Ok(_) => panic!("expected a preimport error, it compiled"),
    };
    loop {
        error = match error {
            Error::Preimport(e) => return e,
            Error::Staged(staged) => match *staged {
                error::StagedError::Stage {
                    problem: error::StageProblem::Compile(e),
                    ..
                } => e,
                other => panic!("expected a preimport error, got: {other}"),
            },
            e => panic!("expected a preimport error, got: {e}"),
        }
    }
}

#[test]
fn binding_each_kind_works_in_its_store_and_only_there() {
    let engine = engine();
    for which in ["g", "mem", "t", "f"] {
        let mut store = Store::new(&engine);
        let objects = objects(&mut store);
        let (pre, linker) = bind_one(&objects, which);
        let module = Module::with_preimports_in(&mut store, IMPORTER, &pre).unwrap();
        assert_eq!(module.imports().count(), 3, "{which}");
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let run = instance.get_func(&store, "run").unwrap();
        let mut out = [Val::I32(0)];
        run.call(&mut store, &[], &mut out).unwrap();
        assert_eq!(out[0].i32(), Some(111), "{which}");
        let mut other = Store::new(&engine);
        let err = Instance::new(&mut other, &module, &[]).expect_err("instantiated elsewhere");
        assert!(
            matches!(&err, Error::Usage(u) if **u == error::UsageError::OtherStore),
            "{err}"
        );
    }
}

#[test]
fn objects_of_a_dropped_store_are_refused_naming_the_import() {
    let engine = engine();
    for which in ["g", "mem", "t", "f"] {
        let mut dropped = Store::new(&engine);
        let objects = objects(&mut dropped);
        let (pre, _) = bind_one(&objects, which);
        drop(dropped);

        let mut store = Store::new(&engine);
        let e = preimport_error(Module::with_preimports_in(&mut store, IMPORTER, &pre));
        assert!(
            matches!(e.problem, PreimportProblem::LiveOfAnotherStore),
            "{which}: {e}"
        );
        assert_eq!(
            (e.import.module.as_str(), e.import.name.as_str()),
            ("env", which)
        );
        assert_eq!(
            e.to_string(),
            format!(
                "import `env`.`{which}` is bound to a live object of another store, or of a \
                 store that has been dropped: only objects of the store compiled for can be bound"
            )
        );

        let e = preimport_error(Module::with_preimports(&engine, IMPORTER, &pre));
        assert!(
            matches!(e.problem, PreimportProblem::LiveWithoutStore),
            "{which}: {e}"
        );
        let message = Error::Preimport(e).to_string();
        assert!(message.contains("`env`.`"), "{message}");
        assert!(message.contains("Module::with_preimports_in"), "{message}");
    }
}

#[test]
fn objects_of_another_live_store_are_refused() {
    let engine = engine();
    let mut owner = Store::new(&engine);
    let objects = objects(&mut owner);
    let mut store = Store::new(&engine);
    for which in ["g", "mem", "t", "f"] {
        let (pre, _) = bind_one(&objects, which);
        let e = preimport_error(Module::with_preimports_in(&mut store, IMPORTER, &pre));
        assert!(
            matches!(e.problem, PreimportProblem::LiveOfAnotherStore),
            "{e}"
        );
        assert_eq!(e.import.name, which);
        assert_eq!(e.provider, None);
    }
    // The owner still compiles with them.
    let (pre, _) = bind_one(&objects, "mem");
    Module::with_preimports_in(&mut owner, IMPORTER, &pre).unwrap();
}

#[test]
fn live_bindings_of_providers_are_checked_too() {
    let engine = engine();
    let mut dropped = Store::new(&engine);
    let objects = objects(&mut dropped);
    let memory = objects[1].1;
    drop(dropped);
    // The dropped store's memory, bound in a provider's own preimports, two levels down.
    let mut inner_pre = Preimports::new();
    inner_pre.bind("host", "mem", Preimport::Extern(memory));
    let inner = Provider::new(
        &engine,
        r#"(module (import "host" "mem" (memory 1))
             (func (export "peek") (result i32) (i32.load (i32.const 0))))"#,
        inner_pre,
    )
    .unwrap();
    let mut outer_pre = Preimports::new();
    outer_pre.export("inner", "peek", &inner, "peek");
    let outer = Provider::new(
        &engine,
        r#"(module (import "inner" "peek" (func $p (result i32)))
             (func (export "peek") (result i32) (call $p)))"#,
        outer_pre,
    )
    .unwrap();
    let mut pre = Preimports::new();
    pre.export("p", "peek", &outer, "peek");
    let user = r#"(module (import "p" "peek" (func $p (result i32)))
                    (func (export "run") (result i32) (call $p)))"#;
    let mut store = Store::new(&engine);
    let e = preimport_error(Module::with_preimports_in(&mut store, user, &pre));
    assert!(
        matches!(e.problem, PreimportProblem::LiveOfAnotherStore),
        "{e}"
    );
    assert_eq!(e.provider.as_deref(), Some("<provider>"));
    assert_eq!(e.import.to_string(), "`host`.`mem`");
    assert!(
        e.to_string()
            .starts_with("provider <provider>: import `host`.`mem`"),
        "{e}"
    );
    let e = preimport_error(Module::with_preimports(&engine, user, &pre));
    assert!(
        matches!(e.problem, PreimportProblem::LiveWithoutStore),
        "{e}"
    );
    // Nothing of the compilation ran: explaining refuses live bindings too.
    let e = Module::explain(&engine, user, &pre, "run", &CompileOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Preimport(_)), "{e}");
}

#[test]
fn staged_modules_bind_live_objects_only_with_their_store() {
    let engine = engine();
    let mut store = Store::new(&engine);
    let objects = objects(&mut store);
    let staged = parse_swat(
        r#"(staged (stage $s single (module (import "env" "mem" (memory 1))
             (func (export "peek") (result i32) (i32.load (i32.const 0))))))"#,
    )
    .unwrap();
    let (pre, _) = bind_one(&objects, "mem");
    let e = preimport_error(Module::from_staged(&engine, &staged, &pre));
    assert!(
        matches!(e.problem, PreimportProblem::LiveWithoutStore),
        "{e}"
    );
    let module = Module::from_staged_in(&mut store, &staged, &pre).unwrap();
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let peek = instance.get_func(&store, "peek").unwrap();
    let mut out = [Val::I32(0)];
    peek.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(10));
    let mut other = Store::new(&engine);
    let e = preimport_error(Module::from_staged_in(&mut other, &staged, &pre));
    assert!(
        matches!(e.problem, PreimportProblem::LiveOfAnotherStore),
        "{e}"
    );
}

/// A provider whose instantiation (at compile time) stores its function `answer` into
/// the live table `env`.`t`; with `trap`, its start function then traps.
fn table_writer(engine: &Engine, table: Table, trap: bool) -> Provider {
    let start = if trap {
        "(func $boom unreachable) (start $boom)"
    } else {
        ""
    };
    let mut pre = Preimports::new();
    pre.bind("env", "t", Preimport::Extern(table.into()));
    Provider::new(
        engine,
        format!(
            r#"(module (import "env" "t" (table 1 funcref))
                 (func $answer (export "answer") (result i32) (i32.const 42))
                 (elem (i32.const 0) $answer) {start})"#
        ),
        pre,
    )
    .unwrap()
}

/// Calls element 0 of `table` (of `store`) through wasm code.
fn call_element_0(store: &mut Store, table: Table) -> i32 {
    let caller = Module::new(
        store.engine(),
        r#"(module (import "env" "t" (table 1 funcref)) (type $r (func (result i32)))
             (func (export "call") (result i32) (call_indirect (type $r) (i32.const 0))))"#,
    )
    .unwrap();
    let mut linker = Linker::new();
    linker.define("env", "t", table);
    let instance = linker.instantiate(store, &caller).unwrap();
    let call = instance.get_func(store, "call").unwrap();
    let mut out = [Val::I32(0)];
    call.call(store, &[], &mut out).unwrap();
    out[0].i32().unwrap()
}

fn funcref_table(store: &mut Store) -> Table {
    let ty = TableType {
        element: ValType::FuncRef,
        limits: Limits { min: 1, max: None },
        index: stagec::IndexType::I32,
    };
    Table::new(store, ty, Val::FuncRef(None)).unwrap()
}

#[test]
fn compile_time_code_stored_in_a_live_table_outlives_its_module() {
    let engine = engine();
    let mut store = Store::new(&engine);
    let table = funcref_table(&mut store);
    let mut pre = Preimports::new();
    pre.export(
        "p",
        "answer",
        &table_writer(&engine, table, false),
        "answer",
    );
    let user = r#"(module (import "p" "answer" (func (result i32))))"#;
    let module = Module::with_preimports_in(&mut store, user, &pre).unwrap();
    drop(module);
    // The provider instance behind element 0 belongs to the dropped module's compilation;
    // the store keeps it alive.
    assert_eq!(call_element_0(&mut store, table), 42);
    let element = table.get(&store, 0).unwrap();
    let Val::FuncRef(Some(answer)) = element else {
        panic!("element 0 is {element:?}")
    };
    let mut out = [Val::I32(0)];
    answer.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(42));
}

#[test]
fn a_failed_compilation_leaves_live_tables_callable() {
    let engine = engine();
    let mut store = Store::new(&engine);
    let table = funcref_table(&mut store);
    let mut pre = Preimports::new();
    pre.export("p", "answer", &table_writer(&engine, table, true), "answer");
    let user = r#"(module (import "p" "answer" (func (result i32))))"#;
    let err = Module::with_preimports_in(&mut store, user, &pre).unwrap_err();
    assert_eq!(
        err.as_trap().and_then(|t| t.kind()),
        Some(TrapKind::Unreachable),
        "{err}"
    );
    // Wasm 2.0 keeps the element written before the trap; it stays callable.
    assert_eq!(call_element_0(&mut store, table), 42);
}
