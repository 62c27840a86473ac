//! The dylink.0 linker on C programs (dylink/programs/c, built by dylink/programs/build.sh):
//! data relocations, function pointers across modules, weak symbols, a NEEDED chain,
//! constructors, every error path; specialized and generic paths giving equal results.

use stagec::{Config, Engine, Instance, Module, Store, Val};
use stagec_dylink::{
    Compilation, DynamicLinker, LibraryHandle, LibraryPath, LinkError, LinkOptions, LoadError,
    Loader, MemorySource, Symbol,
};
use stagec_wasi::WasiCtxBuilder;
use std::path::PathBuf;
use std::sync::OnceLock;

fn programs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("programs/c")
}

/// One engine for the whole binary: the main module is compiled once (the engine's memory
/// cache shares it between tests).
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(Config::default()).unwrap())
}

const GENERIC: LinkOptions = LinkOptions {
    specialize: false,
    bind_objects: false,
};
const SPECIALIZED: LinkOptions = LinkOptions {
    specialize: true,
    bind_objects: false,
};

/// Every way of linking: generic, specialized on constants, and specialized with the
/// main module's objects bound at compile time too.
fn modes() -> [LinkOptions; 3] {
    let bound = LinkOptions {
        specialize: true,
        bind_objects: true,
    };
    [GENERIC, SPECIALIZED, bound]
}

struct Program {
    store: Store,
    main: Instance,
    linker: DynamicLinker,
}

/// The search path of the C programs.
fn programs_path() -> LibraryPath {
    let mut path = LibraryPath::new();
    path.dir(programs());
    path
}

fn program_with(loader: Loader, path: LibraryPath, options: LinkOptions) -> Program {
    let engine = &loader.engine().clone();
    let mut store = Store::new(engine);
    let wasi = WasiCtxBuilder::new("main")
        .capture_stdout()
        .build()
        .unwrap();
    let mut linker = stagec::Linker::new();
    wasi.add_to_linker(&mut linker, &mut store).unwrap();
    let module = Module::from_file(engine, programs().join("main.wasm")).unwrap();
    let main = linker.instantiate(&mut store, &module).unwrap();
    // `--export-all` drops the command's constructor wrappers: the host runs them.
    let ctors = main.get_func(&store, "__wasm_call_ctors").unwrap();
    ctors.call(&mut store, &[], &mut []).unwrap();
    let linker = DynamicLinker::new(&store, &main, loader, path, options).unwrap();
    Program {
        store,
        main,
        linker,
    }
}

fn program(options: LinkOptions) -> Program {
    program_with(
        Loader::new(engine(), Compilation::Allowed),
        programs_path(),
        options,
    )
}

/// A program whose linker finds libraries on `path` only.
fn program_on(path: LibraryPath, options: LinkOptions) -> Program {
    program_with(Loader::new(engine(), Compilation::Allowed), path, options)
}

impl Program {
    fn load(&mut self, name: &str) -> LibraryHandle {
        self.linker.load(&mut self.store, name).unwrap()
    }

    fn call_in(&mut self, instance: Instance, name: &str, args: &[i32]) -> i32 {
        let f = instance
            .get_func(&self.store, name)
            .unwrap_or_else(|| panic!("no export {name}"));
        let args: Vec<Val> = args.iter().map(|&a| Val::I32(a)).collect();
        let mut out = [Val::I32(0)];
        f.call(&mut self.store, &args, &mut out).unwrap();
        out[0].i32().unwrap()
    }

    fn call(&mut self, lib: LibraryHandle, name: &str, args: &[i32]) -> i32 {
        let instance = self.linker.library(lib).instance();
        self.call_in(instance, name, args)
    }

    fn call_main(&mut self, name: &str, args: &[i32]) -> i32 {
        self.call_in(self.main, name, args)
    }

