//! Limits and capabilities: deadlines and interrupt handles stop runaway code, fuel runs
//! out, the stack and memory limits hold, compilation can be denied — and the store stays
//! usable after each.

use stagec::*;
use std::time::{Duration, Instant};

const RUNAWAY: &str = r#"(module
  (import "env" "host" (func $host))
  (memory (export "mem") 1)
  (func (export "spin") (loop $l (br $l)))
  (func (export "count") (param i32) (result i32) (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1))
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
  (func $leaf (result i32) (i32.const 7))
  (func (export "host_then_leaf") (result i32) (call $host) (call $leaf))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))"#;

/// An engine with `config`, a store, and an instance of [`RUNAWAY`] whose `env.host`
/// runs `host`.
fn setup(config: Config, host: impl Fn() + Send + Sync + 'static) -> (Engine, Store, Instance) {
    let engine = Engine::new(config).unwrap();
    let mut store = Store::new(&engine);
    let host = Func::new(&mut store, FuncType::new([], []), move |_, _, _| {
        host();
        Ok(())
    })
    .unwrap();
    let module = Module::new(&engine, RUNAWAY).unwrap();
    let instance = Instance::new(&mut store, &module, &[Extern::Func(host)]).unwrap();
    (engine, store, instance)
}

fn call(store: &mut Store, instance: &Instance, name: &str, args: &[Val]) -> Result<Vec<Val>> {
    let f = instance.get_func(store, name).unwrap();
    let ty = f.ty(store);
    let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t)).collect();
    f.call(store, args, &mut results)?;
    Ok(results)
}

/// The `i32` result of a successful call.
fn int(r: Result<Vec<Val>>) -> i32 {
    r.unwrap()[0].i32().expect("an i32 result")
}

fn trap_kind(r: Result<Vec<Val>>) -> Option<TrapKind> {
    match r {
        Ok(v) => panic!("expected a trap, got {v:?}"),
        Err(e) => e.as_trap().and_then(|t| t.kind()),
    }
}

fn interruptible() -> Config {
    Config::default().with_interruptible(true)
}

#[test]
fn deadline_stops_an_infinite_loop_and_the_store_stays_usable() {
    let (_engine, mut store, instance) = setup(interruptible(), || {});
    store.set_deadline(Duration::from_millis(100)).unwrap();
    let start = Instant::now();
    let err = call(&mut store, &instance, "spin", &[]).unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(100));
    assert!(start.elapsed() < Duration::from_secs(30));
    let trap = err.as_trap().expect("a trap");
    assert_eq!(trap.kind(), Some(TrapKind::Interrupted));
    assert!(
        trap.to_string()
            .starts_with("wasm trap: interrupt (at wasm offset")
    );

    // The flag is cleared for the next call, which runs normally...
    let count = int(call(&mut store, &instance, "count", &[Val::I32(1000)]));
    assert_eq!(count, 1000);
    // ...and the deadline holds again for every later call.
    let again = call(&mut store, &instance, "spin", &[]);
    assert_eq!(trap_kind(again), Some(TrapKind::Interrupted));
}

#[test]
fn a_finished_call_disarms_its_deadline() {
    // The host function sleeps for 0.7 s. Call A returns at once; call B starts 0.5 s
    // later and spends 0.5–1.2 s in the host function, then enters a function. A's
    // deadline (1 s) falls inside B: had A not disarmed it, B would stop at that entry.
    // B's own deadline is 1.5 s, after it ends.
    let (_engine, mut store, instance) = setup(interruptible(), || {
        std::thread::sleep(Duration::from_millis(700));
    });
    store.set_deadline(Duration::from_secs(1)).unwrap();
    assert_eq!(
        int(call(&mut store, &instance, "count", &[Val::I32(10)])),
        10
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(int(call(&mut store, &instance, "host_then_leaf", &[])), 7);
    store.clear_deadline();
    let many = int(call(&mut store, &instance, "count", &[Val::I32(1_000_000)]));
    assert_eq!(many, 1_000_000);
}

#[test]
fn interrupt_from_another_thread() {
    let (_engine, mut store, instance) = setup(interruptible(), || {});
    let handle = store.interrupt_handle().unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    // Interrupts until the call has stopped: one interrupt could land before the call
    // begins, which clears the flag.
    let interrupter = std::thread::spawn(move || {
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(10));
            handle.interrupt();
        }
    });
    let kind = trap_kind(call(&mut store, &instance, "spin", &[]));
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    interrupter.join().unwrap();
    assert_eq!(kind, Some(TrapKind::Interrupted));
    assert_eq!(int(call(&mut store, &instance, "rec", &[Val::I32(10)])), 10);
}

