//! The loader: precompiled modules by id (in-memory and directory sources), compilation
//! as a capability granted or denied, the imports builder, export lookup.

use stagec::{Config, Engine, Instance, Module, Preimports, Store, Val};
use stagec_dylink::{
    Compilation, DirectorySource, Imports, LoadError, Loader, MemorySource, export,
};

/// A module importing one of each kind: a function, a memory, a table, two globals.
const CONSUMER: &str = r#"(module
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  (import "host" "memory" (memory 1))
  (import "host" "table" (table 1 funcref))
  (import "cfg" "base" (global $base i32))
  (import "cfg" "counter" (global $counter (mut i32)))
  (type $r (func (result i32)))
  (func (export "run") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (i32.store (global.get $base) (call $add (global.get $base) (global.get $counter)))
    (i32.add (i32.load (global.get $base)) (call_indirect (type $r) (i32.const 0))))
  (func (export "counter") (result i32) (global.get $counter)))"#;

/// The module whose instance provides the function, memory and table.
const PROVIDER: &str = r#"(module
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (elem (i32.const 0) $seven)
  (func $seven (result i32) (i32.const 7))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "peek") (param i32) (result i32) (i32.load (local.get 0))))"#;

fn engine() -> Engine {
    Engine::new(Config::default()).unwrap()
}

fn artifact(engine: &Engine, wat: &str) -> Vec<u8> {
    Module::new(engine, wat).unwrap().serialize().unwrap()
}

/// Instantiates `module` against a provider instance; returns run's result, the counter
/// and what the provider's memory holds at the base.
fn run_consumer(store: &mut Store, module: &Module, provider: &Instance) -> (i32, i32, i32) {
    let mut imports = Imports::new();
    imports
        .export(store, "host", "add", provider, "add")
        .unwrap()
        .memory(
            "host",
            "memory",
            provider.get_memory(store, "memory").unwrap(),
        )
        .table("host", "table", provider.get_table(store, "table").unwrap())
        .new_i32_global("cfg", "base", 64, false)
        .new_i32_global("cfg", "counter", 0, false)
        // Bound again: the later binding replaces the first.
        .new_i32_global("cfg", "counter", 10, true);
    let instance = imports.instantiate(store, module).unwrap();
    let call = |store: &mut Store, name: &str| {
        let mut out = [Val::I32(0)];
        let f = export(store, &instance, name).unwrap().into_func().unwrap();
        f.call(store, &[], &mut out).unwrap();
        out[0].i32().unwrap()
    };
    let run = call(store, "run");
    let counter = call(store, "counter");
    let peek = provider.get_func(store, "peek").unwrap();
    let mut out = [Val::I32(0)];
    peek.call(store, &[Val::I32(64)], &mut out).unwrap();
    (run, counter, out[0].i32().unwrap())
}

#[test]
fn precompiled_ids_load_when_compiling_is_denied() {
    let engine = engine();
    let mut source = MemorySource::new();
    source.insert("consumer", artifact(&engine, CONSUMER));
    source
        .insert_module("provider", &Module::new(&engine, PROVIDER).unwrap())
        .unwrap();
    let loader = Loader::new(&engine, Compilation::Denied).with_source(source);
    assert!(!loader.can_compile());
    let consumer = loader.load("consumer").unwrap();
    let provider = loader.load("provider").unwrap();
    let mut store = Store::new(&engine);
    let provider = Instance::new(&mut store, &provider, &[]).unwrap();
    // counter: 10 + 1; the store at 64 holds 64 + 11; run adds the table's 7.
    assert_eq!(
        run_consumer(&mut store, &consumer, &provider),
        (75 + 7, 11, 75)
    );

    // Asking to compile is an error, not a fallback; so is an id no source has.
    let err = loader.compile(CONSUMER.as_bytes()).unwrap_err();
    assert!(matches!(err, LoadError::CompilationDenied), "{err}");
    assert!(
        err.to_string().contains("only precompiled modules load"),
        "{err}"
    );
    let err = loader
        .compile_specialized(&mut store, CONSUMER.as_bytes(), &Preimports::new())
        .unwrap_err();
    assert!(matches!(err, LoadError::CompilationDenied), "{err}");
    let err = loader.load("missing").unwrap_err();
    assert!(
        matches!(&err, LoadError::NotFound { id } if id == "missing"),
        "{err}"
    );
}