    /// The address of the main module's data symbol `name`.
    fn main_data(&self, name: &str) -> u32 {
        let g = self.main.get_global(&self.store, name).unwrap();
        g.get(&self.store).i32().unwrap() as u32
    }

    fn read_i32(&self, address: u32) -> i32 {
        let memory = self.main.get_memory(&self.store, "memory").unwrap();
        let bytes = &memory.data(&self.store)[address as usize..address as usize + 4];
        i32::from_le_bytes(bytes.try_into().unwrap())
    }
}

#[test]
fn data_relocations_point_at_the_right_data() {
    for options in modes() {
        let mut p = program(options);
        let lib = p.load("libdata.so");
        let library = p.linker.library(lib);
        assert_eq!(library.specialized(), options.specialize);
        let base = library.memory_base();
        let align = 1 << library.info().mem_info.memory_alignment;
        assert_eq!(base % align, 0, "memory_base {base} aligned to {align}");
        // 5 (its own data) + main_counter (0) + table[2] (3), all through relocated pointers.
        assert_eq!(p.call(lib, "data_sum", &[]), 8);
        let lib_value = p.call(lib, "lib_value_addr", &[]) as u32;
        assert_eq!(p.linker.symbol("lib_value"), Some(Symbol::Data(lib_value)));
        assert!(lib_value >= base && lib_value < base + library_size(&p, lib));
        let counter = p.main_data("main_counter");
        assert_eq!(p.call(lib, "main_counter_addr", &[]) as u32, counter);
        let hello: Vec<u8> = (0..5)
            .map(|i| p.call(lib, "greeting_char", &[i]) as u8)
            .collect();
        assert_eq!(hello, b"hello");
        // bump: lib_value += 1 through main_add, main_counter += 1, three times.
        assert_eq!(p.call(lib, "bump", &[3]), 8);
        assert_eq!(p.read_i32(counter), 3);
        assert_eq!(p.read_i32(lib_value), 8);
        assert_eq!(p.call(lib, "data_sum", &[]), 8 + 3 + 3);
    }
}

fn library_size(p: &Program, lib: LibraryHandle) -> u32 {
    p.linker.library(lib).info().mem_info.memory_size
}

#[test]
fn function_pointers_are_equal_across_modules() {
    for options in modes() {
        let mut p = program(options);
        // libuser needs libfptr: loading it loads libfptr first.
        let user = p.load("libuser.so");
        let fptr = p.linker.loaded("libfptr.so").expect("loaded as NEEDED");
        assert_eq!(p.linker.library(user).needed(), [fptr]);
        let main_twice = p.call_main("main_twice_ptr", &[]);
        assert_eq!(p.call(fptr, "lib_twice_ptr", &[]), main_twice);
        let square = p.call(fptr, "lib_square_ptr", &[]);
        assert_eq!(p.call(user, "user_square_ptr", &[]), square);
        // Calls through the pointers, in both directions.
        assert_eq!(p.call_main("main_call_ptr", &[square, 5]), 25);
        assert_eq!(p.call(fptr, "lib_apply", &[main_twice, 4]), 8);
        // A static function's pointer is its slot in the library's own table range.
        let inc = p.call(fptr, "lib_inc_ptr", &[]);
        assert_eq!(inc as u32, p.linker.library(fptr).table_base());
        assert_eq!(p.call_main("main_call_ptr", &[inc, 1]), 2);
        assert_eq!(p.call(user, "user_call_square", &[3]), 10);
        // Loading again returns the same handles and allocates nothing.
        assert_eq!(p.load("libfptr.so"), fptr);
        assert_eq!(p.load("libuser.so"), user);
        assert_eq!(p.call(user, "user_square_ptr", &[]), square);
    }
}

