//! The component fixtures of `tests/fixtures/` (format: `common/mod.rs`): each is loaded,
//! its plan checked against its `compiled`, `instances` and `inspect` lines, and its calls
//! run against their expected results. `tests/fixtures/errors/` holds one component per
//! error case, each with the error it must give.

mod common;

use common::{
    Expect, Fixture, Outcome, Step, error_chain, fixtures_dir, load_fixtures, run_stagec,
};
use stagec_component::{Component, Error};

fn engine() -> stagec::Engine {
    stagec::Engine::new(stagec::Config::default()).expect("engine")
}

fn check_fixture(f: &Fixture) -> Vec<String> {
    let mut problems = Vec::new();
    let engine = engine();
    let component = match Component::from_binary(&engine, f.text.as_bytes()) {
        Ok(c) => c,
        Err(e) => return vec![format!("does not load: {}", error_chain(&e))],
    };
    let plan = component.plan();
    if let Some(n) = f.compiled {
        if plan.modules.len() != n {
            problems.push(format!(
                "{} static modules, expected {n}",
                plan.modules.len()
            ));
        }
        let misses = engine.cache_stats().misses as usize;
        if misses != n {
            problems.push(format!("{misses} modules compiled, expected {n}"));
        }
    }
    if let Some(n) = f.instances
        && plan.instantiations.len() != n
    {
        problems.push(format!(
            "{} instantiations, expected {n}",
            plan.instantiations.len()
        ));
    }
    let text = component.inspect();
    for needle in &f.inspect {
        if !text.contains(needle.as_str()) {
            problems.push(format!("inspect lacks `{needle}`; it is:\n{text}"));
        }
    }
    let outcomes = match run_stagec(&engine, &component, &f.steps) {
        Ok(o) => o,
        Err(e) => return vec![format!("does not instantiate: {e}")],
    };
    for (i, (step, outcome)) in f.steps.iter().zip(&outcomes).enumerate() {
        let ok = match (step, outcome) {
            (Step::Log(want), Outcome::Log(got)) => want == got,
            (Step::Invoke { expect, .. }, outcome) => match (expect, outcome) {
                (Expect::Returns(Some(want)), Outcome::Returned(Some(got))) => {
                    common::same_value(want, got)
                }
                (Expect::Returns(None), Outcome::Returned(None)) => true,
                (Expect::Trap(text), Outcome::Trapped(_, msg)) => msg.contains(text.as_str()),
                (Expect::Poisoned, Outcome::Poisoned) => true,
                _ => false,
            },
            _ => false,
        };
        if !ok {
            problems.push(format!("step {i} {step:?}: got {outcome:?}"));
        }
    }
    problems
}