#[test]
fn compiling_when_granted_and_specializing() {
    let engine = engine();
    let loader = Loader::new(&engine, Compilation::Allowed);
    assert!(loader.can_compile());
    let mut store = Store::new(&engine);
    let provider = loader.compile(PROVIDER.as_bytes()).unwrap();
    let provider = Instance::new(&mut store, &provider, &[]).unwrap();
    let consumer = loader.compile(CONSUMER.as_bytes()).unwrap();
    assert_eq!(run_consumer(&mut store, &consumer, &provider), (82, 11, 75));
    // Specialized on `cfg.base` (a constant) and the provider's memory (a live object).
    let mut pre = Preimports::new();
    pre.value("cfg", "base", Val::I32(128));
    pre.bind(
        "host",
        "memory",
        stagec::Preimport::Extern(provider.get_memory(&store, "memory").unwrap().into()),
    );
    let specialized = loader
        .compile_specialized(&mut store, CONSUMER.as_bytes(), &pre)
        .unwrap();
    let remaining: Vec<_> = specialized
        .imports()
        .map(|(m, n, _)| format!("{m}.{n}"))
        .collect();
    assert_eq!(remaining, ["host.add", "host.table", "cfg.counter"]);
    let mut imports = Imports::new();
    imports
        .export(&store, "host", "add", &provider, "add")
        .unwrap()
        .table(
            "host",
            "table",
            provider.get_table(&store, "table").unwrap(),
        )
        .new_i32_global("cfg", "counter", 0, true);
    let instance = imports.instantiate(&mut store, &specialized).unwrap();
    let mut out = [Val::I32(0)];
    let run = instance.get_func(&store, "run").unwrap();
    run.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(128 + 1 + 7));
}

#[test]
fn a_missing_import_or_export_is_an_error_naming_it() {
    let engine = engine();
    let loader = Loader::new(&engine, Compilation::Allowed);
    let mut store = Store::new(&engine);
    let consumer = loader.compile(CONSUMER.as_bytes()).unwrap();
    let err = Imports::new()
        .instantiate(&mut store, &consumer)
        .unwrap_err();
    assert!(
        err.to_string().contains("host.add") || err.to_string().contains("add"),
        "{err}"
    );
    assert!(std::error::Error::source(&err).is_some());
    let provider = loader.compile(PROVIDER.as_bytes()).unwrap();
    let provider = Instance::new(&mut store, &provider, &[]).unwrap();
    let err = export(&store, &provider, "nothing").unwrap_err();
    assert!(
        matches!(&err, LoadError::NoExport { name } if name == "nothing"),
        "{err}"
    );
    let err = Imports::new()
        .export(&store, "host", "add", &provider, "sub")
        .unwrap_err();
    assert!(
        matches!(&err, LoadError::NoExport { name } if name == "sub"),
        "{err}"
    );
}

#[test]
fn a_directory_of_artifacts_by_id() {
    let engine = engine();
    let dir = std::env::temp_dir().join(format!("stagec-dylink-loader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("provider.stagec"), artifact(&engine, PROVIDER)).unwrap();
    std::fs::write(dir.join("consumer.stagec"), artifact(&engine, CONSUMER)).unwrap();
    std::fs::write(dir.join("notes.txt"), "not an artifact").unwrap();
    std::fs::write(dir.join("broken.stagec"), "not an artifact either").unwrap();
    let source = DirectorySource::new(&dir);
    assert_eq!(source.list().unwrap(), ["broken", "consumer", "provider"]);
    let loader = Loader::new(&engine, Compilation::Denied).with_source(source.clone());
    let mut store = Store::new(&engine);
    let provider = loader.load("provider").unwrap();
    let provider = Instance::new(&mut store, &provider, &[]).unwrap();
    let consumer = loader.load("consumer").unwrap();
    assert_eq!(run_consumer(&mut store, &consumer, &provider), (82, 11, 75));
    // Ids that could leave the directory are refused; a bad artifact names its id.
    for id in ["", ".", "..", "../provider", "a/b", "a\\b", "/etc/passwd"] {
        let err = loader.load(id).unwrap_err();
        assert!(
            matches!(&err, LoadError::InvalidId { id: i } if i == id),
            "{id:?}: {err}"
        );
    }
    assert!(matches!(
        loader.load("notes").unwrap_err(),
        LoadError::NotFound { .. }
    ));
    let err = loader.load("broken").unwrap_err();
    assert!(
        matches!(&err, LoadError::Engine { id: Some(i), .. } if i == "broken"),
        "{err}"
    );
    // Sources are asked in order: an in-memory one registered first wins.
    let mut first = MemorySource::new();
    first.insert(
        "provider",
        artifact(&engine, "(module (func (export \"only_here\")))"),
    );
    let loader = Loader::new(&engine, Compilation::Denied)
        .with_source(first)
        .with_source(source);
    let module = loader.load("provider").unwrap();
    assert_eq!(
        module.exports().map(|(n, _)| n).collect::<Vec<_>>(),
        ["only_here"]
    );
    assert!(loader.load("consumer").is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}