#[test]
fn weak_symbols() {
    for options in modes() {
        let mut p = program(options);
        let lib = p.load("libweak.so");
        assert_eq!(p.call(lib, "has_weak_fn", &[]), 0);
        assert_eq!(p.call(lib, "weak_data_is_null", &[]), 1);
        // The main module's strong definition wins over the library's weak one.
        assert_eq!(p.call(lib, "call_overridden", &[]), 100);
        let overridden = p.main.get_func(&p.store, "overridden").unwrap();
        let slot = p.linker.func_slot(&mut p.store, overridden).unwrap();
        assert_eq!(p.call(lib, "overridden_ptr", &[]) as u32, slot);
        assert_eq!(
            p.linker.symbol("overridden"),
            Some(Symbol::Func(overridden))
        );
    }
}

#[test]
fn needed_chain_and_constructors() {
    for options in modes() {
        let mut p = program(options);
        let a = p.load("libchain_a.so");
        let b = p.linker.loaded("libchain_b.so").unwrap();
        let c = p.linker.loaded("libchain_c.so").unwrap();
        assert_eq!(p.linker.library(a).needed(), [b]);
        assert_eq!(p.linker.library(b).needed(), [c]);
        assert_eq!(p.call(a, "chain_a", &[1]), (1 + 3) * 2 + 1);
        // Constructors ran once each, needed libraries first.
        let log = p.main_data("ctor_log");
        assert_eq!(p.read_i32(p.main_data("ctor_count")), 3);
        let order: Vec<i32> = (0..3).map(|i| p.read_i32(log + 4 * i)).collect();
        assert_eq!(order, [3, 2, 1]);
        // libctor's constructor writes through a pointer that data relocations set.
        let ctor = p.load("libctor.so");
        assert_eq!(p.call(ctor, "get_ctor_value", &[]), 42);
        assert_eq!(p.read_i32(p.main_data("ctor_count")), 4);
    }
}

#[test]
fn every_error_names_the_library_and_symbol() {
    let mut p = program(SPECIALIZED);
    let err = p.linker.load(&mut p.store, "libundef.so").unwrap_err();
    assert!(
        matches!(&err, LinkError::Undefined { library, symbol } if library == "libundef.so" && symbol == "nowhere"),
        "{err}"
    );
    assert_eq!(err.to_string(), "libundef.so: undefined symbol `nowhere`");
    // A retry fails the same way; nothing of the failed library is visible.
    let again = p.linker.load(&mut p.store, "libundef.so").unwrap_err();
    assert_eq!(again.to_string(), err.to_string());
    assert_eq!(p.linker.loaded("libundef.so"), None);
    assert_eq!(p.linker.symbol("call_nowhere"), None);

    let err = p.linker.load(&mut p.store, "libsig.so").unwrap_err();
    assert!(
        matches!(&err, LinkError::Signature { library, symbol, .. } if library == "libsig.so" && symbol == "main_twice"),
        "{err}"
    );
    assert!(err.to_string().contains("(param i32 i32)"), "{err}");

    let err = p.linker.load(&mut p.store, "libcycle_a.so").unwrap_err();
    match &err {
        LinkError::Cycle { chain } => {
            assert_eq!(chain, &["libcycle_a.so", "libcycle_b.so", "libcycle_a.so"])
        }
        other => panic!("{other}"),
    }
    assert_eq!(p.linker.loaded("libcycle_b.so"), None);

    let err = p.linker.load(&mut p.store, "libnothing.so").unwrap_err();
    assert!(matches!(&err, LinkError::NotFound { library } if library == "libnothing.so"));
    let err = p.linker.load(&mut p.store, "main.wasm").unwrap_err();
    assert!(matches!(&err, LinkError::NotALibrary { library } if library == "main.wasm"));

    // The program goes on: other libraries still load and run.
    let lib = p.load("libdata.so");
    assert_eq!(p.call(lib, "data_sum", &[]), 8);
}

