//! 1,000 WASI programs run one after another in one process through the library API,
//! each in a fresh store with a fresh context (a preopened directory, captured streams):
//! no file descriptor and no memory may be left behind. Alone in its test binary, so
//! that no other test opens descriptors meanwhile.

mod common;

use stagec::{Config, Engine, Linker, Module, Store};
use stagec_wasi::WasiCtxBuilder;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .expect("resident")
        .parse()
        .expect("number");
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

#[test]
fn thousand_runs_leak_no_descriptors_and_no_memory() {
    let engine = Engine::new(Config::default()).expect("engine");
    // markdown reads a file of the preopened directory and writes one; fileio-like work
    // with descriptors opened and closed by the program, and one preopen per run.
    let module = Module::new(&engine, common::program("markdown")).expect("compile");
    let dir = common::TempDir::new("leaks");
    std::fs::write(
        dir.path().join("in.md"),
        "# Title\n\nSome *text* and a [link](x).\n",
    )
    .expect("input");
    let run = |i: usize| {
        let wasi = WasiCtxBuilder::new("markdown")
            .args(["/d/in.md", "/d/out.html"])
            .preopened_dir(dir.path(), "/d")
            .capture_stdout()
            .capture_stderr()
            .build()
            .expect("ctx");
        let mut store = Store::new(&engine);
        let mut linker = Linker::new();
        wasi.add_to_linker(&mut linker, &mut store).expect("wasi");
        let instance = linker
            .instantiate(&mut store, &module)
            .expect("instantiate");
        let status = stagec_wasi::run_command(&mut store, &instance).expect("runs");
        assert_eq!(status, 0, "run {i}");
        let out = wasi.captured_stdout().expect("captured");
        assert!(
            out.starts_with(b"/d/in.md: 38 bytes of markdown"),
            "run {i}"
        );
    };
    // Warm up: the engine's caches, the allocator's pools, the first stack pages.
    for i in 0..100 {
        run(i);
    }
    let (fds, rss) = (open_fds(), resident_bytes());
    for i in 100..1000 {
        run(i);
    }
    let (fds_after, rss_after) = (open_fds(), resident_bytes());
    let html = std::fs::read_to_string(dir.path().join("out.html")).expect("output");
    assert_eq!(
        html,
        "<h1>Title</h1>\n<p>Some <em>text</em> and a <a href=\"x\">link</a>.</p>\n"
    );
    println!("open descriptors {fds} -> {fds_after}, resident {rss} -> {rss_after} bytes");
    assert_eq!(fds_after, fds, "descriptors leaked over 900 runs");
    // 900 runs that each leaked a 64 KiB page of guest memory would add 56 MiB.
    let grown = rss_after.saturating_sub(rss);
    assert!(
        grown < 16 << 20,
        "resident memory grew by {grown} bytes over 900 runs"
    );
}