#[test]
fn interrupt_is_seen_at_a_function_entry() {
    // The host function interrupts its own store; wasm then makes a call into a function
    // without loops, whose entry check traps.
    let handle: std::sync::Arc<std::sync::OnceLock<InterruptHandle>> = Default::default();
    let h = handle.clone();
    let (_engine, mut store, instance) = setup(interruptible(), move || {
        h.get().expect("set before the call").interrupt();
    });
    handle.set(store.interrupt_handle().unwrap()).unwrap();
    let kind = trap_kind(call(&mut store, &instance, "host_then_leaf", &[]));
    assert_eq!(kind, Some(TrapKind::Interrupted));
    assert_eq!(int(call(&mut store, &instance, "count", &[Val::I32(3)])), 3);
}

#[test]
fn interrupt_handles_need_an_interruptible_engine() {
    let (_engine, mut store, _) = setup(Config::default(), || {});
    assert!(matches!(store.interrupt_handle(), Err(Error::Usage(_))));
    let err = store.set_deadline(Duration::from_secs(1)).unwrap_err();
    assert!(err.to_string().contains("Config::interruptible"), "{err}");
    assert!(matches!(store.set_fuel(5), Err(Error::Usage(_))));
}

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn interrupt_handle_is_send_and_sync() {
    assert_send_sync::<InterruptHandle>();
}

/// A provider whose `spin` loops forever, directly and through a call of its own.
const LOOPING_PROVIDER: &str = r#"(module
  (func $spin (export "spin") (loop $l (br $l)))
  (func (export "spin_nested") (call $spin)))"#;

#[test]
fn provider_code_is_interrupted_through_the_callers_store() {
    let engine = Engine::new(interruptible()).unwrap();
    let provider = Provider::new(&engine, LOOPING_PROVIDER, Preimports::new()).unwrap();
    let wat = r#"(module
        (import "p" "spin" (func $spin))
        (import "p" "spin_nested" (func $nested))
        (func (export "spin") (call $spin))
        (func (export "nested") (call $nested)))"#;
    let mut pre = Preimports::new();
    pre.export("p", "spin", &provider, "spin")
        .export("p", "spin_nested", &provider, "spin_nested");
    // Inlined (the default threshold) and called directly (no inlining).
    for threshold in [CompileOptions::default().inline_threshold, 0] {
        let options = CompileOptions {
            inline_threshold: threshold,
            ..CompileOptions::default()
        };
        let module = Module::with_preimports_options(&engine, wat, &pre, &options).unwrap();
        let mut store = Store::new(&engine);
        let instance = Linker::new().instantiate(&mut store, &module).unwrap();
        store.set_deadline(Duration::from_millis(30)).unwrap();
        for name in ["spin", "nested"] {
            let kind = trap_kind(call(&mut store, &instance, name, &[]));
            assert_eq!(
                kind,
                Some(TrapKind::Interrupted),
                "{name}, threshold {threshold}"
            );
        }
    }
}

#[test]
fn staged_single_stage_code_is_interrupted() {
    let engine = Engine::new(interruptible()).unwrap();
    let staged = stagec_frontend::parse_swat(
        r#"(staged
             (stage $rt single (module (func (export "spin") (loop $l (br $l)))))
             (stage $main multi (module
               (import "rt" "spin" (func $spin))
               (func (export "run") (call $spin)))))"#,
    )
    .unwrap();
    let module = Module::from_staged(&engine, &staged, &Preimports::new()).unwrap();
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    store.set_deadline(Duration::from_millis(30)).unwrap();
    let kind = trap_kind(call(&mut store, &instance, "run", &[]));
    assert_eq!(kind, Some(TrapKind::Interrupted));
}

#[test]
fn small_max_stack_stops_recursion_then_a_normal_call_works() {
    let config = Config::default().with_max_wasm_stack(64 << 10);
    let (_engine, mut store, instance) = setup(config, || {});
    let deep = call(&mut store, &instance, "rec", &[Val::I32(1_000_000)]);
    assert_eq!(trap_kind(deep), Some(TrapKind::StackOverflow));
    assert_eq!(
        int(call(&mut store, &instance, "rec", &[Val::I32(100)])),
        100
    );
}

#[test]
fn memory_grow_beyond_max_memory_returns_minus_one() {
    let config = Config::default().with_max_memory_bytes(3 << 16);
    let (_engine, mut store, instance) = setup(config, || {});
    let grow =
        |store: &mut Store, pages: i32| int(call(store, &instance, "grow", &[Val::I32(pages)]));
    assert_eq!(grow(&mut store, 3), -1, "1 + 3 pages > 3 pages");
    assert_eq!(grow(&mut store, 2), 1);
    assert_eq!(grow(&mut store, 1), -1);
    assert_eq!(grow(&mut store, 0), 3);
    assert_eq!(int(call(&mut store, &instance, "size", &[])), 3);
    // The host's own growing obeys the same limit.
    let mem = instance.get_memory(&store, "mem").unwrap();
    assert!(mem.grow(&mut store, 1).is_err());
    assert_eq!(mem.size(&store), 3);
}