#[test]
fn compile_denied_loads_only_precompiled_libraries() {
    let engine = engine();
    let bytes = std::fs::read(programs().join("libdata.so")).unwrap();
    let mut source = MemorySource::new();
    source
        .insert_module("libdata.so", &Module::new(engine, &bytes).unwrap())
        .unwrap();
    let loader = Loader::new(engine, Compilation::Denied).with_source(source);
    let mut p = program_with(loader, programs_path(), SPECIALIZED);
    // Specializing needs the compiler: the precompiled generic build is used.
    let lib = p.load("libdata.so");
    assert!(!p.linker.library(lib).specialized());
    assert_eq!(p.call(lib, "data_sum", &[]), 8);
    let err = p.linker.load(&mut p.store, "libfptr.so").unwrap_err();
    assert!(
        matches!(&err, LinkError::Load { library, source: LoadError::CompilationDenied } if library == "libfptr.so"),
        "{err}"
    );
}

#[test]
fn specialized_libraries_fold_their_bases_and_give_equal_results() {
    let mut generic = program(GENERIC);
    let mut specialized = program(SPECIALIZED);
    let g = generic.load("libdata.so");
    let s = specialized.load("libdata.so");
    for (name, args) in [
        ("data_sum", vec![]),
        ("bump", vec![10]),
        ("data_sum", vec![]),
    ] {
        assert_eq!(
            generic.call(g, name, &args),
            specialized.call(s, name, &args),
            "{name}"
        );
    }
    let library = specialized.linker.library(s);
    // Both bases and all six GOT entries became constants.
    let constants: Vec<String> = library
        .constants()
        .iter()
        .map(|(m, n, _)| format!("{m}.{n}"))
        .collect();
    assert_eq!(constants.len(), 8, "{constants:?}");
    assert!(constants.contains(&"env.__memory_base".to_string()));
    assert!(constants.contains(&"GOT.mem.main_counter".to_string()));
    assert!(generic.linker.library(g).constants().is_empty());
    // The engine's explanation: no loads of the bases or GOT entries through the vmctx.
    let explained = specialized.linker.explain(s, "data_sum").unwrap();
    let loads = |clif: &str| clif.lines().filter(|l| l.contains("= load")).count();
    let (generic_loads, specialized_loads) = (
        loads(&explained.generic.clif),
        loads(&explained.specialized.clif),
    );
    // data_sum reads three GOT entries; generic, each costs two loads (the imported
    // global's address from the vmctx, then its value); specialized, none (15 vs 9 loads,
    // 29 vs 17 CLIF instructions, 21 vs 15 machine instructions today).
    assert_eq!(
        generic_loads - specialized_loads,
        6,
        "loads: generic {generic_loads}, specialized {specialized_loads}\n{}",
        explained.specialized.clif
    );
    assert!(explained.specialized.clif_insts < explained.generic.clif_insts);
    assert!(explained.specialized.machine_insts < explained.generic.machine_insts);
    // The GOT entry of main_counter_ptr (the pointer's address) is now the displacement
    // of a load from the memory's base, as Cranelift prints it.
    let Some(Symbol::Data(address)) = specialized.linker.symbol("main_counter_ptr") else {
        panic!("main_counter_ptr is a data symbol");
    };
    let displacement = format!("+0x{:04x}_{:04x}", address >> 16, address & 0xffff);
    assert!(
        explained.specialized.clif.contains(&displacement),
        "{displacement} in\n{}",
        explained.specialized.clif
    );
    assert!(!explained.generic.clif.contains(&displacement));
}

/// A `dylink.0` section with an empty `mem_info`, first in the module.
const EMPTY_DYLINK: &str = r#"(@custom "dylink.0" (before first) "\01\04\00\00\00\00")"#;