#[test]
fn fixtures_give_their_expected_results() {
    let fixtures = load_fixtures(&fixtures_dir());
    assert!(fixtures.len() >= 10, "only {} fixtures", fixtures.len());
    let mut calls = 0;
    let mut failures = Vec::new();
    for f in &fixtures {
        calls += f
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Invoke { .. }))
            .count();
        for p in check_fixture(f) {
            failures.push(format!("{}: {p}", f.name));
        }
    }
    assert!(calls >= 56, "only {calls} calls");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_fixtures_fail_as_their_headers_say() {
    let fixtures = load_fixtures(&fixtures_dir().join("errors"));
    assert!(
        fixtures.len() >= 30,
        "only {} error fixtures",
        fixtures.len()
    );
    let mut failures = Vec::new();
    for f in &fixtures {
        let engine = engine();
        let loaded = Component::from_binary(&engine, f.text.as_bytes());
        let problem = match (&f.error, &f.instantiate_error, loaded) {
            (Some(want), _, Err(e)) => {
                let got = error_chain(&e);
                (!got.contains(want.as_str())).then(|| format!("error `{got}`, expected `{want}`"))
            }
            (None, Some(want), Ok(component)) => {
                let mut store = stagec::Store::new(&engine);
                let state = Default::default();
                match common::stagec_linker(&state).instantiate(&mut store, &component) {
                    Ok(_) => Some("instantiated".to_string()),
                    Err(e) => {
                        let got = error_chain(&e);
                        (!got.contains(want.as_str()))
                            .then(|| format!("error `{got}`, expected `{want}`"))
                    }
                }
            }
            (_, _, Ok(_)) => Some("loaded".to_string()),
            (None, _, Err(e)) => Some(format!("unexpected error {}", error_chain(&e))),
        };
        if let Some(p) = problem {
            failures.push(format!("{}: {p}", f.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn three_instances_share_one_compiled_module() {
    let engine = engine();
    let component =
        Component::from_file(&engine, fixtures_dir().join("three_instances.wat")).unwrap();
    // One static module, compiled once (one cache miss, no hit), instantiated three
    // times; a second store's instances reuse the same compiled module.
    assert_eq!(component.modules().len(), 1);
    assert_eq!(engine.cache_stats().misses, 1);
    let plan = component.plan();
    assert_eq!(plan.modules[0].instantiations.len(), 3);
    let linker = stagec_component::Linker::new();
    let mut store = stagec::Store::new(&engine);
    let first = linker.instantiate(&mut store, &component).unwrap();
    let mut store2 = stagec::Store::new(&engine);
    let second = linker.instantiate(&mut store2, &component).unwrap();
    assert_eq!(first.core_instances().len(), 3);
    assert_eq!(second.core_instances().len(), 3);
    let stats = engine.cache_stats();
    assert_eq!(
        (stats.misses, stats.memory_hits),
        (1, 0),
        "nothing recompiled"
    );
    // Independent state per instance and per store.
    let bump = |store: &mut stagec::Store, i: &stagec_component::ComponentInstance, name| {
        i.call(store, name, &[]).unwrap()
    };
    use stagec_component::Value::U32;
    assert_eq!(bump(&mut store, &first, "a-bump"), Some(U32(1)));
    assert_eq!(bump(&mut store, &first, "a-bump"), Some(U32(2)));
    assert_eq!(bump(&mut store, &first, "b-bump"), Some(U32(1)));
    assert_eq!(bump(&mut store2, &second, "a-bump"), Some(U32(1)));
    // Each core instance has its own globals: the three `bump` functions are distinct
    // instances' exports of the one module.
    let globals: Vec<_> = first
        .core_instances()
        .iter()
        .map(|i| i.get_func(&store, "bump").unwrap())
        .collect();
    assert_ne!(globals[0], globals[1]);
    assert_ne!(globals[1], globals[2]);
}

#[test]
fn import_feeds_say_which_definition_feeds_each_import() {
    use stagec_component::plan::{CoreDef, CoreKind, ModuleIndex, RuntimeInstanceIndex};
    let engine = engine();
    let component = Component::from_file(&engine, fixtures_dir().join("fan.wat")).unwrap();
    let plan = component.plan();
    // Module 3 (the client) is instantiated three times, each fed `lib.get` by instance 1.
    let client = plan.import_feeds(ModuleIndex(3));
    assert_eq!(client.len(), 1);
    assert_eq!(client[0].sources.len(), 3);
    assert_eq!(
        client[0].known_definition(),
        Some(&CoreDef::Export {
            instance: RuntimeInstanceIndex(1),
            name: "get".into(),
            kind: CoreKind::Func,
            index: 0,
        })
    );
    // Module 0 (the library) is instantiated twice with different configurations.
    let lib = plan.import_feeds(ModuleIndex(0));
    assert_eq!(lib[0].sources.len(), 2);
    assert_eq!(lib[0].known_definition(), None);
    // A re-exported import resolves to its definition: in chain4_globals, module 3's
    // import of `g0` (re-exported by modules 1 and 2) is instance 0's global.
    let component =
        Component::from_file(&engine, fixtures_dir().join("chain4_globals.wat")).unwrap();
    let feeds = component.plan().import_feeds(ModuleIndex(3));
    assert!(matches!(
        feeds[0].known_definition(),
        Some(CoreDef::Export {
            instance: RuntimeInstanceIndex(0),
            kind: CoreKind::Global,
            ..
        })
    ));
}

#[test]
fn api_errors_name_what_is_wrong() {
    use stagec_component::{SignatureMismatch, Value};
    let engine = engine();
    let component =
        Component::from_file(&engine, fixtures_dir().join("instantiate_args.wat")).unwrap();
    let mut store = stagec::Store::new(&engine);
    let instance = stagec_component::Linker::new()
        .instantiate(&mut store, &component)
        .unwrap();
    let e = instance.call(&mut store, "nope", &[]).unwrap_err();
    assert!(
        matches!(&e, Error::UnknownExport { name } if name == "nope"),
        "{e}"
    );
    let e = instance.call(&mut store, "run", &[]).unwrap_err();
    assert!(
        matches!(
            &e,
            Error::Signature {
                reason: SignatureMismatch::Count {
                    expected: 1,
                    found: 0,
                    ..
                },
                ..
            }
        ),
        "{e}"
    );
    let e = instance
        .call(&mut store, "run", &[Value::U32(1)])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "calling `run`: parameters 0 has type u32, expected s32"
    );
    // Usage errors do not poison the instance.
    assert_eq!(
        instance.call(&mut store, "run", &[Value::S32(1)]).unwrap(),
        Some(Value::S32(11))
    );

    // A host function returning a value of the wrong type: an error naming the import.
    let component = Component::from_binary(
        &engine,
        br#"(component
          (import "f" (func $f (result u32)))
          (core func $fl (canon lower (func $f)))
          (core instance $h (export "f" (func $fl)))
          (core module $M (import "h" "f" (func $f (result i32)))
            (func (export "g") (result i32) call $f))
          (core instance $m (instantiate $M (with "h" (instance $h))))
          (func (export "g") (result u32) (canon lift (core func $m "g"))))"#,
    )
    .unwrap();
    let mut linker = stagec_component::Linker::new();
    linker.func("f", |_, results| {
        results[0] = Value::S32(1);
        Ok(())
    });
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let e = instance.call(&mut store, "g", &[]).unwrap_err();
    assert!(
        matches!(&e, Error::Signature { func, reason: SignatureMismatch::Type { .. } } if func == "f"),
        "{e}"
    );
    assert!(matches!(
        instance.call(&mut store, "g", &[]),
        Err(Error::Poisoned)
    ));

    // A host error comes back as itself, with the import's name.
    let mut linker = stagec_component::Linker::new();
    linker.func("f", |_, _| Err("no".into()));
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let e = instance.call(&mut store, "g", &[]).unwrap_err();
    assert!(
        matches!(&e, Error::Host { import, .. } if import == "f"),
        "{e}"
    );
    assert_eq!(error_chain(&e), "host function `f` failed: no");
}