#[test]
fn a_memory_minimum_over_max_memory_is_a_clear_error() {
    let engine = Engine::new(Config::default().with_max_memory_bytes(100_000)).unwrap();
    let module = Module::new(&engine, "(module (memory 2))").unwrap();
    let mut store = Store::new(&engine);
    let err = Linker::new().instantiate(&mut store, &module).unwrap_err();
    assert_eq!(
        err.to_string(),
        "memory minimum of 2 pages (131072 bytes) exceeds the memory limit of 100000 bytes"
    );
    // The store stays usable: a memory within the limit is fine.
    let small = Module::new(&engine, "(module (memory 1))").unwrap();
    Linker::new().instantiate(&mut store, &small).unwrap();
    let ty = MemoryType {
        limits: Limits { min: 2, max: None },
        index: stagec::IndexType::I32,
    };
    assert!(matches!(
        Memory::new(&mut store, ty),
        Err(Error::Resource(_))
    ));
}

#[test]
fn denied_compilation_is_a_clear_error() {
    let engine = Engine::new(Config::default().deny_compilation(true)).unwrap();
    let wat = "(module (func (export \"f\")))";
    let message = "compilation from bytes is disabled; load a precompiled artifact";
    let errors = [
        Module::new(&engine, wat).unwrap_err(),
        Module::from_binary(&engine, &wat::parse_str(wat).unwrap()).unwrap_err(),
        Module::with_preimports(&engine, wat, &Preimports::new()).unwrap_err(),
        Module::from_staged(
            &engine,
            &stagec_frontend::parse_swat(&format!("(staged (stage $m multi {wat}))")).unwrap(),
            &Preimports::new(),
        )
        .unwrap_err(),
        Module::explain(
            &engine,
            wat,
            &Preimports::new(),
            "f",
            &CompileOptions::default(),
        )
        .unwrap_err(),
    ];
    for err in errors {
        assert!(matches!(err, Error::CompilationDenied), "{err:?}");
        assert_eq!(err.to_string(), message);
    }
    // Host functions need no compilation from bytes.
    let mut store = Store::new(&engine);
    Func::new(&mut store, FuncType::new([], []), |_, _, _| Ok(())).unwrap();
}

#[test]
fn interruption_is_off_by_default() {
    let explain = |config: Config| {
        let engine = Engine::new(config).unwrap();
        let explained = Module::explain(
            &engine,
            RUNAWAY,
            &Preimports::new(),
            "spin",
            &CompileOptions::default(),
        )
        .unwrap();
        explained.generic.clif
    };
    let default = explain(Config::default());
    assert!(!default.contains("atomic_load"), "{default}");
    assert!(!default.contains("trapnz"), "{default}");
    let checked = explain(interruptible());
    // One check at the function entry, one at the loop header.
    assert_eq!(checked.matches("atomic_load").count(), 2, "{checked}");
    let code = format!("user{}", TrapKind::Interrupted as u8);
    assert_eq!(checked.matches(&code).count(), 2, "{checked}");
}

#[test]
fn fuel_runs_out_and_can_be_refilled() {
    let config = Config::default().with_consume_fuel(true);
    let (_engine, mut store, instance) = setup(config, || {});
    // A new store has no fuel: a loop stops at its first back edge. (Fuel is checked at
    // function entries and loop headers, so straight-line code may overdraw it.)
    assert_eq!(store.get_fuel().unwrap(), 0);
    let none = call(&mut store, &instance, "spin", &[]);
    assert_eq!(trap_kind(none), Some(TrapKind::OutOfFuel));

    store.set_fuel(1_000_000).unwrap();
    call(&mut store, &instance, "count", &[Val::I32(100)]).unwrap();
    let used = 1_000_000 - store.get_fuel().unwrap();
    assert!(used >= 100 * 5, "about 7 units per iteration, used {used}");
    call(&mut store, &instance, "count", &[Val::I32(100)]).unwrap();
    assert_eq!(
        1_000_000 - store.get_fuel().unwrap(),
        2 * used,
        "deterministic"
    );

    let spin = call(&mut store, &instance, "spin", &[]);
    assert_eq!(trap_kind(spin), Some(TrapKind::OutOfFuel));
    assert_eq!(store.get_fuel().unwrap(), 0);
    // Recursion without loops is counted at every function entry too.
    store.set_fuel(1_000).unwrap();
    let deep = call(&mut store, &instance, "rec", &[Val::I32(1_000_000)]);
    assert_eq!(trap_kind(deep), Some(TrapKind::OutOfFuel));

    store.set_fuel(1_000).unwrap();
    assert_eq!(int(call(&mut store, &instance, "count", &[Val::I32(3)])), 3);
}