#[test]
fn a_got_entry_the_library_writes_stays_a_mutable_global() {
    let wat = format!(
        r#"(module {EMPTY_DYLINK}
          (import "env" "memory" (memory 0))
          (import "GOT.mem" "main_counter" (global $c (mut i32)))
          (import "GOT.mem" "ctor_count" (global $k (mut i32)))
          (func (export "counter_addr") (result i32) (global.get $c))
          (func (export "retarget") (global.set $k (i32.const 0)))
          (func (export "k") (result i32) (global.get $k)))"#
    );
    let bytes = wat::parse_str(&wat).unwrap();
    for options in modes() {
        let mut path = LibraryPath::new();
        path.library("libgot.so", bytes.clone());
        let mut p = program_on(path, options);
        let lib = p.load("libgot.so");
        assert_eq!(
            p.call(lib, "counter_addr", &[]) as u32,
            p.main_data("main_counter")
        );
        assert_eq!(p.call(lib, "k", &[]) as u32, p.main_data("ctor_count"));
        let instance = p.linker.library(lib).instance();
        instance
            .get_func(&p.store, "retarget")
            .unwrap()
            .call(&mut p.store, &[], &mut [])
            .unwrap();
        assert_eq!(p.call(lib, "k", &[]), 0, "the library's write is kept");
        let library = p.linker.library(lib);
        let constants: Vec<String> = library
            .constants()
            .iter()
            .map(|(m, n, _)| format!("{m}.{n}"))
            .collect();
        let changed = library
            .compiled_bytes()
            .iter()
            .zip(&bytes)
            .filter(|(a, b)| a != b)
            .count();
        if options.specialize {
            assert_eq!(constants, ["GOT.mem.main_counter"]);
            assert_eq!(changed, 1, "one mutability flag");
        } else {
            assert!(constants.is_empty());
            assert_eq!(changed, 0);
        }
    }
}

#[test]
fn a_library_calls_its_own_weak_definition_through_its_import() {
    let wat = format!(
        r#"(module {EMPTY_DYLINK}
          (import "env" "__indirect_function_table" (table 0 funcref))
          (import "env" "own_weak" (func $imp (param i32) (result i32)))
          (import "GOT.func" "own_weak" (global $p (mut i32)))
          (func $def (param i32) (result i32) (i32.add (local.get 0) (i32.const 40)))
          (export "own_weak" (func $def))
          (func (export "call_it") (param i32) (result i32) (call $imp (local.get 0)))
          (func (export "ptr") (result i32) (global.get $p)))"#
    );
    let bytes = wat::parse_str(&wat).unwrap();
    for options in modes() {
        let mut path = LibraryPath::new();
        path.library("libown.so", bytes.clone());
        let mut p = program_on(path, options);
        let lib = p.load("libown.so");
        assert_eq!(p.call(lib, "call_it", &[2]), 42);
        let own = p
            .linker
            .library(lib)
            .instance()
            .get_func(&p.store, "own_weak")
            .unwrap();
        let slot = p.linker.func_slot(&mut p.store, own).unwrap();
        assert_eq!(
            p.call(lib, "ptr", &[]) as u32,
            slot,
            "one slot: GOT and trampoline"
        );
        assert_eq!(p.call_main("main_call_ptr", &[slot as i32, 1]), 41);
    }
}

fn leb(mut v: u32, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        out.push(if v == 0 { b } else { b | 0x80 });
        if v == 0 {
            return;
        }
    }
}

fn name(s: &str, out: &mut Vec<u8>) {
    leb(s.len() as u32, out);
    out.extend_from_slice(s.as_bytes());
}

