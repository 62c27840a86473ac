//! The library API of `stagec-wasi`: exits, captured streams, the builder's defaults, bad
//! input (wrong signatures, unknown names, bad guest pointers, a module without memory),
//! the benchmark hooks, preimports on WASI programs.

mod common;

use stagec::{Config, Engine, Error, Linker, Module, Preimports, Store, Val};
use stagec_wasi::{BenchTimer, WasiCtx, WasiCtxBuilder, WasiError};

fn engine() -> Engine {
    Engine::new(Config::default()).expect("engine")
}

/// Instantiates `module` with WASI from `wasi` (and no-op benchmark hooks) in `store`.
fn instantiate(
    store: &mut Store,
    module: &Module,
    wasi: &WasiCtx,
) -> stagec::Result<stagec::Instance> {
    let mut linker = Linker::new();
    wasi.add_to_linker(&mut linker, store)?;
    stagec_wasi::define_bench_noop(&mut linker, store)?;
    linker.instantiate(store, module)
}

/// Runs the command `module` with `wasi`; its status and captured stdout.
fn run(engine: &Engine, module: &Module, wasi: WasiCtx) -> (Result<i32, WasiError>, String) {
    let mut store = Store::new(engine);
    let instance = instantiate(&mut store, module, &wasi).expect("instantiate");
    let status = stagec_wasi::run_command(&mut store, &instance);
    let stdout = wasi.captured_stdout().unwrap_or_default();
    (status, String::from_utf8(stdout).expect("utf-8"))
}

fn captured(program: &str) -> WasiCtxBuilder {
    WasiCtxBuilder::new(program)
        .capture_stdout()
        .capture_stderr()
}