/// Library `bytes` with its `dylink.0` section re-encoded with `runtime_path`.
fn with_runpath(bytes: &[u8], runtime_path: &[&str]) -> Vec<u8> {
    let info = stagec_dylink::DylinkInfo::of_module(bytes)
        .unwrap()
        .unwrap();
    let mut contents = Vec::new();
    let mut sub = |id: u8, payload: Vec<u8>| {
        contents.push(id);
        leb(payload.len() as u32, &mut contents);
        contents.extend_from_slice(&payload);
    };
    let m = info.mem_info;
    let mut p = Vec::new();
    for v in [
        m.memory_size,
        m.memory_alignment,
        m.table_size,
        m.table_alignment,
    ] {
        leb(v, &mut p);
    }
    sub(1, p);
    let strings = |list: &[&str]| {
        let mut p = Vec::new();
        leb(list.len() as u32, &mut p);
        for s in list {
            name(s, &mut p);
        }
        p
    };
    let needed: Vec<&str> = info.needed.iter().map(String::as_str).collect();
    sub(2, strings(&needed));
    assert!(info.export_info.is_empty() && info.import_info.is_empty());
    sub(5, strings(runtime_path));
    let mut section = Vec::new();
    name("dylink.0", &mut section);
    section.extend_from_slice(&contents);
    // The old section: id 0 at offset 8, its size, its contents.
    let mut pos = 9;
    let mut size = 0u32;
    for shift in (0..35).step_by(7) {
        let b = bytes[pos];
        pos += 1;
        size |= u32::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
    }
    let mut out = bytes[..8].to_vec();
    out.push(0);
    leb(section.len() as u32, &mut out);
    out.extend_from_slice(&section);
    out.extend_from_slice(&bytes[pos + size as usize..]);
    out
}

#[test]
fn needed_libraries_are_found_through_runpath_and_origin() {
    let dir = std::env::temp_dir().join(format!("stagec-dylink-runpath-{}", std::process::id()));
    let deps = dir.join("deps");
    std::fs::create_dir_all(&deps).unwrap();
    let read = |n: &str| std::fs::read(programs().join(n)).unwrap();
    std::fs::write(
        dir.join("libchain_a.so"),
        with_runpath(&read("libchain_a.so"), &["$ORIGIN/deps"]),
    )
    .unwrap();
    std::fs::write(
        deps.join("libchain_b.so"),
        with_runpath(&read("libchain_b.so"), &["$ORIGIN"]),
    )
    .unwrap();
    std::fs::write(deps.join("libchain_c.so"), read("libchain_c.so")).unwrap();
    std::fs::write(dir.join("libplain_a.so"), read("libchain_a.so")).unwrap();
    for options in modes() {
        // No search path: only the RUNPATHs find the needed libraries.
        let mut p = program_on(LibraryPath::new(), options);
        let a_path = dir.join("libchain_a.so").display().to_string();
        let a = p.load(&a_path);
        assert_eq!(p.call(a, "chain_a", &[1]), 9);
        let b = p.linker.loaded("libchain_b.so").unwrap();
        assert_eq!(
            p.linker.library(b).path(),
            Some(deps.join("libchain_b.so").as_path())
        );
        assert_eq!(p.linker.library(a).info().runtime_path, ["$ORIGIN/deps"]);
        // Without a RUNPATH the needed library is not found.
        let plain = dir.join("libplain_a.so").display().to_string();
        let mut p = program_on(LibraryPath::new(), options);
        let err = p.linker.load(&mut p.store, &plain).unwrap_err();
        assert!(
            matches!(&err, LinkError::NotFound { library } if library == "libchain_b.so"),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn loading_a_library_at_the_same_bases_again_is_a_cache_hit() {
    // An engine of its own, whose cache statistics no other test changes.
    let engine = Engine::new(Config::default()).unwrap();
    let program = |options| {
        let loader = Loader::new(&engine, Compilation::Allowed);
        program_with(loader, programs_path(), options)
    };
    // Two programs of one engine allocate the same bases for the first library.
    let mut first = program(SPECIALIZED);
    let mut second = program(SPECIALIZED);
    let a = first.load("libdata.so");
    let before = engine.cache_stats();
    let b = second.load("libdata.so");
    let after = engine.cache_stats();
    let (la, lb) = (first.linker.library(a), second.linker.library(b));
    let (base, table_base) = (la.memory_base(), la.table_base());
    assert_eq!((base, table_base), (lb.memory_base(), lb.table_base()));
    assert_eq!(after.memory_hits, before.memory_hits + 1);
    assert_eq!(after.misses, before.misses);
    // Keyed by the constants alone, the specialized module can be serialized.
    assert!(lb.module().serialize().is_ok());
    assert_eq!(
        first.call(a, "data_sum", &[]),
        second.call(b, "data_sum", &[])
    );
    // Bound to the main module's live objects, it cannot be cached.
    let mut bound = program(modes()[2]);
    let c = bound.load("libdata.so");
    let lc = bound.linker.library(c);
    assert_eq!(
        lc.module().timings().cache,
        stagec::CacheOutcome::Uncacheable
    );
    assert!(lc.module().serialize().is_err());
    // Another table base (libfptr's slots come first) gives another compilation.
    let mut third = program(SPECIALIZED);
    third.load("libfptr.so");
    let before = engine.cache_stats();
    let d = third.load("libdata.so");
    assert_ne!(third.linker.library(d).table_base(), table_base);
    assert_eq!(engine.cache_stats().misses, before.misses + 1);
}

#[test]
fn lookup_answers_as_dlsym_would() {
    for options in modes() {
        let mut p = program(options);
        let data = p.load("libdata.so");
        let user = p.load("libuser.so");
        let fptr = p.linker.loaded("libfptr.so").unwrap();
        let lookup =
            |p: &mut Program, lib, name: &str| p.linker.lookup(&mut p.store, lib, name).unwrap();
        // A data symbol: its address; a function: its table slot, the same as the code's.
        let lib_value = p.call(data, "lib_value_addr", &[]) as u32;
        assert_eq!(lookup(&mut p, data, "lib_value"), Some(lib_value));
        let square = p.call(fptr, "lib_square_ptr", &[]) as u32;
        assert_eq!(lookup(&mut p, fptr, "lib_square"), Some(square));
        // Found through the library's NEEDED list; not in an unrelated library.
        assert_eq!(lookup(&mut p, user, "lib_square"), Some(square));
        assert_eq!(lookup(&mut p, data, "lib_square"), None);
        assert_eq!(lookup(&mut p, user, "nothing"), None);
        // A function no code took the address of gets a slot, once.
        let bump = lookup(&mut p, data, "bump").unwrap();
        assert_eq!(lookup(&mut p, data, "bump"), Some(bump));
        assert_eq!(p.call_main("main_call_ptr", &[bump as i32, 0]), 5);
    }
}

#[test]
fn a_local_library_resolves_only_its_dependents() {
    use stagec_dylink::Scope;
    // Imports lib_square without needing libfptr.
    let wat = format!(
        r#"(module {EMPTY_DYLINK}
          (import "env" "lib_square" (func $sq (param i32) (result i32)))
          (func (export "square_of_3") (result i32) (call $sq (i32.const 3))))"#
    );
    for options in modes() {
        let mut path = programs_path();
        path.library("libnoneed.so", wat::parse_str(&wat).unwrap());
        let mut p = program_on(path, options);
        let fptr = p
            .linker
            .load_in(&mut p.store, "libfptr.so", Scope::Local)
            .unwrap();
        assert!(!p.linker.library(fptr).is_global());
        assert_eq!(p.linker.symbol("lib_square"), None);
        // libuser needs libfptr: its imports resolve against it.
        let user = p.load("libuser.so");
        assert_eq!(p.call(user, "user_call_square", &[3]), 10);
        // A library that does not need it does not see it.
        let err = p.linker.load(&mut p.store, "libnoneed.so").unwrap_err();
        assert!(
            matches!(&err, LinkError::Undefined { symbol, .. } if symbol == "lib_square"),
            "{err}"
        );
        // Loaded again as global, it is; then the other library loads.
        assert_eq!(p.load("libfptr.so"), fptr);
        assert!(p.linker.library(fptr).is_global());
        assert!(matches!(
            p.linker.symbol("lib_square"),
            Some(Symbol::Func(_))
        ));
        let noneed = p.load("libnoneed.so");
        assert_eq!(p.call(noneed, "square_of_3", &[]), 9);
    }
}