/// A command that writes "hi\n" with fd_write from a nested call, then exits with the
/// status in its first argument's first byte minus '0' through proc_exit (or returns
/// when there is no argument). Also exports `write_at(iovs, n)`, `sizes_at(p)` and
/// `open_at(path, len)` to pass guest pointers of the test's choosing.
const EXIT_WAT: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open
    (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\n")
  (func $say
    ;; iovec at 0: {16, 3}
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $deep (param $n i32)
    (if (i32.eqz (local.get $n))
      (then
        ;; argc at 100, argv buffer size at 104
        (drop (call $args_sizes_get (i32.const 100) (i32.const 104)))
        (if (i32.ge_u (i32.load (i32.const 100)) (i32.const 2))
          (then
            ;; argv pointers at 200, strings at 300; status = argv[1][0] - '0'
            (drop (call $args_get (i32.const 200) (i32.const 300)))
            (call $proc_exit (i32.sub (i32.load8_u (i32.load (i32.const 204))) (i32.const 48)))
            unreachable)))
      (else (call $deep (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "_start")
    (call $say)
    (call $deep (i32.const 10)))
  (func (export "write_at") (param $iovs i32) (param $n i32) (result i32)
    (call $fd_write (i32.const 1) (local.get $iovs) (local.get $n) (i32.const 8)))
  (func (export "write_fd") (param $fd i32) (result i32)
    (call $say)
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func (export "sizes_at") (param $p i32) (result i32)
    (call $args_sizes_get (local.get $p) (i32.const 104)))
  (func (export "open_at") (param $path i32) (param $len i32) (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (local.get $path) (local.get $len)
      (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 400))))
"#;

fn exit_module(engine: &Engine) -> Module {
    Module::new(engine, wat::parse_str(EXIT_WAT).expect("wat")).expect("compile")
}

#[test]
fn proc_exit_unwinds_to_the_host_as_an_exit_status() {
    let engine = engine();
    let module = exit_module(&engine);
    for (args, status) in [(vec![], 0), (vec!["7"], 7), (vec!["0"], 0), (vec!["9"], 9)] {
        let wasi = captured("exit").args(args.clone()).build().expect("ctx");
        let (result, stdout) = run(&engine, &module, wasi);
        assert_eq!(result.expect("a status"), status, "args {args:?}");
        assert_eq!(stdout, "hi\n");
    }
    // Through the engine's API the exit is `Error::Exit`, and the store stays usable:
    // the same instance runs again, and so does a second instance in the same store.
    let wasi = captured("exit").arg("5").build().expect("ctx");
    let mut store = Store::new(&engine);
    let instance = instantiate(&mut store, &module, &wasi).expect("instantiate");
    let start = instance.get_func(&store, "_start").expect("_start");
    for _ in 0..3 {
        let err = start.call(&mut store, &[], &mut []).expect_err("exits");
        assert!(matches!(err, Error::Exit(5)), "{err:?}");
        assert_eq!(err.exit_code(), Some(5));
        assert!(err.as_trap().is_none());
        assert_eq!(err.to_string(), "exited with status 5");
    }
    let second = instantiate(&mut store, &module, &wasi).expect("second instance");
    assert_eq!(
        stagec_wasi::run_command(&mut store, &second).expect("status"),
        5
    );
    assert_eq!(
        wasi.captured_stdout().expect("captured"),
        b"hi\nhi\nhi\nhi\n"
    );
    let counts = wasi.call_counts();
    let count = |name: &str| counts.iter().find(|(n, _)| *n == name).expect("listed").1;
    assert_eq!(count("proc_exit"), 4);
    assert_eq!(count("fd_write"), 4);
    assert_eq!(count("path_open"), 0);
    assert_eq!(counts.len(), 46);
}

#[test]
fn exit_status_out_of_range_traps() {
    // WASI's exit statuses are 0..126; wasi-common traps on larger ones.
    let engine = engine();
    let bytes = wat::parse_str(
        r#"(module
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start") (call $exit (i32.const 200))))"#,
    )
    .expect("wat");
    let module = Module::new(&engine, bytes).expect("compile");
    let (result, _) = run(&engine, &module, captured("exit").build().expect("ctx"));
    match result {
        Err(WasiError::Engine(e)) => {
            let message = e.to_string();
            assert!(e.as_trap().is_some(), "{message}");
            assert!(
                message.contains("proc_exit") && message.contains("[0..126)"),
                "{message}"
            );
        }
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn defaults_args_environment_and_streams() {
    let engine = engine();
    let module = Module::new(&engine, common::program("args_env")).expect("compile");
    // Nothing given: argv is the program name alone, the environment is empty, and the
    // output goes nowhere (not captured).
    let wasi = WasiCtxBuilder::new("prog-name").build().expect("ctx");
    let (status, _) = run(&engine, &module, wasi.clone());
    assert_eq!(status.expect("status"), 0);
    assert_eq!(wasi.captured_stdout(), None);
    assert_eq!(wasi.captured_stderr(), None);
    let wasi = captured("prog-name").build().expect("ctx");
    let (_, stdout) = run(&engine, &module, wasi);
    assert!(
        stdout.starts_with("argc=1\nargv[0]=[prog-name]\n"),
        "{stdout}"
    );
    assert!(stdout.contains("environ has 0 entries"), "{stdout}");
    assert!(stdout.contains("getenv(PATH)=(null)"), "{stdout}");
    // Given: in order, a later value replacing an earlier one; inherit_env adds the
    // host's variables without replacing those set.
    let wasi = captured("p")
        .args(["a", "b c"])
        .env("GREETING", "first")
        .env("X", "1")
        .env("GREETING", "second")
        .build()
        .expect("ctx");
    let (_, stdout) = run(&engine, &module, wasi);
    assert!(
        stdout.contains("argc=3\nargv[0]=[p]\nargv[1]=[a]\nargv[2]=[b c]\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("env[0]=[X=1]\nenv[1]=[GREETING=second]\n"),
        "{stdout}"
    );
    assert!(stdout.contains("environ has 2 entries"), "{stdout}");
    let host_path = std::env::var("PATH").expect("the test runs with a PATH");
    let wasi = captured("p")
        .env("PATH", "mine")
        .inherit_env()
        .build()
        .expect("ctx");
    let (_, stdout) = run(&engine, &module, wasi);
    assert!(stdout.contains("getenv(PATH)=[mine]"), "{stdout}");
    let inherited = std::env::vars().count();
    assert!(
        stdout.contains(&format!("environ has {inherited} entries")),
        "{stdout}"
    );
    assert_ne!(host_path, "mine");
    // Standard input from bytes; standard error captured apart from standard output.
    let module = Module::new(&engine, common::program("stdin")).expect("compile");
    let wasi = captured("wc")
        .stdin_bytes("one two\nthree\n")
        .build()
        .expect("ctx");
    let (_, stdout) = run(&engine, &module, wasi.clone());
    assert_eq!(
        stdout,
        "   1| ONE TWO\n   2| THREE\n2 lines, 3 words, 14 bytes\n"
    );
    assert_eq!(wasi.captured_stderr().expect("captured"), b"");
    let module = Module::new(&engine, common::program("hello")).expect("compile");
    let wasi = captured("hello").build().expect("ctx");
    let (_, stdout) = run(&engine, &module, wasi.clone());
    assert!(stdout.starts_with("Hello, WASI!\n"), "{stdout}");
    assert_eq!(wasi.captured_stderr().expect("captured"), b"to stderr: 2\n");
}

#[test]
fn invalid_builder_input_is_an_error() {
    let missing = std::env::temp_dir().join("stagec-wasi-no-such-directory");
    let err = WasiCtxBuilder::new("p")
        .preopened_dir(&missing, "/data")
        .build()
        .expect_err("missing directory");
    assert!(matches!(err, WasiError::Preopen { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("stagec-wasi-no-such-directory"),
        "{message}"
    );
    assert!(std::error::Error::source(&err).is_some());
    let file = std::env::current_exe().expect("the test binary");
    let err = WasiCtxBuilder::new("p")
        .preopened_dir(&file, "/x")
        .build()
        .expect_err("a file is not a directory");
    assert!(matches!(err, WasiError::Preopen { .. }), "{err:?}");
    for (builder, what) in [
        (WasiCtxBuilder::new("p").arg("a\0b"), "argument"),
        (
            WasiCtxBuilder::new("p").env("A=B", "c"),
            "environment variable",
        ),
        (
            WasiCtxBuilder::new("p").env("", "c"),
            "environment variable",
        ),
        (
            WasiCtxBuilder::new("p").env("A", "nul\0"),
            "environment variable",
        ),
    ] {
        match builder.build() {
            Err(WasiError::InvalidString { what: w, .. }) => assert_eq!(w, what),
            other => panic!("expected an invalid {what}, got {other:?}"),
        }
    }
}

#[test]
fn wrong_signature_and_unknown_name_name_the_import() {
    let engine = engine();
    let wasi = captured("p").build().expect("ctx");
    let bad = wat::parse_str(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
          (memory (export "memory") 1))"#,
    )
    .expect("wat");
    let module = Module::new(&engine, bad).expect("compiles: imports are checked when linked");
    let mut store = Store::new(&engine);
    let err = instantiate(&mut store, &module, &wasi).expect_err("wrong signature");
    let message = err.to_string();
    assert!(matches!(err, Error::IncompatibleImport { .. }), "{message}");
    assert!(
        message.contains("`wasi_snapshot_preview1`.`fd_write`"),
        "{message}"
    );
    assert!(
        message.contains("expected (func (param i32) (result i32))"),
        "{message}"
    );
    assert!(
        message.contains("found (func (param i32 i32 i32 i32) (result i32))"),
        "{message}"
    );
    let unknown = wat::parse_str(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_frobnicate" (func (param i32) (result i32)))
          (memory (export "memory") 1))"#,
    )
    .expect("wat");
    let module = Module::new(&engine, unknown).expect("compile");
    let err = instantiate(&mut store, &module, &wasi).expect_err("unknown name");
    let message = err.to_string();
    assert!(matches!(err, Error::UnknownImport { .. }), "{message}");
    assert!(
        message.contains("`wasi_snapshot_preview1`.`fd_frobnicate`"),
        "{message}"
    );
    // The signatures the linker offers are those of the specification.
    assert_eq!(stagec_wasi::FUNCTIONS.len(), 46);
    assert_eq!(stagec_wasi::signature("fd_frobnicate"), None);
    let fd_write = stagec_wasi::signature("fd_write").expect("known");
    assert_eq!(fd_write.params.len(), 4);
    assert_eq!(fd_write.results.len(), 1);
    assert!(
        stagec_wasi::signature("proc_exit")
            .expect("known")
            .results
            .is_empty()
    );
}

#[test]
fn bad_guest_pointers_trap_or_return_an_errno_and_the_store_survives() {
    let engine = engine();
    let module = exit_module(&engine);
    let dir = common::TempDir::new("pointers");
    let wasi = captured("p")
        .preopened_dir(dir.path(), "/d")
        .build()
        .expect("ctx");
    let mut store = Store::new(&engine);
    let instance = instantiate(&mut store, &module, &wasi).expect("instantiate");
    let call = |store: &mut Store, name: &str, args: &[Val]| {
        let f = instance.get_func(store, name).expect(name);
        let mut result = [Val::I32(0)];
        f.call(store, args, &mut result).map(|()| match result[0] {
            Val::I32(errno) => errno,
            other => panic!("{name} returned {other:?}"),
        })
    };
    let page = 65536;
    // Out-of-bounds or misaligned pointers the function must dereference: a trap, as the
    // preview 1 specification says, naming the function.
    for (name, args) in [
        ("write_at", vec![Val::I32(page), Val::I32(1)]),
        ("write_at", vec![Val::I32(page - 4), Val::I32(1)]),
        ("write_at", vec![Val::I32(-8), Val::I32(1)]),
        ("write_at", vec![Val::I32(0), Val::I32(i32::MAX)]),
        ("sizes_at", vec![Val::I32(page)]),
        ("sizes_at", vec![Val::I32(1)]),
        ("open_at", vec![Val::I32(page - 2), Val::I32(10)]),
    ] {
        let err = call(&mut store, name, &args)
            .map(|errno| panic!("{name} {args:?} returned errno {errno}"))
            .expect_err("traps");
        let trap = err
            .as_trap()
            .unwrap_or_else(|| panic!("{name} {args:?}: {err:?}"));
        assert_eq!(trap.kind(), None, "raised by the host function");
        let message = err.to_string();
        assert!(message.contains("wasi_snapshot_preview1"), "{message}");
    }
    // An iovec whose buffer lies out of bounds.
    store_bytes(
        &mut store,
        &instance,
        500,
        &[0xf0, 0xff, 0, 0, 0x20, 0, 0, 0],
    );
    let err = call(&mut store, "write_at", &[Val::I32(500), Val::I32(1)]).expect_err("traps");
    assert!(err.to_string().contains("fd_write"), "{err}");
    // A bad descriptor is an errno (EBADF = 8), not a trap; an empty write is fine.
    assert_eq!(
        call(&mut store, "write_fd", &[Val::I32(99)]).expect("errno"),
        8
    );
    assert_eq!(
        call(&mut store, "write_at", &[Val::I32(0), Val::I32(0)]).expect("ok"),
        0
    );
    // path_open of a missing file "hi" in the preopen: ENOENT (44).
    assert_eq!(
        call(&mut store, "open_at", &[Val::I32(16), Val::I32(2)]).expect("errno"),
        44
    );
    // The store is still usable. (write_fd first writes "hi\n" itself, then the same
    // iovec to its descriptor: one line for fd 99 above, two for fd 1.)
    assert_eq!(
        call(&mut store, "write_fd", &[Val::I32(1)]).expect("writes"),
        0
    );
    assert_eq!(wasi.captured_stdout().expect("captured"), b"hi\nhi\nhi\n");
}

fn store_bytes(store: &mut Store, instance: &stagec::Instance, at: usize, bytes: &[u8]) {
    let memory = instance.get_memory(store, "memory").expect("memory");
    memory.data_mut(store)[at..at + bytes.len()].copy_from_slice(bytes);
}

#[test]
fn a_module_without_memory_gets_a_clear_trap() {
    let engine = engine();
    let bytes = wat::parse_str(
        r#"(module
          (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
          (func (export "_start") (drop (call $yield))))"#,
    )
    .expect("wat");
    let module = Module::new(&engine, bytes).expect("compile");
    let (result, _) = run(&engine, &module, captured("p").build().expect("ctx"));
    let Err(WasiError::Engine(e)) = result else {
        panic!("expected a trap, got {result:?}")
    };
    let message = e.to_string();
    assert!(
        message.contains("sched_yield") && message.contains("export its memory"),
        "{message}"
    );
    let bytes = wat::parse_str(r#"(module (memory (export "memory") 1))"#).expect("wat");
    let module = Module::new(&engine, bytes).expect("compile");
    let (result, _) = run(&engine, &module, captured("p").build().expect("ctx"));
    assert!(matches!(result, Err(WasiError::MissingStart)), "{result:?}");
}

#[test]
fn bench_hooks_time_the_region_between_start_and_end() {
    let engine = engine();
    let bytes = wat::parse_str(
        r#"(module
          (import "bench" "start" (func $start))
          (import "bench" "end" (func $end))
          (func (export "twice") (local $i i32)
            (call $start)
            (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const 1000000))))
            (call $end)
            (call $start)
            (call $end))
          (func (export "end_only") (call $end)))"#,
    )
    .expect("wat");
    let module = Module::new(&engine, bytes).expect("compile");
    let timer = BenchTimer::new();
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    timer.define(&mut linker, &mut store).expect("define");
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiate");
    let twice = instance.get_func(&store, "twice").expect("twice");
    twice.call(&mut store, &[], &mut []).expect("runs");
    let regions = timer.regions();
    assert_eq!(regions.len(), 2);
    assert!(
        regions[0] > regions[1],
        "the loop takes longer than nothing: {regions:?}"
    );
    let end_only = instance.get_func(&store, "end_only").expect("end_only");
    let err = end_only
        .call(&mut store, &[], &mut [])
        .expect_err("end without start");
    assert!(
        err.to_string().contains("`bench`.`end` called without"),
        "{err}"
    );
    timer.reset();
    assert!(timer.regions().is_empty());
    // No-op hooks: the same module runs and nothing is measured.
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    stagec_wasi::define_bench_noop(&mut linker, &mut store).expect("define");
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiate");
    for name in ["twice", "end_only"] {
        let f = instance.get_func(&store, name).expect(name);
        f.call(&mut store, &[], &mut []).expect("no-ops");
    }
}

#[test]
fn preimports_specialize_a_wasi_program_and_wasi_stays_host_calls() {
    let engine = engine();
    let bytes = common::program("primes");
    let expected = "1229 primes up to 10000, sum 5736396, largest: 9931 9941 9949 9967 9973\n";
    // Generic: env.LIMIT is an ordinary import, given at instantiation.
    let generic = Module::new(&engine, &bytes).expect("compile");
    let imports: Vec<_> = generic
        .imports()
        .map(|(m, n, _)| format!("{m}.{n}"))
        .collect();
    assert!(imports.contains(&"env.LIMIT".to_string()), "{imports:?}");
    let wasi = captured("primes").build().expect("ctx");
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    wasi.add_to_linker(&mut linker, &mut store).expect("wasi");
    let timer = BenchTimer::new();
    timer.define(&mut linker, &mut store).expect("bench");
    let limit = stagec::Global::new(
        &mut store,
        stagec::GlobalType {
            ty: stagec::ValType::I32,
            mutable: false,
        },
        Val::I32(10000),
    )
    .expect("global");
    linker.define("env", "LIMIT", limit);
    let instance = linker
        .instantiate(&mut store, &generic)
        .expect("instantiate");
    assert_eq!(
        stagec_wasi::run_command(&mut store, &instance).expect("status"),
        0
    );
    assert_eq!(
        String::from_utf8(wasi.captured_stdout().expect("out")).expect("utf-8"),
        expected
    );
    assert_eq!(timer.regions().len(), 1);
    // Specialized: env.LIMIT bound before compilation; the WASI and bench imports stay
    // imports, linked to the host functions as before.
    let mut preimports = Preimports::new();
    preimports.value("env", "LIMIT", Val::I32(10000));
    let special = Module::with_preimports(&engine, &bytes, &preimports).expect("specialize");
    let imports: Vec<_> = special
        .imports()
        .map(|(m, n, _)| format!("{m}.{n}"))
        .collect();
    assert!(
        !imports.iter().any(|i| i.starts_with("env.")),
        "{imports:?}"
    );
    assert!(
        imports
            .iter()
            .all(|i| i.starts_with("wasi_snapshot_preview1.") || i.starts_with("bench."))
    );
    assert!(imports.contains(&"bench.start".to_string()));
    let wasi = captured("primes").build().expect("ctx");
    let mut store = Store::new(&engine);
    let instance = instantiate(&mut store, &special, &wasi).expect("instantiate");
    assert_eq!(
        stagec_wasi::run_command(&mut store, &instance).expect("status"),
        0
    );
    assert_eq!(
        String::from_utf8(wasi.captured_stdout().expect("out")).expect("utf-8"),
        expected
    );
    let writes = wasi
        .call_counts()
        .into_iter()
        .find(|(n, _)| *n == "fd_write")
        .expect("fd_write")
        .1;
    assert!(writes >= 1, "printf reached the host's fd_write");
    // Another value, another specialization, another answer.
    let mut preimports = Preimports::new();
    preimports.value("env", "LIMIT", Val::I32(100));
    let small = Module::with_preimports(&engine, &bytes, &preimports).expect("specialize");
    let wasi = captured("primes").build().expect("ctx");
    let mut store = Store::new(&engine);
    let instance = instantiate(&mut store, &small, &wasi).expect("instantiate");
    assert_eq!(
        stagec_wasi::run_command(&mut store, &instance).expect("status"),
        0
    );
    let out = String::from_utf8(wasi.captured_stdout().expect("out")).expect("utf-8");
    assert_eq!(
        out,
        "25 primes up to 100, sum 1060, largest: 73 79 83 89 97\n"
    );
}

/// A clock that stands still at `at`: the realtime clock of a program under test.
struct FixedClock(std::time::SystemTime);

impl stagec_wasi::clocks::WasiSystemClock for FixedClock {
    fn resolution(&self) -> stagec_wasi::clocks::Duration {
        stagec_wasi::clocks::Duration::from_nanos(1)
    }
    fn now(&self, _precision: stagec_wasi::clocks::Duration) -> stagec_wasi::clocks::SystemTime {
        stagec_wasi::clocks::SystemTime::from_std(self.0)
    }
}

/// A monotonic clock that advances by one millisecond each time it is read.
struct SteppingClock(std::time::Instant, std::sync::atomic::AtomicU32);

impl stagec_wasi::clocks::WasiMonotonicClock for SteppingClock {
    fn resolution(&self) -> stagec_wasi::clocks::Duration {
        stagec_wasi::clocks::Duration::from_millis(1)
    }
    fn now(&self, _precision: stagec_wasi::clocks::Duration) -> stagec_wasi::clocks::Instant {
        let n = self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let at = self.0 + std::time::Duration::from_millis(n as u64);
        stagec_wasi::clocks::Instant::from_std(at)
    }
}

#[test]
fn custom_clocks_and_random() {
    let engine = engine();
    let bytes = wat::parse_str(
        r#"(module
          (import "wasi_snapshot_preview1" "clock_time_get" (func $time (param i32 i64 i32) (result i32)))
          (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "time") (param $clock i32) (result i64)
            (drop (call $time (local.get $clock) (i64.const 1) (i32.const 0)))
            (i64.load (i32.const 0)))
          (func (export "random") (result i64)
            (drop (call $random (i32.const 8) (i32.const 8)))
            (i64.load (i32.const 8))))"#,
    )
    .expect("wat");
    let module = Module::new(&engine, bytes).expect("compile");
    let epoch_plus = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    let clocks = stagec_wasi::clocks::WasiClocks::new()
        .with_system(FixedClock(epoch_plus))
        .with_monotonic(SteppingClock(std::time::Instant::now(), 0.into()));
    let wasi = captured("p")
        .clocks(clocks)
        .random(Box::new(stagec_wasi::Deterministic::new(vec![1, 2, 3])))
        .build()
        .expect("ctx");
    let mut store = Store::new(&engine);
    let instance = instantiate(&mut store, &module, &wasi).expect("instantiate");
    let call = |store: &mut Store, name: &str, args: &[Val]| {
        let mut result = [Val::I64(0)];
        instance
            .get_func(store, name)
            .expect(name)
            .call(store, args, &mut result)
            .expect("call");
        match result[0] {
            Val::I64(v) => v,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        call(&mut store, "time", &[Val::I32(0)]),
        1_000_000_000_000_000_000
    );
    assert_eq!(
        call(&mut store, "time", &[Val::I32(0)]),
        1_000_000_000_000_000_000
    );
    // The monotonic clock counts from the context's creation (its first reading).
    assert_eq!(call(&mut store, "time", &[Val::I32(1)]), 1_000_000);
    assert_eq!(call(&mut store, "time", &[Val::I32(1)]), 2_000_000);
    let random = call(&mut store, "random", &[]);
    assert_eq!(random.to_le_bytes(), [1, 2, 3, 1, 2, 3, 1, 2]);
}

/// The part of `inherited_streams_are_the_host_processes` that runs in a child process.
#[test]
fn inherited_streams_child() {
    let Ok(program) = std::env::var("STAGEC_WASI_INHERIT_CHILD") else {
        return; // only meaningful as the child
    };
    let engine = engine();
    let module = Module::new(&engine, common::program(&program)).expect("compile");
    let wasi = WasiCtxBuilder::new(program)
        .inherit_stdio()
        .build()
        .expect("ctx");
    let (status, _) = run(&engine, &module, wasi);
    assert_eq!(status.expect("status"), 0);
}

#[test]
fn inherited_streams_are_the_host_processes() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let me = std::env::current_exe().expect("test binary");
    for (program, stdin, stdout, stderr) in [
        ("hello", "", "Hello, WASI!\n", "to stderr: 2\n"),
        (
            "stdin",
            "abc\n",
            "   1| ABC\n1 lines, 1 words, 4 bytes\n",
            "",
        ),
    ] {
        let mut child = Command::new(&me)
            .args([
                "--exact",
                "inherited_streams_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("STAGEC_WASI_INHERIT_CHILD", program)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write");
        let output = child.wait_with_output().expect("child");
        assert!(output.status.success(), "{output:?}");
        let (out, err) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert!(out.contains(stdout), "{program}: stdout {out:?}");
        assert!(err.contains(stderr), "{program}: stderr {err:?}");
    }
}
